"""Closed model: virtual users that each run one task at a time, with think time.

The spawner moves the live user count toward the wanted count at the spawn rate, up
and down, so stages and operator actions ramp the same way; a burst's edges move it at
once instead (`want(..., at_once=True)`). Either way one step starts or retires at most
TURN_USERS users and then yields, so no spawn rate or user count can hold the event
loop (a stop, a tick) for longer than that much work.

A user runs its class's tasks picked by weight, or as an ordered flow (a pass of every
step in order, then another). Each pick, or pass, is an iteration: counted in
`user.iteration`, and begun only while the worker's `Allowance` lasts when the run
counts iterations (engine/iterations.py). A user asked to stop (retired, or the run
stopping) runs its class's on_stop steps on its way out: an idle one is woken by a
cancellation it recognises as the request (`_user`), a busy one finishes its call
first; a run's stop cuts both off after its grace (their requests count unfinished).
"""

from __future__ import annotations

import asyncio
import random
from time import perf_counter

from loadtui.engine.calls import UserState, sleep_honoured
from loadtui.engine.driven import DrivenUser, driven_eligible
from loadtui.engine.gate import Gate
from loadtui.engine.iterations import Allowance
from loadtui.engine.plan import ClassPlan, WeightedPicker, think_time

SPAWN_STEP_S = 0.05
TURN_USERS = 1_000  # users started or retired per step at most (20,000/s)
CLOSE_WAIT_S = 3.0  # a stopping user's stream may take this long to close


