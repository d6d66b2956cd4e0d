"""Generator self-check: when the load generator itself is the bottleneck, say so.

CPU above ~90 % of a core or event-loop lag above ~10 ms, held for more than 2 s,
means the figures understate what the target could do; the snapshot carries a
warning and the report can mark the periods.
"""

from __future__ import annotations

from collections.abc import Iterable

from loadtui.metrics.snapshot import SystemGauges

CPU_LIMIT = 90.0
LAG_LIMIT_MS = 10.0
HOLD_S = 2.0


class SaturationWatch:
    def __init__(self) -> None:
        self.since: float | None = None
        self.active = False
        self.periods: list[tuple[float, float]] = []  # (start, end) seconds since run start
        self._messages: list[str] = []

    def update(self, system: SystemGauges, t: float) -> tuple[str, ...]:
        hot = system.cpu_percent > CPU_LIMIT or system.loop_lag_ms > LAG_LIMIT_MS
        if hot:
            if self.since is None:
                self.since = t
            if not self.active and t - self.since >= HOLD_S:
                self.active = True
                self._messages.append(
                    f"generator saturated (CPU {system.cpu_percent:.0f} %, loop lag "
                    f"{system.loop_lag_ms:.0f} ms): figures may understate the target"
                )
        else:
            if self.active and self.since is not None:
                self.periods.append((self.since, t))
                self._messages.append("generator no longer saturated")
            self.since = None
            self.active = False
        if self.active:
            return ("generator saturated",)
        return ()

    def new_messages(self) -> list[str]:
        out, self._messages = self._messages, []
        return out

    def all_periods(self, now: float) -> list[tuple[float, float]]:
        if self.active and self.since is not None:
            return [*self.periods, (self.since, now)]
        return list(self.periods)


def merge_periods(periods: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping or touching (start, end) periods as one, in order: the run was
    saturated while any worker was."""
    out: list[tuple[float, float]] = []
    for start, end in sorted(periods):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out
