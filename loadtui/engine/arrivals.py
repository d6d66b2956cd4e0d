"""Open model: requests start on a schedule, whatever the target is doing.

Each arrival is timed from its *intended* start, so when the target stalls the backlog
lands in the percentiles (no coordinated omission). Starts more than LATE_S behind
schedule are counted as late; starts beyond `max_inflight` are dropped and counted,
like k6's dropped_iterations.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from time import perf_counter

from loadtui.engine.calls import UserState
from loadtui.engine.gate import Gate
from loadtui.engine.plan import ClassPlan, WeightedPicker

LATE_S = 0.010
MAX_SLEEP_S = 0.05  # re-read the rate at least this often


class OpenArrivals:
    def __init__(
        self,
        plans: list[ClassPlan],
        gate: Gate,
        rng: random.Random,
        rate: Callable[[], float],
        max_inflight: int,
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
        self._tasks: set[asyncio.Task[None]] = set()
        self._next_id = 1_000_000_000  # apart from closed-model user ids

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
            await asyncio.sleep(0)

    def _fire(self, last: float, interval: float, now: float) -> float:
        """Start every arrival due by `now`, `interval` apart after `last`; returns the
        last one's intended start (or `last` when none was due)."""
        due = last + interval
        while due <= now:
            self._start(due, now)
            last = due
            due += interval
        return last

    def _start(self, intended: float, now: float) -> None:
        if self.inflight >= self.max_inflight:
            self.dropped += 1
            return
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
            self._next_id += 1
            user = UserState(uid, plan.initial_vars(uid))
            for call in plan.on_start:
                await call.run(user, perf_counter())
        await plan.pick(self.rng).run(user, intended)
        pool.append(user)

    def pending(self) -> list[asyncio.Task[None]]:
        return list(self._tasks)
