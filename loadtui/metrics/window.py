"""Figures over a stretch of consecutive ticks, exact: counts summed over the ticks, and
percentiles read from the ticks' interval HdrHistograms merged (never averaged). The
console's endpoints table and header use the last 10 s (`SlidingWindow`); headless
progress lines use the ticks since the previous line (`Stretch`, cleared after each).

Cost (bench/window_bench.py). A window of 10 s at 4 ticks/s is 40 histograms per
row: decoding and merging them afresh on every tick costs milliseconds per row. Instead
each row keeps one running histogram: the tick coming in is added (hdrh's C loop), the
tick leaving is subtracted bucket by bucket, only its non-zero ones; the percentiles
are read once per tick. Memory is the encoded bytes of the ticks held.

The layout is never assumed: the running histograms come from `new_histogram`, and a
tick recorded with another layout (an older session) is re-binned into it first.
No Textual, no rich.
"""

from __future__ import annotations

import sys
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import compress

from hdrh.histogram import HdrHistogram

from loadtui.metrics.histogram import (
    add_into,
    decode,
    latency_of,
    merge,
    new_histogram,
    reset,
    same_layout,
)
from loadtui.metrics.snapshot import EndpointStats, Latency, Snapshot

WINDOW_S = 10.0
TOTAL: None = None  # the key of the total row
Key = str | None


@dataclass(frozen=True, slots=True)
class Part:
    """What one tick adds to one row: its counts, its encoded interval histogram and
    that histogram's bounds (µs; min_value is sys.maxsize when it is empty)."""

    requests: int
    failures: int
    histogram: bytes = b""
    lowest: int = sys.maxsize
    highest: int = 0


def _decoded(data: bytes, like: HdrHistogram) -> HdrHistogram:
    """A tick's histogram in the layout of `like` (ValueError when damaged)."""
    h = decode(data)
    return h if same_layout(h, like) else merge([h])  # merge re-bins a foreign layout


class Tally:
    """One row's figures over the ticks added and not yet dropped.

    One running histogram: a tick comes in with hdrh's C add; a tick leaving is decoded
    again from its bytes and its non-zero buckets (found in C within its recorded span)
    are subtracted one by one, so leaving costs what the tick held, not the range.
    """

    def __init__(self) -> None:
        self.hist = new_histogram()
        self.parts: deque[tuple[float, Part]] = deque()  # (tick time, part), oldest first
        self.requests = 0
        self.failures = 0
        self._latency: Latency | None = None

    def add(self, t: float, stats: EndpointStats) -> None:
        """Fold in one tick's interval figures (ValueError when its histogram is damaged)."""
        part = Part(stats.interval_requests, stats.interval_failures)
        if stats.histogram:
            h = _decoded(stats.histogram, self.hist)
            if h.total_count:
                add_into(self.hist, h)
                part = replace(
                    part, histogram=stats.histogram, lowest=h.min_value, highest=h.max_value
                )
                self._latency = None
        self.parts.append((t, part))
        self.requests += part.requests
        self.failures += part.failures

    def drop_until(self, t: float) -> None:
        """Forget the ticks at or before `t`."""
        while self.parts and self.parts[0][0] <= t:
            part = self.parts.popleft()[1]
            self.requests -= part.requests
            self.failures -= part.failures
            if part.histogram:
                self._subtract(_decoded(part.histogram, self.hist))
                self._latency = None

    def _subtract(self, h: HdrHistogram) -> None:
        lo = h.get_counts_array_index(h.min_value)
        hi = min(h.get_counts_array_index(h.max_value) + 1, h.counts_len)
        span = h.counts[lo:hi]
        counts = self.hist.counts
        for i, n in zip(compress(range(lo, hi), span), filter(None, span), strict=True):
            counts[i] -= n
        self.hist.total_count -= h.total_count

    def clear(self) -> None:
        self.parts.clear()
        reset(self.hist)
        self.requests = self.failures = 0
        self._latency = None

    def latency(self) -> Latency:
        """Percentiles of every sample of the ticks held (read once per change)."""
        if self._latency is None:
            h = self.hist
            held = [p for _, p in self.parts if p.histogram]
            if held:  # the bounds of what is held, not of everything ever added
                h.min_value = min(p.lowest for p in held)
                h.max_value = max(p.highest for p in held)
            else:
                h.min_value, h.max_value = sys.maxsize, 0
            self._latency = latency_of(h)
        return self._latency


