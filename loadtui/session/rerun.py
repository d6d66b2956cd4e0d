"""Re-running a session: the recorded profile and the operator's actions, at their
recorded offsets, against the same (or another) target; the result is a new session.

A live exploration in the console thereby becomes a repeatable test. Offsets are
wall-clock seconds since the start, like every event's `t`: pauses, skipped stages and
manual levels land where they did, and the re-run stops where the original stopped
(its `-t` counting wall time too; see RunConfig.duration).

A session hides a target URL's password (`user:***@host`): a re-run never sends that
mark, so such a target must be given again (`hidden_credentials`).

A session is data: nothing named in it is run. Its scenario's path tells where the
declarative scenario was; Python tasks (`call = "module:function"`) are imported only
from a scenario file the operator names (`--scenario`), so the plan lists those the
session records, for the command to refuse without one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtui.metrics.snapshot import Event
from loadtui.scenario.bounds import (
    MAX_DURATION_S,
    MAX_RATE,
    MAX_SPAWN_RATE,
    MAX_STAGES,
    MAX_USERS,
    count_text,
)
from loadtui.scenario.iterations import COUNT_DONE
from loadtui.scenario.model import Profile, Selection
from loadtui.scenario.userinfo import HIDDEN, split_userinfo
from loadtui.session import schema
from loadtui.session.reader import Session, SessionError

# The operator actions a re-run replays, with the kinds of their arguments ("?": may be
# null or left out). Engine commands of the same names take them in this order.
ACTIONS: dict[str, tuple[str, ...]] = {
    "set_users": ("count", "number?"),
    "set_rate": ("number",),
    "set_streams": ("count", "number?"),
    "pause": (),
    "resume": (),
    "follow_profile": (),
    "next_stage": ("count?",),  # the stage skipped to (absent in older sessions)
    "stop": ("number?",),  # the grace period
}

# The largest value of each argument: the loader's bounds (scenario/bounds.py), so a
# session cannot ask a re-run for more than a scenario file could.
LIMITS: dict[str, tuple[float, ...]] = {
    "set_users": (MAX_USERS, MAX_SPAWN_RATE),
    "set_rate": (MAX_RATE,),
    "set_streams": (MAX_USERS, MAX_SPAWN_RATE),
    "next_stage": (MAX_STAGES,),
    "stop": (MAX_DURATION_S,),
}

Script = tuple[tuple[float, str, tuple[Any, ...]], ...]


@dataclass(frozen=True)
class RerunPlan:
    scenario_path: Path | None  # where the recorded scenario came from
    target_name: str  # the recorded target's name in its scenario
    target_url: str
    profile: Profile
    script: Script
    # Wall-clock seconds to where the original stopped: the re-run too. None when the
    # original ended on its iteration count: the re-run ends on the same count, however
    # much longer it takes (a length taken from the original could cut it short).
    duration: float | None
    tick_s: float  # the recorded tick, so both sessions line up tick for tick
    python_tasks: tuple[str, ...] = ()  # "module:function" of the recorded Python tasks
    selection: Selection = field(default_factory=Selection)  # the recorded --tags/-E


def rerun_plan(session: Session) -> RerunPlan:
    """The plan for re-running `session`; SessionError (one line) for an action the
    engine cannot replay."""
    header = session.header
    scenario = header.get("scenario") or {}
    target = header.get("target") or {}
    if not isinstance(scenario, dict) or not isinstance(target, dict):
        raise SessionError(f"{session.path}: session header: scenario and target must be tables")
    script = tuple(
        _action(session.path, ev)
        for ev in session.events
        if ev.kind == "operator" and "action" in ev.data
    )
    path = str(scenario.get("path") or "")
    if "\x00" in path:
        raise SessionError(f"{session.path}: session header: scenario.path is not a file name")
    try:
        selection = schema.selection(scenario.get("selection"))
    except schema.Malformed as exc:
        raise SessionError(f"{session.path}: session header: {exc}") from None
    tick = recorded_tick(session)
    end = stopped_at(session)
    if any(action == "stop" and at == end for at, action, _ in script):
        end += tick  # the script's own stop ends the re-run; the length is only a backstop
    profile = session.profile()
    counted = profile.iterations is not None and ended_by_count(session)
    return RerunPlan(
        scenario_path=Path(path) if path else None,
        target_name=str(target.get("name") or ""),
        target_url=str(target.get("url") or ""),
        profile=profile,
        script=script,
        duration=None if counted else max(end, 0.1),
        tick_s=tick,
        python_tasks=recorded_python_tasks(header),
        selection=selection,
    )


def hidden_credentials(url: str) -> bool:
    """The URL's `user:password@` is the mark the session put in place of what it hid
    (`user:***@`, or `***@` for a lone token): sent, it would be sent as "***"."""
    _, credentials = split_userinfo(url)
    return credentials is not None and HIDDEN in credentials


def recorded_python_tasks(header: dict[str, Any]) -> tuple[str, ...]:
    """The Python tasks (`module:function`) of the session's scenario, as recorded: a
    PythonTask is written with `module` and `function` (a hand-written header may say
    `call`). The reader has checked that users and their task lists are tables."""
    scenario = header.get("scenario")
    users = scenario.get("users") if isinstance(scenario, dict) else None
    found: list[str] = []
    for cls in users if isinstance(users, list) else ():
        for key in ("on_start", "tasks"):
            tasks = cls.get(key) if isinstance(cls, dict) else None
            for task in tasks if isinstance(tasks, list) else ():
                if isinstance(task, dict) and ("call" in task or "module" in task):
                    call = task.get("call") or f"{task.get('module')}:{task.get('function')}"
                    found.append(str(call)[:80])
    return tuple(found)


def stopped_at(session: Session) -> float:
    """When the run began to stop (its end, an operator's stop, a signal), before the
    in-flight requests were let finish; the last tick for a session without one (a
    killed run, or one written before stops were marked)."""
    for ev in session.events:
        if ev.data.get("stopping") or ev.data.get("action") == "stop":
            return ev.t
    return session.duration


def ended_by_count(session: Session) -> bool:
    """The run stopped because its iteration count was done (controller.py's reason
    "run finished: N iterations done"), not at a length, a stop or a signal."""
    for ev in session.events:
        if ev.data.get("stopping"):
            return ev.message.startswith(COUNT_DONE)
    return False


def recorded_tick(session: Session) -> float:
    """The run's tick interval (the median of the recorded ones; 0.5 s if none)."""
    intervals = sorted(t.interval_s for t in session.ticks if t.interval_s > 0)
    return intervals[len(intervals) // 2] if intervals else 0.5


def _action(path: Path, ev: Event) -> tuple[float, str, tuple[Any, ...]]:
    action = str(ev.data["action"])
    raw = ev.data.get("args")
    args = tuple(raw) if isinstance(raw, list) else ()
    kinds = ACTIONS.get(action)
    where = f"{path}: operator action {action!r} at {ev.t:.2f}s"
    if kinds is None:
        known = ", ".join(ACTIONS)
        raise SessionError(f"{where} cannot be re-run (re-runnable: {known})")
    needed = sum(1 for k in kinds if not k.endswith("?"))
    shown = _brief(raw)
    if not isinstance(raw, list | None) or not needed <= len(args) <= len(kinds):
        raise SessionError(f"{where} has arguments {shown}; expected {_shape(kinds)}")
    limits = LIMITS.get(action, ())
    for i, (kind, value) in enumerate(zip(kinds, args, strict=False)):
        if not _fits(kind.rstrip("?"), value, optional=kind.endswith("?")):
            raise SessionError(f"{where} has arguments {shown}; expected {_shape(kinds)}")
        limit = limits[i] if i < len(limits) else math.inf
        if value is not None and value > limit:
            raise SessionError(f"{where} asks for {shown}; at most {count_text(limit)}")
    return ev.t, action, args


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fits(kind: str, value: Any, *, optional: bool) -> bool:
    if value is None:
        return optional
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if kind == "count":
        return isinstance(value, int) and value >= 0
    return math.isfinite(value) and value >= 0


def _shape(kinds: tuple[str, ...]) -> str:
    return "[" + ", ".join(kinds) + "]" if kinds else "no arguments"
