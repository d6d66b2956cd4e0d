"""Generator self-check: when the load generator itself distorts the figures, say so.

A request is measured late by the generator in two ways. In the open model a start more
than 10 ms behind its schedule carries that lateness into its latency (it is timed from
its intended start). In either model a response that waits for a held event loop is
measured late by as long. So each worker is judged on its last HORIZON_S seconds of
ticks:

- late starts (open model): more than 1 % of the starts (at least LATE_MIN of them):
  beyond that the late ones reach p99;
- loop lag by 100 ms windows (system.LoopLagMonitor): a window is over when the loop ran
  more than 10 ms late in it; LAG_REPEAT such windows mean a generator that keeps
  falling behind, not one garbage collection;
- CPU supports the lag: above 90 % of a core the loop has no slack to catch up, and
  LAG_REPEAT_BUSY windows are enough. On its own it proves nothing: a busy generator
  that starts on time and keeps its loop on time measures right.

While any signal holds, the snapshot carries a warning; the report marks the periods,
from the first tick with late starts or a late window to the last.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from loadtui.metrics.snapshot import WorkerVitals
from loadtui.metrics.system import LAG_LIMIT_S, WINDOW_S

HORIZON_S = 5.0  # the ticks judged together: long enough to see a repeat, short to clear
LATE_SHARE = 0.01
LATE_MIN = 3
LAG_REPEAT = 3
LAG_REPEAT_BUSY = 2
CPU_LIMIT = 90.0
LAG_LIMIT_MS = LAG_LIMIT_S * 1000


@dataclass(frozen=True, slots=True)
class _Tick:
    start: float
    end: float
    vitals: WorkerVitals

    @property
    def evidence(self) -> bool:
        """Something in this tick was measured late by the generator."""
        return self.vitals.late > 0 or self.vitals.lag_windows_over > 0


@dataclass(frozen=True, slots=True)
class Horizon:
    """One worker's figures over the ticks judged together."""

    started: int = 0
    late: int = 0
    windows: int = 0
    over: int = 0  # windows over the lag limit
    worst_lag_ms: float = 0.0
    cpu_percent: float = 0.0  # mean over the ticks

    @classmethod
    def of(cls, ticks: Iterable[WorkerVitals]) -> Horizon:
        vs = list(ticks)
        return cls(
            started=sum(v.started for v in vs),
            late=sum(v.late for v in vs),
            windows=sum(v.lag_windows for v in vs),
            over=sum(v.lag_windows_over for v in vs),
            worst_lag_ms=max((v.loop_lag_ms for v in vs), default=0.0),
            cpu_percent=sum(v.cpu_percent for v in vs) / len(vs) if vs else 0.0,
        )

    @property
    def late_starts(self) -> bool:
        return self.late >= LATE_MIN and self.late > LATE_SHARE * self.started

    @property
    def lagging(self) -> bool:
        repeat = LAG_REPEAT_BUSY if self.cpu_percent > CPU_LIMIT else LAG_REPEAT
        return self.over >= repeat

    @property
    def saturated(self) -> bool:
        return self.late_starts or self.lagging

    def describe(self) -> str:
        """What the check saw, e.g. "4.2 % of starts late; loop over 10 ms late in 6
        of 50 windows of 100 ms, worst 63 ms; CPU 66 %"."""
        parts = []
        if self.late:
            share = 100 * self.late / self.started if self.started else 100.0
            parts.append(f"{share:.1f} % of starts late")
        if self.over:
            parts.append(
                f"loop over {LAG_LIMIT_MS:.0f} ms late in {self.over} of {self.windows} "
                f"windows of {WINDOW_S * 1000:.0f} ms, worst {self.worst_lag_ms:.0f} ms"
            )
        parts.append(f"CPU {self.cpu_percent:.0f} %")
        return "; ".join(parts)


class SaturationWatch:
    """One worker's check, fed its vitals once per tick (`update`)."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.active = False
        self.periods: list[tuple[float, float]] = []  # (start, end) seconds since run start
        self._messages: list[str] = []
        self._ticks: deque[_Tick] = deque()
        self._last_t = 0.0
        self._evidence_end = 0.0  # end of the last tick with evidence

    def update(self, vitals: WorkerVitals, t: float) -> tuple[str, ...]:
        """Judge the tick that ended at `t` (seconds since the run started) with the
        ones before it; the standing warning while saturated."""
        tick = _Tick(self._last_t, t, vitals)
        self._last_t = t
        self._ticks.append(tick)
        while self._ticks[0].end <= t - HORIZON_S:
            self._ticks.popleft()
        if tick.evidence:
            self._evidence_end = t
        horizon = Horizon.of(k.vitals for k in self._ticks)
        if horizon.saturated and not self.active:
            self.active = True
            first = next(k.start for k in self._ticks if k.evidence)
            # Not back over a period already closed (its evidence may still be in view).
            self.since = max(first, self.periods[-1][1]) if self.periods else first
            self._messages.append(
                f"generator saturated ({horizon.describe()}): figures may understate the target"
            )
        elif not horizon.saturated and self.active and self.since is not None:
            self.periods.append((self.since, max(self.since, self._evidence_end)))
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
