"""The engine: runs a scenario against a target, steered live, one snapshot per tick.

Profiles and operators drive the same command API (`set_users`, `set_rate`, `pause`,
`resume`, `next_stage`, `follow_profile`, `stop`), so a run is one timeline of events.
Every method here runs on the engine's own event loop; see `host.EngineHost` for
calling them from another thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections.abc import Callable
from dataclasses import replace
from time import perf_counter
from typing import Any

from loadtui.engine.arrivals import OpenArrivals
from loadtui.engine.calls import UNFINISHED
from loadtui.engine.config import RunConfig as RunConfig  # re-exported: callers import it here
from loadtui.engine.gate import Gate
from loadtui.engine.http.poolset import PoolSet
from loadtui.engine.limits import socket_budget
from loadtui.engine.plan import Binder
from loadtui.engine.saturation import SaturationWatch
from loadtui.engine.schedule import describe_stage, stage_at, stage_start
from loadtui.engine.users import ClosedUsers
from loadtui.engine.walker import ProfileWalker, Step
from loadtui.metrics.recorder import Recorder
from loadtui.metrics.snapshot import LoadState, RunState, Snapshot
from loadtui.metrics.system import LoopLagMonitor, SystemSampler
from loadtui.scenario.userinfo import redact_url

FOLLOW_STEP_S = 0.05
SCRIPTABLE = frozenset(
    {
        "set_users",
        "set_rate",
        "set_streams",
        "pause",
        "resume",
        "follow_profile",
        "next_stage",
        "stop",
    }
)


class Engine:
    def __init__(self, config: RunConfig, on_snapshot: Callable[[Snapshot], None]) -> None:
        self.config = config
        self.profile = config.profile
        self.on_snapshot = on_snapshot
        self.recorder = Recorder()
        self.rng = random.Random(config.seed)
        self.state: RunState = "starting"
        self.following = True
        self.manual_rate = 0.0
        self.final: Snapshot | None = None
        self.walker = ProfileWalker(self.profile)
        self._skip = 0.0
        self._t0 = 0.0
        self._stop = asyncio.Event()
        self._hurry = asyncio.Event()  # a second stop with a shorter grace: cut off sooner
        self.gate = Gate()
        self._grace = config.grace_s
        # Everything that needs no running loop is built here, so errors surface in the
        # caller's thread and commands are valid as soon as the engine exists.
        cfg = config
        self.pools = PoolSet.for_target(cfg.target)
        self.binder = Binder(cfg.target, self.pools, self.recorder)
        plans = [self.binder.plan(c) for c in cfg.scenario.users]
        self.users = ClosedUsers(plans, self.gate, self.rng)
        self.streams = ClosedUsers(plans, self.gate, self.rng, stream_only=True)
        self.budget = socket_budget()
        self._clamped: tuple[int, int] | None = None
        self.arrivals = OpenArrivals(
            plans, self.gate, self.rng, self.current_rate, self.profile.max_inflight
        )
        self.sampler = SystemSampler(target_pids=cfg.target_pids)
        self.saturation = SaturationWatch()

    # ---- clocks ---------------------------------------------------------------------

    def elapsed(self) -> float:
        return perf_counter() - self._t0 if self._t0 else 0.0

    def profile_time(self) -> float:
        return self.elapsed() - self.gate.paused_so_far() + self._skip

    def time_left(self) -> float:
        """Seconds until the run ends by itself (see RunConfig.duration): `-t` counts wall
        time, pauses included; a profile its own time, pauses excluded, skips included."""
        if self.config.duration is not None:
            return self.config.duration - self.elapsed()
        return (self.profile.duration or math.inf) - self.profile_time()

    def current_rate(self) -> float:
        if not self.following:
            return self.manual_rate
        if self.profile.model != "open":
            return 0.0
        return self.walker.rate(self.profile_time())

    # ---- commands (operator or profile) ---------------------------------------------

    def set_users(self, users: int, spawn_rate: float | None = None) -> None:
        self.following = False
        self._want(users, self.streams.wanted, spawn_rate, None)
        rate = spawn_rate or self.users.spawn_rate
        self._event(
            "operator",
            f"set users to {users} at {rate:g}/s",
            action="set_users",
            args=[users, spawn_rate],
            users=users,
            rate=rate,
        )

    def set_streams(self, streams: int, spawn_rate: float | None = None) -> None:
        """Open or close stream-only sessions (classes with a websocket) to `streams`."""
        self.following = False
        self._want(self.users.wanted, streams, None, spawn_rate or max(float(streams), 1.0))
        self._event(
            "operator",
            f"set streams to {streams}",
            action="set_streams",
            args=[streams, spawn_rate],
            streams=streams,
        )

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
                self._event(
                    "warning",
                    f"cannot hold {users} users + {streams} streams: the file-descriptor limit "
                    f"allows {self.budget} connections (ulimit -n); holding "
                    f"{clamped[0]} users + {clamped[1]} streams",
                )
            self._clamped = clamped
            users, streams = clamped
        self.users.want(users, u_rate, at_once=at_once)
        self.streams.want(streams, s_rate)

    def set_rate(self, rate: float) -> None:
        self.following = False
        self.manual_rate = max(0.0, rate)
        self._event(
            "operator", f"set arrival rate to {rate:g}/s", action="set_rate", args=[rate], rate=rate
        )

    def pause(self) -> None:
        if self.gate.pause():
            self.state = "paused"
            self._event("operator", "paused", action="pause", args=[])

    def resume(self) -> None:
        if self.gate.resume():
            self.state = "running"
            self._event("operator", "resumed", action="resume", args=[])

    def follow_profile(self) -> None:
        self.following = True
        self._event("operator", "following the profile again", action="follow_profile", args=[])

    def next_stage(self, stage: int | None = None) -> None:
        """Skip the rest of this stage. A re-run passes the recorded `stage` (0-based) to
        land at that stage's start even if its clock runs a hair behind or ahead."""
        t = self.profile_time()
        point = stage_at(self.profile, t)
        if point is None:
            return
        to = point.index + 1 if stage is None else stage
        self._skip += max(0.0, stage_start(self.profile, to) - t)
        self._event("operator", f"skipped to stage {to + 1}", action="next_stage", args=[to])

    def stop(self, grace: float | None = None, reason: str = "stopped by operator") -> None:
        if self._stop.is_set():
            if grace is not None and grace < self._grace:  # e.g. a second Ctrl-C
                self._grace = grace
                self._hurry.set()
                self._event("operator" if "operator" in reason else "info", reason)
            return
        if grace is not None:
            self._grace = grace
        self.state = "stopping"
        by_operator = "operator" in reason
        self._event(
            "operator" if by_operator else "info",
            reason,
            stopping=True,  # where the run ended: a re-run stops there too
            **({"action": "stop", "args": [grace]} if by_operator else {}),
        )
        self._stop.set()

    # ---- the run --------------------------------------------------------------------

    async def run(self) -> Snapshot:
        """Run until the profile ends or stop() is called; returns the final snapshot."""
        cfg = self.config
        self.lag = LoopLagMonitor()
        self.lag.start()
        self._t0 = perf_counter()
        self.recorder.start()
        self.state = "running"
        against = redact_url(cfg.target.url)
        self._event("info", f"run started: profile {self.profile.name} against {against}")
        loops = [
            asyncio.create_task(self.users.run()),
            asyncio.create_task(self.streams.run()),
            asyncio.create_task(self.arrivals.run()),
            asyncio.create_task(self._follow()),
            asyncio.create_task(self._ticks()),
            asyncio.create_task(self._script()),
        ]
        try:
            await self._stop.wait()
        finally:
            for t in loops:
                t.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            await self._drain()
            self.state = "stopped"
            self.final = self._tick()
            self.lag.stop()
            await self.binder.aclose()
            await self.pools.close()
        return self.final

    async def _drain(self) -> None:
        """Let in-flight calls finish for up to the grace period (shortened by a second
        stop), then cancel them. Each cancelled call counts its request as `unfinished`
        (a cancelled handshake likewise); awaited here, so the final tick has them all."""
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
        # Idle users were cancelled, not awaited: let them go, so the final tick counts
        # no user that is no longer there.
        gone = [t for t, _u, _i in (*self.users.live.values(), *self.streams.live.values())]
        if gone:
            await asyncio.wait(gone, timeout=1.0)
        cut = self.recorder.count_errors(UNFINISHED) - before
        if cut:
            self._event(
                "warning",
                f"{cut} in-flight request{'s' if cut != 1 else ''} cut off at stop "
                "(counted as unfinished)",
            )

    async def _follow(self) -> None:
        """Walk the profile: stage changes, bursts, and the end of the run."""
        while True:
            if self.time_left() <= 0:
                self.stop(reason="run finished")
                return
            step = self.walker.step(self.profile_time(), self.users.count)
            if step is not None:
                self._apply(step)
            await asyncio.sleep(FOLLOW_STEP_S)

    def _apply(self, step: Step) -> None:
        """Events for what changed, then the levels (unless the operator has taken over)."""
        point = step.point
        if step.new_stage:
            self._event(
                "stage",
                f"stage {point.index + 1}/{point.count}: "
                f"{describe_stage(self.profile, point.stage)}",
                stage=point.index,
            )
        if step.burst_edge:
            self._event("stage", "burst started" if step.in_burst else "burst ended")
        if not self.following:
            return
        spawn = step.spawn_rate or None
        if step.jump_to is not None:
            self._want(step.jump_to, self.streams.wanted, spawn, None, at_once=True)
        if (step.users, step.streams) != (self.users.wanted, self.streams.wanted):
            self._want(step.users, step.streams, spawn, max(float(step.streams), spawn or 1.0))

    async def _script(self) -> None:
        """Replay recorded operator actions at their recorded offsets: wall-clock seconds
        since the start, like the events they come from (pauses and skips included)."""
        for at, action, args in self.config.script:
            if action not in SCRIPTABLE:
                continue
            delay = at - self.elapsed()
            if delay > 0:
                await asyncio.sleep(delay)
            getattr(self, action)(*args)

    async def _ticks(self) -> None:
        step = self.config.tick_s
        next_at = perf_counter() + step
        while True:
            await asyncio.sleep(max(0.0, next_at - perf_counter()))
            next_at += step
            self._tick()

    def _tick(self) -> Snapshot:
        system = self.sampler.sample()
        system = replace(system, loop_lag_ms=self.lag.take_max_ms())
        warnings = self.saturation.update(system, self.elapsed())
        for w in self.saturation.new_messages():
            self._event("warning", w)
        snap = self.recorder.tick(
            load=self.load_state(), pool=self.pools.gauges(), system=system, warnings=warnings
        )
        self.on_snapshot(snap)
        return snap

    def load_state(self) -> LoadState:
        t = self.profile_time()
        point = stage_at(self.profile, t)  # None once over (or held past its end by -t)
        run_left = self.time_left()
        left = min(point.end - t if point else math.inf, run_left)
        return LoadState(
            state=self.state,
            model=self.profile.model,
            profile=self.profile.name,
            users=self.users.count,
            users_target=self.users.wanted,
            rate=self.current_rate(),
            inflight=self.users.busy + self.arrivals.inflight,
            late_starts=self.arrivals.late,
            dropped=self.arrivals.dropped,
            stage=point.index if point else -1,
            stages=point.count if point else len(self.profile.stages),
            stage_left_s=max(0.0, left) if math.isfinite(left) else 0.0,
            run_left_s=max(0.0, run_left) if math.isfinite(run_left) else None,
            following_profile=self.following,
            streams=self.streams.count,
            streams_target=self.streams.wanted,
        )

    def saturation_periods(self) -> list[tuple[float, float]]:
        return self.saturation.all_periods(self.elapsed())

    def _event(self, kind: str, message: str, **data: object) -> None:
        self.recorder.add_event(kind, message, **data)  # type: ignore[arg-type]


async def run_until_done(config: RunConfig, on_snapshot: Callable[[Snapshot], None]) -> Snapshot:
    """Convenience for tests and scripts: run one engine on the current loop."""
    engine = Engine(config, on_snapshot)
    with contextlib.suppress(asyncio.CancelledError):
        return await engine.run()
    assert engine.final is not None
    return engine.final
