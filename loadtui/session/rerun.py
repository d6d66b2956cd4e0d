"""Re-running a session: the recorded profile and the operator's actions, at their
recorded offsets, against the same (or another) target; the result is a new session.

A live exploration in the console thereby becomes a repeatable test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtui.scenario.model import Profile
from loadtui.session.reader import Session


@dataclass(frozen=True)
class RerunPlan:
    scenario_path: Path | None  # where the recorded scenario came from
    target_name: str  # the recorded target's name in its scenario
    target_url: str
    profile: Profile
    script: tuple[tuple[float, str, tuple[Any, ...]], ...]
    duration: float  # the recorded run's length: the re-run stops there too
    tick_s: float  # the recorded tick, so both sessions line up tick for tick


def rerun_plan(session: Session) -> RerunPlan:
    header = session.header
    scenario = header.get("scenario") or {}
    target = header.get("target") or {}
    script = tuple(
        (ev.t, str(ev.data["action"]), tuple(ev.data.get("args") or ()))
        for ev in session.events
        if ev.kind == "operator" and "action" in ev.data
    )
    path = scenario.get("path") or ""
    return RerunPlan(
        scenario_path=Path(path) if path else None,
        target_name=str(target.get("name") or ""),
        target_url=str(target.get("url") or ""),
        profile=session.profile(),
        script=script,
        duration=max(session.duration, 0.1),
        tick_s=recorded_tick(session),
    )


def recorded_tick(session: Session) -> float:
    """The run's tick interval (the median of the recorded ones; 0.5 s if none)."""
    intervals = sorted(t.interval_s for t in session.ticks if t.interval_s > 0)
    return intervals[len(intervals) // 2] if intervals else 0.5
