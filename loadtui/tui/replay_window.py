"""Figures of a window of a recorded session (t0 < t <= t1), for the replay's endpoints
table: percentiles merged exactly from the ticks' interval histograms, counts as
differences of the cumulative ones. No Textual.

The merge gives what `session.reader.window_latency` gives (same decode, same merge,
same percentile read; the tests hold them equal), but folds each histogram into one
accumulator per endpoint as it goes, and yields after every tick: an hour at 4 ticks/s
is ~43,000 histograms (~0.13 ms each to decode), so the console runs it in slices
without freezing, and memory stays flat (collecting decoded histograms first, as
window_latency does, holds ~140 KB per histogram: ~2 GB for that hour).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Generator, Sequence
from dataclasses import replace
from typing import TypeVar

from hdrh.histogram import HdrHistogram

from loadtui.metrics.histogram import add_into, decode, latency_of, new_histogram
from loadtui.metrics.snapshot import EndpointStats, Latency, Snapshot

K = TypeVar("K")
TOTAL: None = None  # the accumulator key of the total row


def window_merge(
    ticks: Sequence[Snapshot], times: Sequence[float], t0: float, t1: float
) -> Generator[None, None, Snapshot]:
    """Yields once per tick merged; returns the snapshot at `t1` whose endpoints and
    total carry the window's figures only (as both window and whole-run figures, so
    either view of the table, and the thresholds, read the window)."""
    t0, t1 = sorted((t0, t1))
    lo, hi = bisect_right(times, t0), bisect_right(times, t1)
    end = ticks[max(0, hi - 1)]
    base = ticks[lo - 1] if lo > 0 else None
    acc: dict[str | None, HdrHistogram] = {}
    for i in range(lo, hi):
        tick = ticks[i]
        for key, stats in ((e.name, e) for e in tick.endpoints):
            _fold(acc, key, stats)
        _fold(acc, TOTAL, tick.total)
        yield
    span = max(t1 - t0, 1e-9)

    def figures(stats: EndpointStats, key: str | None) -> EndpointStats:
        before = None
        if base is not None:
            before = base.total if key is TOTAL else base.endpoint(stats.name)
        h = acc.get(key)
        return window_stats(stats, before, latency_of(h) if h else Latency(), span)

    endpoints = tuple(figures(e, e.name) for e in end.endpoints)
    return replace(
        end, interval_s=span, endpoints=endpoints, total=figures(end.total, TOTAL), events=()
    )


def run_to_end(steps: Generator[None, None, Snapshot]) -> Snapshot:
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def _fold(acc: dict[str | None, HdrHistogram], key: str | None, stats: EndpointStats) -> None:
    """Add one interval histogram (ValueError when it is not one)."""
    if not stats.histogram:
        return
    h = acc.get(key)
    if h is None:
        h = acc[key] = new_histogram()
    add_into(h, decode(stats.histogram))


def diff(now: dict[K, int], before: dict[K, int] | None) -> dict[K, int]:
    """Counts added since `before` (keys that did not change are left out)."""
    before = before or {}
    out = {k: v - before.get(k, 0) for k, v in now.items()}
    return {k: v for k, v in out.items() if v}


def window_stats(
    end: EndpointStats, base: EndpointStats | None, latency: Latency, span: float
) -> EndpointStats:
    """`end`'s figures minus `base`'s (the last tick before the window), over `span` s."""
    requests = end.requests - (base.requests if base else 0)
    failures = end.failures - (base.failures if base else 0)
    rps = requests / span
    return replace(
        end,
        requests=requests,
        failures=failures,
        interval_requests=requests,
        interval_failures=failures,
        rps=rps,
        mean_rps=rps,
        latency=latency,
        interval_latency=latency,
        status_codes=diff(end.status_codes, base.status_codes if base else None),
        errors=diff(end.errors, base.errors if base else None),
        bytes_in=end.bytes_in - (base.bytes_in if base else 0),
        bytes_out=end.bytes_out - (base.bytes_out if base else 0),
        histogram=b"",
    )