class Stretch:
    """Every row's figures over the ticks added since the last `clear`.

    `view()` is the latest snapshot with its interval figures (`interval_requests`,
    `interval_failures`, `rps`, `interval_latency`, `interval_s`) replaced by the
    stretch's; its whole-run figures are left as they are. With `endpoints=False` only
    the total row is kept (what a progress line needs).
    """

    def __init__(self, *, endpoints: bool = True) -> None:
        self.endpoints = endpoints
        self._rows: dict[Key, Tally] = {}
        self._spans: deque[tuple[float, float]] = deque()  # (tick time, interval_s)
        self._latest: Snapshot | None = None
        self._view: Snapshot | None = None

    @property
    def latest(self) -> Snapshot | None:
        return self._latest

    @property
    def seconds(self) -> float:
        """The time the ticks held cover."""
        return sum(s for _, s in self._spans)

    @property
    def ticks(self) -> int:
        return len(self._spans)

    def add(self, snap: Snapshot) -> None:
        """Fold a tick in. The same tick twice is ignored; time going backwards (a new
        run on the same screen, a replay rewound) starts afresh."""
        last = self._latest
        if last is not None and snap.seq == last.seq and snap.t == last.t:
            return
        if last is not None and snap.t < last.t:
            self.clear()
        rows: list[tuple[Key, EndpointStats]] = [(TOTAL, snap.total)]
        if self.endpoints:
            rows += [(e.name, e) for e in snap.endpoints]
        try:
            for key, stats in rows:
                tally = self._rows.get(key)
                if tally is None:
                    tally = self._rows[key] = Tally()
                tally.add(snap.t, stats)
        except ValueError:  # a damaged histogram (a session log): no half-added tick
            self.clear()
            self._latest = None
            raise
        self._spans.append((snap.t, max(0.0, snap.interval_s)))
        self._latest = snap
        self._view = None

    def drop_until(self, t: float) -> None:
        """Forget the ticks at or before `t`."""
        if not self._spans or self._spans[0][0] > t:
            return
        while self._spans and self._spans[0][0] <= t:
            self._spans.popleft()
        for tally in self._rows.values():
            tally.drop_until(t)
        self._view = None

    def clear(self) -> None:
        """Forget every tick (the latest snapshot stays, for its whole-run figures)."""
        for tally in self._rows.values():
            tally.clear()
        self._spans.clear()
        self._view = None

    def view(self) -> Snapshot | None:
        """The latest snapshot carrying the stretch's figures; None before any tick."""
        snap = self._latest
        if snap is None:
            return None
        if self._view is None:
            span = self.seconds
            endpoints = snap.endpoints
            if self.endpoints:
                endpoints = tuple(self._row(e, e.name, span) for e in snap.endpoints)
            self._view = replace(
                snap, interval_s=span, total=self._row(snap.total, TOTAL, span), endpoints=endpoints
            )
        return self._view

    def _row(self, stats: EndpointStats, key: Key, span: float) -> EndpointStats:
        tally = self._rows.get(key)
        if tally is None:
            return replace(
                stats,
                interval_requests=0,
                interval_failures=0,
                rps=0.0,
                interval_latency=Latency(),
                histogram=b"",
            )
        return replace(
            stats,
            interval_requests=tally.requests,
            interval_failures=tally.failures,
            rps=tally.requests / span if span > 0 else 0.0,
            interval_latency=tally.latency(),
            histogram=b"",  # the view's figures are the stretch's, not one tick's
        )


class SlidingWindow(Stretch):
    """The ticks of the last `seconds` (those ending after latest.t - seconds)."""

    def __init__(self, seconds: float = WINDOW_S, *, endpoints: bool = True) -> None:
        if seconds <= 0:
            raise ValueError("a sliding window needs seconds > 0")
        super().__init__(endpoints=endpoints)
        self.window_s = seconds

    def add(self, snap: Snapshot) -> None:
        super().add(snap)
        self.drop_until(snap.t - self.window_s)

    def slide_to(self, ticks: Sequence[Snapshot], times: Sequence[float], index: int) -> None:
        """Make `ticks[index]` the latest (a replay's playhead): the ticks in between are
        added when moving forward a little; otherwise the window is rebuilt from the
        ticks it covers (at most `seconds` of them, whatever the jump)."""
        last = self._latest
        now = times[index]
        start = bisect_right(times, now - self.window_s, 0, index)
        if last is not None and now - self.window_s < last.t <= now:
            start = max(start, bisect_right(times, last.t, 0, index + 1))  # what follows it
        else:
            self.clear()
            self._latest = None
        for i in range(start, index + 1):
            self.add(ticks[i])
