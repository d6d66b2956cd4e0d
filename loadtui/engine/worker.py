"""A worker: one load generator running its share of a run.

It runs closed users, stream-only sessions and open-model arrivals against the target,
with its own connection pools, on its own event loop, and knows nothing of profiles,
operators or other workers: the controller (controller.py) sends it its share as
`WorkerCommand`s and asks it for one `WorkerDelta` per tick. A run on one process is a
controller with one such worker on the same loop; `--workers N` runs N of them in
worker processes, `--ray` as Ray actors, and the worker is the same object everywhere.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from time import perf_counter
from typing import Any

from loadtui.engine.arrivals import OpenArrivals
from loadtui.engine.calls import UNFINISHED
from loadtui.engine.commands import ArrivalRate, Finish, Hold, Share, WorkerCommand
from loadtui.engine.config import RunConfig
from loadtui.engine.gate import Gate
from loadtui.engine.http.poolset import PoolSet
from loadtui.engine.limits import socket_budget
from loadtui.engine.plan import Binder
from loadtui.engine.users import ClosedUsers
from loadtui.metrics.delta import WorkerDelta, WorkerLoad
from loadtui.metrics.recorder import Recorder
from loadtui.metrics.system import LoopLagMonitor, SystemSampler


class Worker:
    """Users, arrivals, HTTP and WebSocket for worker `index` of `count`."""

    def __init__(self, config: RunConfig, index: int = 0, count: int = 1) -> None:
        self.config = config
        self.index = index
        self.count = count
        self.recorder = Recorder()
        # Each worker its own stream of choices; a seeded run stays reproducible.
        seed = None if config.seed is None else config.seed * 1_000_003 + index
        self.rng = random.Random(seed)
        self.gate = Gate()
        self.rate = 0.0
        self.budget = socket_budget()
        self._clamped: tuple[int, int] | None = None
        self._finish = asyncio.Event()
        self._hurry = asyncio.Event()  # a second Finish with a shorter grace: cut off sooner
        self._grace = config.grace_s
        self._sent_load = (0, 0, 0)  # started, late, dropped as of the last delta
        self.running = False
        self.final: WorkerDelta | None = None  # the last delta, once the run has drained
        # Everything that needs no running loop is built here, so errors surface in the
        # caller's thread and commands are valid as soon as the worker exists.
        self.pools = PoolSet.for_target(config.target)
        self.binder = Binder(config.target, self.pools, self.recorder)
        plans = [self.binder.plan(c) for c in config.scenario.users]
        # User ids are unique across the fleet: worker i of n numbers i+1, i+1+n, ...
        self.users = ClosedUsers(plans, self.gate, self.rng, first_id=index + 1, id_step=count)
        self.streams = ClosedUsers(
            plans, self.gate, self.rng, stream_only=True, first_id=index + 1, id_step=count
        )
        self.arrivals = OpenArrivals(
            plans,
            self.gate,
            self.rng,
            lambda: self.rate,
            config.profile.max_inflight,
            first_id=1_000_000_000 + index,
            id_step=count,
        )
        self.sampler = SystemSampler()
        self.lag = LoopLagMonitor()

    # ---- commands -------------------------------------------------------------------

    def apply(self, command: WorkerCommand) -> None:
        """Act on a command from the controller (on this worker's loop)."""
        match command:
            case Share(users, streams, user_rate, stream_rate, at_once):
                self._want(users, streams, user_rate, stream_rate, at_once=at_once)
            case ArrivalRate(rate, max_inflight):
                self.rate = max(0.0, rate)
                self.arrivals.max_inflight = max(1, max_inflight)
            case Hold(paused=True):
                self.gate.pause()
            case Hold(paused=False):
                self.gate.resume()
            case Finish(grace):
                if self._finish.is_set():
                    if grace < self._grace:  # e.g. a second Ctrl-C
                        self._grace = grace
                        self._hurry.set()
                    return
                self._grace = grace
                self._finish.set()

    def _want(
        self,
        users: int,
        streams: int,
        u_rate: float | None,
        s_rate: float | None,
        *,
        at_once: bool = False,
    ) -> None:
        """Ask both populations for their counts, within the sockets this process may hold
        (`at_once`: move the users there now, as at a burst's edge)."""
        users, streams = max(0, users), max(0, streams)
        if users + streams > self.budget:
            over = users + streams - self.budget
            cut = min(streams, over)
            clamped = (users - (over - cut), streams - cut)
            if clamped != self._clamped:
                self.recorder.add_event(
                    "warning",
                    f"cannot hold {users} users + {streams} streams: the file-descriptor limit "
                    f"allows {self.budget} connections (ulimit -n); holding "
                    f"{clamped[0]} users + {clamped[1]} streams",
                )
            self._clamped = clamped
            users, streams = clamped
        self.users.want(users, u_rate, at_once=at_once)
        self.streams.want(streams, s_rate)

    # ---- the run --------------------------------------------------------------------

    async def run(self) -> None:
        """Run the share until a Finish; then drain, describe the end (`final`), close."""
        self.lag.start()
        self.sampler.lag = self.lag
        self.recorder.start()
        self.running = True
        loops = [
            asyncio.create_task(self.users.run()),
            asyncio.create_task(self.streams.run()),
            asyncio.create_task(self.arrivals.run()),
        ]
        try:
            await self._finish.wait()
        finally:
            for t in loops:
                t.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            await self._drain()
            # Described before the pools close: their gauges are the run's last ones.
            self.final = self.delta(final=True)
            self.lag.stop()
            await self.binder.aclose()
            await self.pools.close()
            self.running = False

    async def _drain(self) -> None:
        """Let in-flight calls finish for up to the grace period (shortened by a second
        Finish), then cancel them. Each cancelled call counts its request as `unfinished`
        (a cancelled handshake likewise); awaited here, so the final delta has them all."""
        before = self.recorder.count_errors(UNFINISHED)
        # Any: the set mixes these None tasks with the `hurry` waiter (a bool future).
        left: set[asyncio.Future[Any]] = {
            *self.users.stop_all(),
            *self.streams.stop_all(),
            *self.arrivals.pending(),
        }
        start = perf_counter()
        hurry = asyncio.ensure_future(self._hurry.wait())
        try:
            while left:
                wait_s = start + self._grace - perf_counter()
                if wait_s <= 0:
                    break
                waiting = left if hurry.done() else {*left, hurry}
                _, still = await asyncio.wait(
                    waiting, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED
                )
                left = {t for t in still if t is not hurry}
        finally:
            hurry.cancel()
        for t in left:
            t.cancel()
        await asyncio.gather(*left, return_exceptions=True)
        # Idle users were cancelled, not awaited: let them go, so the final delta counts
        # no user that is no longer there.
        gone = [t for t, _u, _i in (*self.users.live.values(), *self.streams.live.values())]
        if gone:
            await asyncio.wait(gone, timeout=1.0)
        cut = self.recorder.count_errors(UNFINISHED) - before
        if cut:
            self.recorder.add_event(
                "warning",
                f"{cut} in-flight request{'s' if cut != 1 else ''} cut off at stop "
                "(counted as unfinished)",
            )

    def delta(self, *, final: bool = False) -> WorkerDelta:
        """What happened since the last delta, with this worker's gauges now."""
        arrivals = self.arrivals
        started, late, dropped = arrivals.started, arrivals.late, arrivals.dropped
        s0, l0, d0 = self._sent_load
        self._sent_load = (started, late, dropped)
        load = WorkerLoad(
            users=self.users.count,
            streams=self.streams.count,
            users_wanted=self.users.wanted,
            streams_wanted=self.streams.wanted,
            busy=self.users.busy + arrivals.inflight,
            started=started - s0,
            late=late - l0,
            dropped=dropped - d0,
        )
        system = self.sampler.sample()
        if not self.lag.running:
            system = replace(system, loop_lag_ms=0.0)
        return self.recorder.take_delta(
            self.index, load=load, pool=self.pools.gauges(), system=system, final=final
        )
