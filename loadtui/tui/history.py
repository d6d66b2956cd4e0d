"""Rolling per-tick series for the dashboard's charts, kept from the snapshots it is shown.

Snapshots arrive 2-10 times a second (or faster in replay); the charts want the last
few minutes whatever that rate is. So samples are kept in time bins of
`window_s / maxlen` seconds: a snapshot landing in the current bin is merged into it
(request rate weighted by interval length, percentiles by max so a spike is never
averaged away, counts summed, gauges latest). Memory is bounded by `maxlen`.
Pure Python: no Textual, so it is tested and reused (replay) on its own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace

from loadtui.metrics.snapshot import Snapshot

SERIES = ("rps", "p50", "p95", "p99", "users", "rate", "errors", "err_rps", "rss", "target_rss")


@dataclass(frozen=True)
class Sample:
    """One time bin: figures of the interval(s) ending at `t` (seconds since start)."""

    t: float
    interval_s: float
    rps: float
    p50: float
    p95: float
    p99: float
    users: int
    rate: float
    errors: int  # failures in the bin
    rss: int
    target_rss: int | None

    @property
    def err_rps(self) -> float:
        return self.errors / self.interval_s if self.interval_s > 0 else 0.0

    @classmethod
    def of(cls, snap: Snapshot) -> Sample:
        lat = snap.total.interval_latency
        return cls(
            t=snap.t,
            interval_s=max(0.0, snap.interval_s),
            rps=snap.total.rps,
            p50=lat.p50,
            p95=lat.p95,
            p99=lat.p99,
            users=snap.load.users,
            rate=snap.load.rate,
            errors=snap.total.interval_failures,
            rss=snap.system.rss_bytes,
            target_rss=snap.system.target_rss_bytes,
        )

    def merged(self, later: Sample) -> Sample:
        """This bin with a later sample folded in."""
        span = self.interval_s + later.interval_s
        rps = (
            (self.rps * self.interval_s + later.rps * later.interval_s) / span
            if span > 0
            else later.rps
        )
        return replace(
            later,
            interval_s=span,
            rps=rps,
            p50=max(self.p50, later.p50),
            p95=max(self.p95, later.p95),
            p99=max(self.p99, later.p99),
            errors=self.errors + later.errors,
        )


class History:
    """The last `window_s` seconds of samples, at most `maxlen` of them."""

    def __init__(self, maxlen: int = 600, window_s: float = 300.0) -> None:
        if maxlen < 1 or window_s <= 0:
            raise ValueError("History needs maxlen >= 1 and window_s > 0")
        self.maxlen = maxlen
        self.window_s = window_s
        self.resolution = window_s / maxlen
        self._samples: deque[Sample] = deque(maxlen=maxlen)
        self._bin_start = 0.0
        self._seq = -1
        self.bins = 0  # bins started (or restarts): a chart need not redraw until it moves

    def __len__(self) -> int:
        return len(self._samples)

    def __iter__(self) -> Iterator[Sample]:
        return iter(self._samples)

    @property
    def last(self) -> Sample | None:
        return self._samples[-1] if self._samples else None

    def clear(self) -> None:
        self._samples.clear()
        self._seq = -1
        self.bins += 1

    def add(self, snap: Snapshot) -> None:
        """Fold a snapshot in. The same snapshot twice is ignored; time going backwards
        (a replay restarted, a new run on the same screen) starts the history afresh."""
        if snap.seq == self._seq:
            return
        last = self.last
        if last is not None and snap.t < last.t:
            self.clear()
            last = None
        self._seq = snap.seq
        sample = Sample.of(snap)
        if last is not None and snap.t - self._bin_start < self.resolution:
            self._samples[-1] = last.merged(sample)
        else:
            self._samples.append(sample)
            self._bin_start = snap.t
            self.bins += 1
        horizon = snap.t - self.window_s
        while self._samples and self._samples[0].t < horizon:
            self._samples.popleft()

    def series(self, name: str) -> list[tuple[float, float]]:
        """(t, value) pairs of one series, oldest first; None values are left out."""
        if name not in SERIES:
            raise KeyError(f"unknown series {name!r}; one of {', '.join(SERIES)}")
        out: list[tuple[float, float]] = []
        for s in self._samples:
            value = getattr(s, name)
            if value is not None:
                out.append((s.t, float(value)))
        return out

    def change(self, name: str) -> float | None:
        """Last minus first value of a series over the window (RSS growth), or None."""
        points = self.series(name)
        if len(points) < 2:
            return None
        return points[-1][1] - points[0][1]
