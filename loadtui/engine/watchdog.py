"""A run ends on time even when user code blocks the engine's event loop.

A Python task that calls `time.sleep(20)` (or spins) holds the loop: no tick, no stop,
no drain can run until it returns. The watchdog lives on another thread (the engine
host's side, never the loop it watches). `RunClock` knows when the run should be over:
the end its last tick announced, or when a stop was asked, plus the grace; past that
by OVERDUE_S the host gives up on the loop and ends the run from its last snapshot.
`where_blocked` names what holds the loop, read from that thread's stack.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from time import monotonic, sleep
from types import CodeType, FrameType

from loadtui.engine.pycalls import PyCall, task_name_of
from loadtui.metrics.snapshot import Snapshot

OVERDUE_S = 5.0  # past the deadline and its grace, a run is ended from outside
CHECK_S = 0.25
_PYCALL_RUN: CodeType = PyCall.run.__code__


class RunClock:
    """When a run must be over. Fed by whoever sees its ticks and sends its commands;
    plain float fields, read by the watchdog's thread without a lock."""

    def __init__(self, grace_s: float, length_s: float | None) -> None:
        now = monotonic()
        self.grace_s = grace_s
        self.last_tick = now
        self.end_at = now + length_s if length_s is not None else math.inf
        self.stop_at = math.inf

    def ticked(self, snap: Snapshot) -> None:
        """A tick came: the loop runs, and the run will end when this tick says."""
        now = monotonic()
        self.last_tick = now
        left = snap.load.run_left_s
        self.end_at = now + left if left is not None else math.inf

    def stopping(self, grace_s: float | None) -> None:
        """A stop was asked (a shorter grace, e.g. a second Ctrl-C, cuts the wait)."""
        self.stop_at = min(self.stop_at, monotonic())
        if grace_s is not None:
            self.grace_s = min(self.grace_s, grace_s)

    def give_up_at(self) -> float:
        return min(self.end_at, self.stop_at) + self.grace_s + OVERDUE_S

    def silent_for(self) -> float:
        return monotonic() - self.last_tick


class Watchdog:
    """A daemon thread: `on_overdue()` once the clock's give-up time has passed while
    `finished()` is still False; `on_stall()` when `stall_s` passed without a tick,
    until it returns True, once per stall (the console's engine child tells its parent
    what blocks its loop)."""

    def __init__(
        self,
        clock: RunClock,
        finished: Callable[[], bool],
        on_overdue: Callable[[], None],
        *,
        on_stall: Callable[[], bool] | None = None,
        stall_s: float = 2.0,
    ) -> None:
        self.clock = clock
        self.finished = finished
        self.on_overdue = on_overdue
        self.on_stall = on_stall
        self.stall_s = stall_s
        self._thread = threading.Thread(target=self._main, name="loadtui-watchdog", daemon=True)

    def start(self) -> Watchdog:
        self._thread.start()
        return self

    def _main(self) -> None:
        reported = -1.0  # the last tick before the stall already told about
        while True:
            sleep(CHECK_S)
            if self.finished():
                return
            clock = self.clock
            stalled = clock.silent_for() >= self.stall_s and clock.last_tick != reported
            if stalled and self.on_stall is not None and self.on_stall():
                reported = clock.last_tick
            if monotonic() >= clock.give_up_at():
                self.on_overdue()
                return


def where_blocked(thread_id: int | None, runner: CodeType) -> str | None:
    """What the thread `thread_id` is running, in user terms: the Python task and its
    line when user code holds it, else the innermost line; None when its event loop
    is idle (waiting in `runner`, the function that runs the loop, or in a selector)."""
    frame = sys._current_frames().get(thread_id) if thread_id is not None else None
    if frame is None:
        return "the engine's thread is gone"
    if frame.f_code is runner or frame.f_globals.get("__name__") == "selectors":
        return None
    innermost = frame
    inner: FrameType | None = None  # the frame `frame` was calling
    by_code: tuple[str, FrameType] | None = None
    while frame is not None:
        if frame.f_code is _PYCALL_RUN:
            owner = frame.f_locals.get("self")
            if isinstance(owner, PyCall):
                return f"Python task {owner.name!r} (at {_place(inner or frame)})"
        name = task_name_of(frame.f_code)
        if by_code is None and name is not None:
            by_code = (name, frame)
        inner, frame = frame, frame.f_back
    if by_code is not None:  # the task's function runs in a task of its own
        return f"Python task {by_code[0]!r} (at {_place(by_code[1])})"
    return f"engine code (at {_place(innermost)})"


def _place(frame: FrameType) -> str:
    code = frame.f_code
    return f"{Path(code.co_filename).name}:{frame.f_lineno} in {code.co_name}"