class ClosedUsers:
    """A population of virtual users. `stream_only`: the operator's extra streaming
    sessions, drawn from classes with a websocket, which only log in and stream."""

    def __init__(
        self,
        plans: list[ClassPlan],
        gate: Gate,
        rng: random.Random,
        *,
        stream_only: bool = False,
        first_id: int = 1,
        id_step: int = 1,
        allowance: Allowance | None = None,
    ) -> None:
        self.stream_only = stream_only
        self.allowance = allowance or Allowance()
        if stream_only:
            self.plans = [p for p in plans if p.stream is not None]
        else:
            self.plans = [p for p in plans if p.calls or p.on_start or p.stream is not None]
        self.gate = gate
        self.rng = rng
        self.picker = WeightedPicker([p.cls.weight for p in self.plans])
        self.live: dict[int, tuple[asyncio.Task[None], UserState, int]] = {}
        self.wanted = 0
        self.spawn_rate = 1.0
        self._next_id = first_id  # ids first_id, +id_step, ...: unique across a fleet
        self._id_step = id_step
        self._budget = 0.0
        self._owed = 0  # users a burst's edge moves at once, beyond this step's share
        self._leaving: set[asyncio.Task[None]] = set()  # retired, finishing a call or on_stop
        self._asked: set[int] = set()  # ids of idle users woken by a cancel to leave
        self._past_iterations = 0  # of the users no longer in `live`

    @property
    def count(self) -> int:
        return len(self.live)

    @property
    def busy(self) -> int:
        return sum(1 for _, u, _ in self.live.values() if u.busy)

    @property
    def starved(self) -> bool:
        """Every class whose users iterate is starved of its data here (plan.py): no
        user of this population can begin an iteration."""
        iterating = [p for p in self.plans if p.calls]
        return bool(iterating) and all(p.starved for p in iterating)

    def iterations(self) -> int:
        """Iterations begun by every user so far, those gone included."""
        return self._past_iterations + sum(u.iteration for _, u, _ in self.live.values())

    def want(self, users: int, spawn_rate: float | None, *, at_once: bool = False) -> None:
        """Ask for `users`, reached at the spawn rate; `at_once` (a burst's edge) starts the
        missing users now, or retires the extra ones now (idle ones are cancelled, busy
        ones finish their call first but no longer count)."""
        self.wanted = max(0, users)
        if spawn_rate:
            self.spawn_rate = spawn_rate
        if at_once and self.plans:  # called on the engine's loop, like the spawner
            self._budget = 0.0
            gap = self.wanted - len(self.live)
            self._owed = abs(gap)  # what this step leaves, the next steps move at once
            self._step(gap, self._owed)

    async def run(self) -> None:
        """Spawner loop; runs until cancelled."""
        if not self.plans:
            return
        last = perf_counter()
        while True:
            await asyncio.sleep(SPAWN_STEP_S)
            now = perf_counter()
            dt, last = now - last, now
            gap = self.wanted - len(self.live)
            if gap == 0:
                self._budget, self._owed = 0.0, 0
                continue
            self._budget = min(self._budget + self.spawn_rate * dt, max(1.0, self.spawn_rate))
            self._step(gap, max(int(self._budget), self._owed))

    def _step(self, gap: int, allowed: int) -> None:
        """Move toward the wanted count by up to `allowed` users, TURN_USERS at most."""
        n = min(abs(gap), allowed, TURN_USERS)
        if n == 0:
            return
        self._budget = max(0.0, self._budget - n)
        self._owed = max(0, self._owed - n)
        self._move(n if gap > 0 else -n)

    def _move(self, n: int) -> None:
        """Start n users (n > 0) or retire -n of them (n < 0)."""
        if n > 0:
            for _ in range(n):
                self._spawn()
        elif n < 0:
            self._retire(-n)

    def _spawn(self) -> None:
        idx = self.picker.next()
        plan = self.plans[idx]
        uid = self._next_id
        self._next_id += self._id_step
        user = UserState(uid, plan.initial_vars(uid))
        task = asyncio.get_running_loop().create_task(self._user(plan, user))
        self.live[uid] = (task, user, idx)
        task.add_done_callback(lambda _t: self._gone(uid))  # uid: this call's own local

    def _gone(self, uid: int) -> None:
        self._asked.discard(uid)
        entry = self.live.pop(uid, None)
        if entry is not None:
            self._past_iterations += entry[1].iteration
            self.picker.release(entry[2])

    def _leaves_slowly(self, plan: ClassPlan) -> bool:
        """Whether a user of `plan` has steps to run on its way out."""
        return bool(plan.on_stop) and not self.stream_only

    def _stop(self, task: asyncio.Task[None], user: UserState, idx: int) -> bool:
        """Ask one user to stop; True when it needs time to finish (a call in flight, its
        on_stop steps, or a stream's close handshake, which a cancelled stream performs
        on its way out). A call in flight is left to finish (a run's stop cuts it off
        after the grace, and counts it as unfinished); the user then stops at its next
        check. An idle user is cancelled: one with on_stop steps takes that as the
        request to leave and runs them (see `_user`)."""
        plan = self.plans[idx]
        if user.stopping:  # already on its way out
            return not task.done()
        user.stopping = True
        if not user.busy:
            if self._leaves_slowly(plan):
                self._asked.add(user.id)
            task.cancel()
        return user.busy or plan.stream is not None or self._leaves_slowly(plan)

    def _retire(self, n: int) -> None:
        """Stop the newest n users: idle ones at once, the others after their call (both
        after their on_stop steps)."""
        for uid in list(self.live)[-n:]:
            task, user, idx = self.live.pop(uid)
            self._past_iterations += user.iteration  # it begins no more
            self.picker.release(idx)
            if self._stop(task, user, idx):
                self._leaving.add(task)
                task.add_done_callback(self._leaving.discard)

    def stop_all(self) -> list[asyncio.Task[None]]:
        """Ask every user to stop; returns the tasks still finishing a call, their on_stop
        steps or a stream (retired users still on their way out included)."""
        lingering = [t for t, u, i in self.live.values() if self._stop(t, u, i)]
        self.wanted = 0
        return [*lingering, *(t for t in self._leaving if not t.done())]

    async def _user(self, plan: ClassPlan, user: UserState) -> None:
        if plan.starved:  # no row of its data on this worker: it waits to be stopped
            await asyncio.get_running_loop().create_future()
        if not await self._start(plan, user):
            return
        if not self._leaves_slowly(plan):
            await self._run(plan, user)
            return
        try:
            await self._run(plan, user)
        except asyncio.CancelledError:
            # Leave only on the cancel that asked this idle user to stop: one that cut
            # it off (the grace ran out, maybe on top of that request) goes through.
            task = asyncio.current_task()
            if user.id not in self._asked or task is None or task.cancelling() != 1:
                raise
            self._asked.discard(user.id)
            task.uncancel()
        if user.stopping:
            await self._leave(plan, user)

    async def _start(self, plan: ClassPlan, user: UserState) -> bool:
        """The on_start steps, in order; False when the user was stopped meanwhile."""
        gate = self.gate
        for call in plan.on_start:
            await gate.wait()
            if user.stopping:
                return False
            user.busy = True
            wait = await call.run(user, perf_counter())
            user.busy = False
            if wait:
                await sleep_honoured(wait, call, user)
        return not user.stopping  # False: asked to stop during its last on_start call

    async def _leave(self, plan: ClassPlan, user: UserState) -> None:
        """The on_stop steps, in order, as the user goes: through a pause, and without
        waiting out a Retry-After (it is stopping)."""
        for call in plan.on_stop:
            user.busy = True
            try:
                await call.run(user, perf_counter())
            finally:
                user.busy = False

    async def _run(self, plan: ClassPlan, user: UserState) -> None:
        """The user's life after on_start: its stream and its tasks, until it stops."""
        gate = self.gate
        stream = plan.stream
        if stream is not None and (self.stream_only or not plan.calls):
            await stream.run(user, gate)
            # Reconnects ran out: stay, streamless, until stopped (a user that ended here
            # would be respawned at once and retry at the spawn rate).
            await asyncio.get_running_loop().create_future()
        if not plan.calls:
            return
        loop = asyncio.get_running_loop()
        streaming = loop.create_task(stream.run(user, gate)) if stream else None
        try:
            # The same loop run from completion callbacks (driven.py) where the class
            # allows it; a counted run (-i) keeps to this one, which takes its shares.
            if not self.allowance.limited and driven_eligible(plan):
                await DrivenUser(plan, user, self.gate, self.rng).run()
            else:
                await self._tasks(plan, user)
        finally:
            if streaming is not None and not streaming.done():
                streaming.cancel()  # the stream closes its session on the way out
                await asyncio.wait({streaming}, timeout=CLOSE_WAIT_S)

    async def _tasks(self, plan: ClassPlan, user: UserState) -> None:
        """The task loop: pick (or take the flow's next step), call, think, until the
        user is asked to stop. An iteration begins with a pick, or a pass's first step."""
        gate, rng, allowance = self.gate, self.rng, self.allowance
        calls, sequence, counted = plan.calls, plan.sequence, allowance.limited
        kind = plan.wait.kind
        pacing = plan.wait.a if kind == "pacing" else 0.0
        next_start = perf_counter()
        spins = 0
        step = 0  # the flow's next step; 0: an iteration begins
        running = False  # an iteration of the count is under way
        try:
            while not user.stopping:
                if gate.paused:
                    await gate.wait()
                    next_start = perf_counter()
                if step == 0:
                    if counted:
                        if not allowance.take():
                            await allowance.wait()  # the share is spent: wait for more
                            continue
                        running = True
                    user.iteration += 1
                    if sequence:
                        plan.begin_pass(user)
                if pacing:
                    delay = next_start - perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    next_start = max(next_start + pacing, perf_counter())
                call = calls[step] if sequence else plan.pick(rng)
                user.busy = True
                wait = await call.run(user, perf_counter())
                user.busy = False
                if sequence:
                    step = (step + 1) % len(calls)
                if running and step == 0:
                    running = False
                    allowance.end()
                if user.stopping:
                    return
                if wait:
                    await sleep_honoured(wait, call, user)
                if kind not in ("none", "pacing"):
                    await asyncio.sleep(think_time(plan.wait, rng))
                else:
                    # HTTP calls always await the pool, so the loop gets its turn; a Python
                    # task that awaits nothing would not: yield every 64 calls regardless
                    # (a yield per call cost ~8 % of the native path's throughput).
                    spins += 1
                    if not spins & 63:
                        await asyncio.sleep(0)
        finally:
            if running:  # cut off mid-iteration: it is over all the same
                allowance.end()
