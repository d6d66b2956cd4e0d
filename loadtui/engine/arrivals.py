"""Open model: requests start on a schedule, whatever the target is doing.

Each arrival is timed from its *intended* start, so when the target stalls the backlog
lands in the percentiles (no coordinated omission). Starts more than LATE_S behind
schedule are counted as late; starts beyond `max_inflight` are dropped and counted,
like k6's dropped_iterations.

Any rate ends on time: one loop turn starts at most TURN_STARTS arrivals (and no more
than `max_inflight` allows), the arrivals due beyond that are counted as dropped in one
step, without a loop over them, and the scheduler yields to the event loop every turn.
So `rate = 1e9` costs a bounded amount of work per turn, and a stop, a tick or a
signal's command is never kept waiting behind the schedule.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable
from time import perf_counter

from loadtui.engine.calls import UserState
from loadtui.engine.gate import Gate
from loadtui.engine.plan import ClassPlan, WeightedPicker

LATE_S = 0.010
MAX_SLEEP_S = 0.05  # re-read the rate at least this often
TURN_STARTS = 1_000  # arrivals started in one loop turn at most (~10 ms of work)
FULL_SLEEP_S = 0.001  # max_inflight reached: look again after this, do not spin
MAX_DUE = float(2**53)  # arrivals due in one turn counted at most (floats stay exact)


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
        self.plans = [p for p in plans if p.calls]
        self.gate = gate
        self.rng = rng
        self.rate = rate
        self.max_inflight = max_inflight
        self.picker = WeightedPicker([p.cls.weight for p in self.plans])
        self.idle: list[list[UserState]] = [[] for _ in self.plans]
        self.inflight = 0
        self.started = 0
        self.late = 0
        self.dropped = 0
        self._room = 0  # starts left in this loop turn
        self._tasks: set[asyncio.Task[None]] = set()
        self._next_id = first_id
        self._id_step = id_step

    async def run(self) -> None:
        """Scheduler loop; runs until cancelled."""
        if not self.plans:
            return
        last = perf_counter()
        current = 0.0  # the rate the schedule since `last` runs at
        while True:
            if self.gate.paused:
                await self.gate.wait()
                last = perf_counter()
            rate = self.rate()
            now = perf_counter()
            self._room = min(TURN_STARTS, self.max_inflight - self.inflight)
            if rate != current and current > 0:
                # A new rate (a burst's edge, a ramp, the operator) applies from now: what
                # was due before keeps the old pace, the interval under way carries over,
                # and no arrival is backdated to before the change.
                last = self._fire(last, 1.0 / current, now)
                if rate > 0:
                    last = now - (now - last) * current / rate
            current = rate
            if rate <= 0:
                await asyncio.sleep(MAX_SLEEP_S)
                last = perf_counter()
                continue
            interval = 1.0 / rate
            due = last + interval
            if due > now:
                await asyncio.sleep(min(due - now, MAX_SLEEP_S))
                continue
            last = self._fire(last, interval, now)
            full = self.inflight >= self.max_inflight
            await asyncio.sleep(FULL_SLEEP_S if full else 0)

    def _fire(self, last: float, interval: float, now: float) -> float:
        """Handle every arrival due by `now`, `interval` apart after `last`: the earliest
        ones, as many as this turn has room for, are started (timed from their intended
        start); the rest are counted as dropped. Returns the last one's intended start
        (`last` when none was due)."""
        count = (now - last) / interval  # inf at a rate like 1e308: counted, not looped
        if count < 1:
            return last
        due = math.floor(min(count, MAX_DUE))
        start = min(due, max(0, self._room))
        for k in range(1, start + 1):
            self._start(last + k * interval, now)
        self._room -= start
        self.dropped += due - start
        return last + due * interval if count < MAX_DUE else now

    def _start(self, intended: float, now: float) -> None:
        if now - intended > LATE_S:
            self.late += 1
        self.inflight += 1
        self.started += 1
        task = asyncio.get_running_loop().create_task(self._arrive(intended))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self.inflight -= 1

    async def _arrive(self, intended: float) -> None:
        i = self.picker.next()
        plan = self.plans[i]
        pool = self.idle[i]
        if pool:
            user = pool.pop()
        else:
            uid = self._next_id
            self._next_id += self._id_step
            user = UserState(uid, plan.initial_vars(uid))
            for call in plan.on_start:
                await call.run(user, perf_counter())
        await plan.pick(self.rng).run(user, intended)
        pool.append(user)

    def pending(self) -> list[asyncio.Task[None]]:
        return list(self._tasks)
