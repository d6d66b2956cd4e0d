"""The target's processes over a run: RSS and CPU summed over every watched pid and its
children (a pre-fork server's workers), folded tick by tick into the figures a soak is
judged on (start, end, max, growth of RSS; mean and max CPU)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from loadtui.metrics.snapshot import Snapshot, SystemGauges

WINDOW_S = 60.0  # growth compares the mean of the first minute with the last minute's


@dataclass(frozen=True)
class TargetProcessSummary:
    pids: tuple[int, ...]
    rss_start_bytes: int
    rss_end_bytes: int
    rss_max_bytes: int
    # Mean of the last minute's samples minus the mean of the first minute's, so one
    # garbage-collection swing does not decide a soak; when the samples span less than
    # two minutes (the windows would overlap) simply the last sample minus the first.
    rss_growth_bytes: int
    cpu_mean_percent: float
    cpu_max_percent: float


class TargetWatch:
    """Folds each snapshot's target gauges; `summary()` is None when nothing was sampled.

    Memory stays bounded over a 12-hour soak: running sums for the first minute and the
    CPU, and only the last minute's RSS samples (for its mean)."""

    def __init__(self, pids: tuple[int, ...] = ()) -> None:
        self.pids = tuple(pids)
        self._samples = 0
        self._t_first = self._t_last = 0.0
        self._rss_start = self._rss_end = self._rss_max = 0
        self._head_sum = self._head_n = 0  # samples within the first minute
        self._tail: deque[tuple[float, int]] = deque()  # (t, rss) within the last minute
        self._tail_sum = 0
        self._cpu_sum = self._cpu_max = 0.0
        self._cpu_n = 0

    def add(self, snap: Snapshot) -> None:
        self.add_gauges(snap.t, snap.system)

    def add_gauges(self, t: float, system: SystemGauges) -> None:
        """One tick's gauges at run time `t` (a session's report feeds these alone)."""
        rss = system.target_rss_bytes
        if rss is None:
            return  # not watched, or every target process gone
        if not self._samples:
            self._t_first, self._rss_start = t, rss
        self._samples += 1
        self._t_last, self._rss_end = t, rss
        self._rss_max = max(self._rss_max, rss)
        if t - self._t_first <= WINDOW_S:
            self._head_sum += rss
            self._head_n += 1
        self._tail.append((t, rss))
        self._tail_sum += rss
        while self._tail[0][0] < t - WINDOW_S:
            self._tail_sum -= self._tail.popleft()[1]
        cpu = system.target_cpu_percent
        if cpu is not None:
            self._cpu_sum += cpu
            self._cpu_n += 1
            self._cpu_max = max(self._cpu_max, cpu)

    def rss_growth(self) -> int:
        """See TargetProcessSummary.rss_growth_bytes (0 before any sample)."""
        if self._t_last - self._t_first < 2 * WINDOW_S:
            return self._rss_end - self._rss_start
        tail = self._tail_sum / len(self._tail)
        head = self._head_sum / self._head_n
        return round(tail - head)

    def summary(self) -> TargetProcessSummary | None:
        if not self._samples:
            return None
        return TargetProcessSummary(
            pids=self.pids,
            rss_start_bytes=self._rss_start,
            rss_end_bytes=self._rss_end,
            rss_max_bytes=self._rss_max,
            rss_growth_bytes=self.rss_growth(),
            cpu_mean_percent=self._cpu_sum / self._cpu_n if self._cpu_n else 0.0,
            cpu_max_percent=self._cpu_max,
        )
