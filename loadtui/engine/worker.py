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
from time import perf_counter
from typing import Any

from loadtui.engine.arrivals import OpenArrivals
from loadtui.engine.calls import UNFINISHED
from loadtui.engine.commands import Allow, ArrivalRate, Finish, Hold, Share, WorkerCommand
from loadtui.engine.config import RunConfig
from loadtui.engine.feeders import FeederEvents, load_feeders
from loadtui.engine.gate import Gate
from loadtui.engine.http.connections import CONNECT_RATE
from loadtui.engine.http.poolset import PoolSet
from loadtui.engine.iterations import Allowance
from loadtui.engine.limits import Sockets, fit_sockets, socket_budget
from loadtui.engine.plan import Binder
from loadtui.engine.split import split
from loadtui.engine.users import ClosedUsers
from loadtui.engine.uservars import Values
from loadtui.metrics.delta import WorkerDelta, WorkerLoad
from loadtui.metrics.recorder import Recorder
from loadtui.metrics.snapshot import EventKind
from loadtui.metrics.system import LoopLagMonitor, SystemSampler

WARMUP_LIMIT_S = 30.0  # a warm-up gives up after this long (the run then starts anyway)


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
        self._held_http: int | None = None  # the pool's size the budget holds it to
        self._warmed = False
        self._warm_note: tuple[EventKind, str] | None = None  # said at t = 0
        self._finish = asyncio.Event()
        self._hurry = asyncio.Event()  # a second Finish with a shorter grace: cut off sooner
        self._grace = config.grace_s
        self._sent_load = (0, 0, 0, 0)  # started, late, dropped, iterations at the last delta
        self.running = False
        self.final: WorkerDelta | None = None  # the last delta, once the run has drained
        # Everything that needs no running loop is built here, so errors surface in the
        # caller's thread and commands are valid as soon as the worker exists.
        self.pools = PoolSet.for_target(config.target)
        if config.profile.model == "open":  # arrivals wait for no user: connects are paced
            self.pools.connect_rate = CONNECT_RATE
        # This worker's share of each [data] file, read once (engine/feeders.py).
        events = FeederEvents(self.recorder, self.gate, index, count)
        values = Values(load_feeders(config.scenario.data, self.rng, events), self.rng)
        self.binder = Binder(config.target, self.pools, self.recorder, values)
        plans = [self.binder.plan(c) for c in config.scenario.users]
        # This worker's share of an iteration count (-i), handed out by the controller.
        self.allowance = Allowance(limited=config.profile.iterations is not None)
        # User ids are unique across the fleet: worker i of n numbers i+1, i+1+n, ...
        self.users = ClosedUsers(
            plans,
            self.gate,
            self.rng,
            first_id=index + 1,
            id_step=count,
            allowance=self.allowance,
        )
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
            case Allow(iterations):
                self.allowance.grant(iterations)
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
        fit, share = self._fit(users, streams)
        if (fit.users, fit.streams) != (users, streams):
            clamped = (fit.users, fit.streams)
            if clamped != self._clamped:
                self.recorder.add_event(
                    "warning",
                    f"cannot hold {users} users + {streams} streams: the file-descriptor limit "
                    f"allows {self.budget} connections (ulimit -n) and each WebSocket stream "
                    f"holds one; holding {clamped[0]} users + {clamped[1]} streams",
                )
            self._clamped = clamped
            users, streams = clamped
        self._hold_pool(fit, share)
        self.users.want(users, u_rate, at_once=at_once)
        self.streams.want(streams, s_rate)

    def _fit(self, users: int, streams: int) -> tuple[Sockets, float]:
        """Users and streams fitted to the socket budget, counting connections (see
        limits.py), and the share of users that stream."""
        plans = self.users.plans
        total = sum(p.cls.weight for p in plans)
        share = sum(p.cls.weight for p in plans if p.stream is not None) / total if total else 0.0
        http = any(p.calls or p.on_start for p in plans)
        size = self.config.target.max_connections
        fit = fit_sockets(
            self.budget, users, streams, stream_share=share, pool_size=size, http=http
        )
        return fit, share

    def _hold_pool(self, fit: Sockets, share: float) -> None:
        """Hold the HTTP pool to the sockets the streams leave: users beyond its size wait
        for a connection, they need no socket of their own."""
        size = self.config.target.max_connections
        held = fit.http if 0 < fit.http < size else None
        self.pools.limit(held)
        if held is not None and held != self._held_http and fit.users > held:
            self.recorder.add_event(
                "warning",
                f"the file-descriptor limit ({self.budget} connections, ulimit -n) leaves "
                f"{held} HTTP connections beside {fit.stream_sockets(share)} streams "
                f"(max_connections = {size}): users beyond them wait for a connection",
            )
        self._held_http = held

    async def warm_up(self) -> None:
        """Before t = 0 (a link awaits it before the run starts; `run` makes sure): hold
        the pools to the socket budget and open this worker's share of the profile's
        `warmup` connections, so the first arrivals find them open instead of connecting
        all at once. Runs once, for WARMUP_LIMIT_S at most; what it did is said at t = 0."""
        if self._warmed:
            return
        self._warmed = True
        self._hold_pool(*self._fit(self.users.wanted, self.streams.wanted))
        want = split(self.config.profile.warmup, self.count)[self.index]
        target = self.config.target
        if want and target.http2:
            self._warm_note = ("info", "warm-up skipped: it opens HTTP/1.1 connections")
        elif want:
            pool = self.pools.pool_for(target.url)
            before = pool.gauges()
            t0 = perf_counter()
            opened, error = await pool.warm(want, WARMUP_LIMIT_S)
            took = perf_counter() - t0
            after = pool.gauges()
            made = after["connects"] - before["connects"]
            spent = after["connect_time_total_s"] - before["connect_time_total_s"]
            mean = f", mean connect {spent / made * 1000:.1f} ms" if made else ""
            note = f"warm-up: opened {opened} of {want} connections in {took:.2f} s{mean}"
            if opened < want:
                why = error or f"the pool holds {pool.max_connections}"
                self._warm_note = ("warning", f"{note} ({why})")
            else:
                self._warm_note = ("info", note)
        self.pools.mark()

    # ---- the run --------------------------------------------------------------------

    async def run(self) -> None:
        """Run the share until a Finish; then drain, describe the end (`final`), close."""
        await self.warm_up()
        self.lag.start()
        self.sampler.lag = self.lag
        self.recorder.start()
        if self._warm_note is not None:
            self.recorder.add_event(*self._warm_note)
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
        iterations = self.users.iterations() + started  # an arrival is an iteration
        s0, l0, d0, i0 = self._sent_load
        self._sent_load = (started, late, dropped, iterations)
        allowance = self.allowance
        if allowance.limited and (self.users.wanted == 0 or self.users.starved):
            allowance.give_back()  # no user is left here to use it: others may
        load = WorkerLoad(
            users=self.users.count,
            streams=self.streams.count,
            users_wanted=self.users.wanted,
            streams_wanted=self.streams.wanted,
            busy=self.users.busy + arrivals.inflight,
            started=started - s0,
            late=late - l0,
            dropped=dropped - d0,
            iterations=iterations - i0,
            iterating=allowance.running,
            allowance_begun=allowance.begun,
            allowance_returned=allowance.returned,
        )
        # Loop lag by 100 ms windows since the last delta (zeros once the monitor stopped).
        system = self.sampler.sample()
        return self.recorder.take_delta(
            self.index, load=load, pool=self.pools.gauges(), system=system, final=final
        )
