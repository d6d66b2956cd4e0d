"""The target's processes over a run: RSS and CPU summed over every watched pid and its
children (a pre-fork server's workers), folded tick by tick into the figures a soak is
judged on (start, end, max, growth of RSS; mean and max CPU)."""

from __future__ import annotations

from dataclasses import dataclass

from loadtui.metrics.snapshot import Snapshot


@dataclass(frozen=True)
class TargetProcessSummary:
    pids: tuple[int, ...]
    rss_start_bytes: int
    rss_end_bytes: int
    rss_max_bytes: int
    # Mean of the last minute minus mean of the first minute (for runs shorter than
    # two minutes: the last sample's half minus the first half's... see TargetWatch).
    rss_growth_bytes: int
    cpu_mean_percent: float
    cpu_max_percent: float


class TargetWatch:
    """Folds each snapshot's target gauges; `summary()` is None when nothing was sampled."""

    def __init__(self, pids: tuple[int, ...] = ()) -> None:
        self.pids = pids

    def add(self, snap: Snapshot) -> None:  # pragma: no cover - stub until issue 9 lands
        raise NotImplementedError

    def summary(self) -> TargetProcessSummary | None:  # pragma: no cover - stub
        raise NotImplementedError
