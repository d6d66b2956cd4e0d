"""Every command a run takes, declared once, as data.

`Command`: what an operator, a profile or a scripted re-run asks of the controller.
`WorkerCommand`: what the controller asks of each worker (its share of the load).
Frozen dataclasses: a host's thread, a process pipe and a Ray actor call carry them as
they are (they pickle), and the receiver dispatches with one `match`, never by name.

The session log records operator actions by name with their arguments (`action`,
`args`, see docs/contracts.md); `from_action` and `Command.action` are the only places
that map between the two.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass, fields
from typing import Any, ClassVar

# ---- operator and profile -> controller --------------------------------------------


@dataclass(frozen=True, slots=True)
class SetUsers:
    users: int
    spawn_rate: float | None = None
    action: ClassVar[str] = "set_users"


@dataclass(frozen=True, slots=True)
class SetStreams:
    streams: int
    spawn_rate: float | None = None
    action: ClassVar[str] = "set_streams"


@dataclass(frozen=True, slots=True)
class SetRate:
    rate: float
    action: ClassVar[str] = "set_rate"


@dataclass(frozen=True, slots=True)
class Pause:
    action: ClassVar[str] = "pause"


@dataclass(frozen=True, slots=True)
class Resume:
    action: ClassVar[str] = "resume"


@dataclass(frozen=True, slots=True)
class FollowProfile:
    action: ClassVar[str] = "follow_profile"


@dataclass(frozen=True, slots=True)
class NextStage:
    # A re-run passes the recorded stage (0-based) so it lands exactly there.
    stage: int | None = None
    action: ClassVar[str] = "next_stage"


@dataclass(frozen=True, slots=True)
class Stop:
    grace: float | None = None  # None: the run's own grace
    reason: str = "stopped by operator"
    action: ClassVar[str] = "stop"


Command = SetUsers | SetStreams | SetRate | Pause | Resume | FollowProfile | NextStage | Stop

_BY_ACTION: dict[str, type[Command]] = {
    c.action: c for c in (SetUsers, SetStreams, SetRate, Pause, Resume, FollowProfile, NextStage)
}
_BY_ACTION[Stop.action] = Stop


def from_action(action: str, args: tuple[Any, ...] | list[Any]) -> Command | None:
    """The command a session's operator event recorded (`action`, `args`); None when the
    action is not one a run can replay (or its arguments do not fit it)."""
    kind = _BY_ACTION.get(action)
    if kind is None:
        return None
    try:
        command = kind(*args)
    except TypeError:
        return None
    return command if _numbers_fit(command) else None


def _numbers_fit(command: Command) -> bool:
    """Every argument a finite number of its field's kind (or None where allowed): a
    session file is input, and its args reach the controller."""
    for f in fields(command):
        value = getattr(command, f.name)
        kind = str(f.type)
        if kind == "str":
            if not isinstance(value, str):
                return False
            continue
        if value is None:
            if "None" not in kind:
                return False
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if not math.isfinite(value) or (kind.startswith("int") and not isinstance(value, int)):
            return False
    return True


def args_of(command: Command) -> list[Any]:
    """The arguments an operator event records for `command` (inverse of from_action)."""
    if isinstance(command, Stop):
        return [command.grace]
    return list(astuple(command))


# ---- controller -> worker -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Share:
    """This worker's part of the population: users and stream-only sessions, the rates
    to reach them at (None: keep the last), `at_once` at a burst's edge."""

    users: int
    streams: int
    user_rate: float | None = None
    stream_rate: float | None = None
    at_once: bool = False


@dataclass(frozen=True, slots=True)
class ArrivalRate:
    """This worker's part of the open model's arrival rate (per second) and of its cap
    on requests in flight."""

    rate: float
    max_inflight: int


@dataclass(frozen=True, slots=True)
class Hold:
    """Pause (True) or resume (False) every user and arrival."""

    paused: bool


@dataclass(frozen=True, slots=True)
class Finish:
    """Stop: in-flight calls get `grace` seconds, then are cut off (a second Finish with
    a shorter grace cuts them off sooner)."""

    grace: float


@dataclass(frozen=True, slots=True)
class Allow:
    """`iterations` more this worker's users may begin (its share of an iteration count,
    engine/iterations.py); shares only grow."""

    iterations: int


WorkerCommand = Share | ArrivalRate | Hold | Finish | Allow


# ---- worker -> controller -------------------------------------------------------------

# A worker event whose data has this key asks the controller to end the run, the value
# saying why (a unique data table that ran out: engine/feeders.py).
END_RUN = "end_run"
# A worker event whose data has this key says that worker has spent its share of a
# per-iteration unique table, the value naming it: the run ends once every worker has.
DATA_USED = "data_used"
