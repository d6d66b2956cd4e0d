"""Open model: requests start on a schedule, whatever the target is doing.

Each arrival is timed from its *intended* start, so when the target stalls the backlog
lands in the percentiles (no coordinated omission). Starts more than LATE_S behind
schedule are counted as late; starts beyond `max_inflight` are dropped and counted,
like k6's dropped_iterations.

The scheduler wakes on a coarse timer and starts everything due: it never sleeps less
than TICK_S (1 ms) and never yields with a zero sleep in a loop. uvloop runs a sleep
under ~0.5 ms at once, so a scheduler that slept until each arrival spun the CPU (issue
13: many times the CPU of paced closed users at the same rate). An arrival due within
half a tick is started on this wake rather than a tick late; such an early start is
timed from when it was actually started, never from a moment before it left. So the
timer never flatters a figure, and while the loop keeps up (a wake-up every tick) it
adds half a tick at most.

Any rate ends on time: one wake starts at most TURN_STARTS arrivals (and no more than
`max_inflight` allows), the arrivals due beyond that are counted as dropped in one
step, without a loop over them. So `rate = 1e9` costs a bounded amount of work per
wake, and a stop, a tick or a signal's command is never kept waiting behind the
schedule.

Arrivals run on reused runner tasks: a runner that finishes its call waits for the
next arrival instead of ending, so a steady rate creates no Task per request. Spare
runners beyond what is in flight are let go, TRIM_STEP per wake.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import deque
from collections.abc import Callable
from time import perf_counter

from loadtui.engine.calls import UserState
from loadtui.engine.gate import Gate
from loadtui.engine.plan import ClassPlan, WeightedPicker

LATE_S = 0.010
TICK_S = 0.001  # the scheduler's shortest sleep: never less (see the module doc)
EARLY_S = TICK_S / 2  # an arrival due this soon starts on this wake
MAX_SLEEP_S = 0.02  # re-read the rate at least this often
TURN_STARTS = 1_000  # arrivals started in one wake at most (~10 ms of work)
MAX_DUE = float(2**53)  # arrivals due in one wake counted at most (floats stay exact)
PARK_MIN = 64  # idle runners always kept for the next arrivals
TRIM_STEP = 256  # idle runners let go per wake at most
INF = math.inf

# (intended start, the time the call is timed from)
Starter = Callable[[float, float], None]


class Schedule:
    """Which arrivals are due, as arithmetic on the times it is given: no clock and no
    event loop, so a test can drive it with any sequence of wake-ups."""

    def __init__(self, start: Starter) -> None:
        self._start = start
        self.last = 0.0  # the intended start of the last arrival handled
        self.current = 0.0  # the rate the schedule since `last` runs at
        self.started = 0
        self.late = 0
        self.dropped = 0
        self._room = 0  # starts left in this wake

    def restart(self, now: float) -> None:
        """Nothing is owed from before `now` (a pause has ended)."""
        self.last = now

    def turn(self, now: float, rate: float, room: int) -> float:
        """One wake at `now`: start every arrival due by now + EARLY_S at `rate`, the
        earliest `room` of them (each timed from its intended start, or from `now` when
        that is earlier), and count the rest as dropped. Returns when the next arrival
        is due (INF at rate 0)."""
        self._room = room
        current, self.current = self.current, rate
        if rate <= 0:
            self.last = now
            return INF
        if current <= 0:
            self.last = now  # a rate from nothing: the first arrival one interval on
        elif rate != current:
            # A new rate (a burst's edge, a ramp, the operator) applies from now: what
            # was due before keeps the old pace, the interval under way carries over,
            # and no arrival is backdated to before the change.
            self._fire(1.0 / current, now, now)
            self.last = now - (now - self.last) * current / rate
        interval = 1.0 / rate
        self._fire(interval, now + EARLY_S, now)
        return self.last + interval

    def _fire(self, interval: float, horizon: float, now: float) -> None:
        """Handle every arrival due by `horizon`, `interval` apart after `last`."""
        last = self.last
        count = (horizon - last) / interval  # inf at a rate like 1e308: counted, not looped
        if count < 1:
            return
        due = math.floor(min(count, MAX_DUE))
        start = min(due, max(0, self._room))
        begin = self._start
        late_before = now - LATE_S
        for k in range(1, start + 1):
            intended = last + k * interval
            if intended < late_before:
                self.late += 1
            begin(intended, intended if intended < now else now)
        self.started += start
        self._room -= start
        self.dropped += due - start
        self.last = last + due * interval if count < MAX_DUE else horizon


class OpenArrivals:
    def __init__(
        self,
        plans: list[ClassPlan],
        gate: Gate,
        rng: random.Random,
        rate: Callable[[], float],
        max_inflight: int,
        *,
        first_id: int = 1_000_000_000,  # apart from closed-model user ids
        id_step: int = 1,
    ) -> None:
        self.plans = [p for p in plans if p.calls and not p.starved]  # starved: plan.py
        self.gate = gate
        self.rng = rng
        self.rate = rate
        self.max_inflight = max_inflight
        self.picker = WeightedPicker([p.cls.weight for p in self.plans])
        self.idle: list[list[UserState]] = [[] for _ in self.plans]
        self.inflight = 0
        self.schedule = Schedule(self._start)
        self._runners: set[asyncio.Task[None]] = set()
        self._parked: deque[asyncio.Future[float | None]] = deque()  # idle runners
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next_id = first_id
        self._id_step = id_step

    @property
    def started(self) -> int:
        return self.schedule.started

    @property
    def late(self) -> int:
        return self.schedule.late

    @property
    def dropped(self) -> int:
        return self.schedule.dropped

    async def run(self) -> None:
        """Scheduler loop; runs until cancelled."""
        if not self.plans:
            return
        self._loop = asyncio.get_running_loop()
        schedule = self.schedule
        try:
            while True:
                if self.gate.paused:
                    await self.gate.wait()
                    schedule.restart(perf_counter())
                room = min(TURN_STARTS, self.max_inflight - self.inflight)
                next_at = schedule.turn(perf_counter(), self.rate(), room)
                self._trim()
                delay = next_at - EARLY_S - perf_counter()
                await asyncio.sleep(TICK_S if delay < TICK_S else min(delay, MAX_SLEEP_S))
        finally:
            self._close()

    def _start(self, _intended: float, started: float) -> None:
        """Hand one arrival to an idle runner, or to a new one."""
        self.inflight += 1
        parked = self._parked
        while parked:
            waiter = parked.pop()  # the most recent: its frames are still warm
            if not waiter.done():
                waiter.set_result(started)
                return
        assert self._loop is not None
        task = self._loop.create_task(self._runner(started))
        self._runners.add(task)
        task.add_done_callback(self._runners.discard)

    async def _runner(self, started: float | None) -> None:
        """Run arrivals one after another: a call, then wait for the next arrival (None:
        this runner is no longer needed)."""
        plans, idle, rng, parked = self.plans, self.idle, self.rng, self._parked
        single = len(plans) == 1
        loop = asyncio.get_running_loop()
        while started is not None:
            try:
                i = 0 if single else self.picker.next()
                plan, users = plans[i], idle[i]
                if users:
                    user = users.pop()
                else:
                    uid = self._next_id
                    self._next_id += self._id_step
                    user = UserState(uid, plan.initial_vars(uid))
                    for call in plan.on_start:
                        await call.run(user, perf_counter())
                user.iteration += 1  # an arrival is an iteration: a task, or a flow's pass
                if plan.sequence:
                    await plan.run_pass(user, started, rng)
                else:
                    await plan.pick(rng).run(user, started)
                users.append(user)
            finally:
                self.inflight -= 1
            if self._closing:
                return
            waiter: asyncio.Future[float | None] = loop.create_future()
            parked.append(waiter)
            started = await waiter

    def _trim(self) -> None:
        """Let go of the oldest idle runners beyond max(PARK_MIN, in flight)."""
        parked = self._parked
        spare = len(parked) - max(PARK_MIN, self.inflight)
        for _ in range(min(spare, TRIM_STEP)):
            waiter = parked.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def _close(self) -> None:
        """Take no more arrivals: idle runners end, busy ones end after their call."""
        self._closing = True
        parked = self._parked
        while parked:
            waiter = parked.pop()
            if not waiter.done():
                waiter.set_result(None)

    def pending(self) -> list[asyncio.Task[None]]:
        """Stop taking arrivals; the runners, which end once their call (if any) is done."""
        self._close()
        return list(self._runners)
