"""The controller: one run's clock, commands and figures, over any number of workers.

It owns what there is one of per run: the profile's clock and walker, the operator's
commands (one typed `Command`, see commands.py), a scripted re-run, events, the
generator's saturation check and the cumulative figures (`Fold`). Its workers (one on
this loop for a run on one process, or worker processes, or Ray actors: links.py) run
the load; each tick the controller asks every live worker for its delta and folds them
into the one Snapshot the console, the session log and the reports consume. A worker
that is lost is an event and a warning; its share moves to the others.

Every method here runs on the controller's own event loop; see `host.EngineHost` and
`process.EngineProcess` for reaching it from another thread or process.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from time import perf_counter

from loadtui.engine.commands import (
    ArrivalRate,
    Command,
    Finish,
    FollowProfile,
    Hold,
    NextStage,
    Pause,
    Resume,
    SetRate,
    SetStreams,
    SetUsers,
    Share,
    Stop,
    WorkerCommand,
    from_action,
)
from loadtui.engine.config import RunConfig
from loadtui.engine.fleet import links_for
from loadtui.engine.gate import Gate
from loadtui.engine.links import WorkerLink
from loadtui.engine.saturation import SaturationWatch, merge_periods
from loadtui.engine.schedule import describe_stage, stage_at, stage_start
from loadtui.engine.split import split, split_rate
from loadtui.engine.walker import ProfileWalker, Step
from loadtui.metrics.delta import WorkerDelta
from loadtui.metrics.fold import Fold
from loadtui.metrics.snapshot import LoadState, RunState, Snapshot, SystemGauges
from loadtui.metrics.system import SystemSampler
from loadtui.scenario.userinfo import redact_url

FOLLOW_STEP_S = 0.05
FINISH_MARGIN_S = 5.0  # past its grace, a worker that has not drained is given up on


class Controller:
    def __init__(
        self,
        config: RunConfig,
        on_snapshot: Callable[[Snapshot], None],
        links: Sequence[WorkerLink] | None = None,
    ) -> None:
        self.config = config
        self.profile = config.profile
        self.on_snapshot = on_snapshot
        self.fold = Fold()
        self.state: RunState = "starting"
        self.following = True
        self.manual_rate = 0.0
        self.final: Snapshot | None = None
        self.walker = ProfileWalker(self.profile)
        self.links: list[WorkerLink] = (
            list(links) if links is not None else links_for(config)
        )
        self.clock_gate = Gate()  # pauses stop the profile's clock as they stop the users
        self.users_wanted = 0
        self.streams_wanted = 0
        self._user_rate: float | None = None
        self._stream_rate: float | None = None
        self._sent_rate: tuple[float, int] | None = None
        self._skip = 0.0
        self._t0 = 0.0
        self._stop = asyncio.Event()
        self._grace = config.grace_s
        self._target = SystemSampler(target_pids=config.target_pids)
        self._saturation = {link.index: SaturationWatch() for link in self.links}
        self._gone: set[int] = set()  # workers lost, by index

    # ---- clocks ---------------------------------------------------------------------

    def elapsed(self) -> float:
        return perf_counter() - self._t0 if self._t0 else 0.0

    def profile_time(self) -> float:
        return self.elapsed() - self.clock_gate.paused_so_far() + self._skip

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

    @property
    def alive(self) -> list[WorkerLink]:
        """The workers holding a share (a link that died is lost at the next tick)."""
        return [link for link in self.links if link.index not in self._gone]

    # ---- commands (operator, profile or script) -------------------------------------

    def apply(self, command: Command) -> None:
        """Act on one command, whoever sent it."""
        match command:
            case SetUsers(users, spawn_rate):
                self.set_users(users, spawn_rate)
            case SetStreams(streams, spawn_rate):
                self.set_streams(streams, spawn_rate)
            case SetRate(rate):
                self.set_rate(rate)
            case Pause():
                self.pause()
            case Resume():
                self.resume()
            case FollowProfile():
                self.follow_profile()
            case NextStage(stage):
                self.next_stage(stage)
            case Stop(grace, reason):
                self.stop(grace, reason)

    def set_users(self, users: int, spawn_rate: float | None = None) -> None:
        self.following = False
        self._want(users, self.streams_wanted, spawn_rate, None)
        rate = spawn_rate or self._user_rate or 1.0
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
        self._want(self.users_wanted, streams, None, spawn_rate or max(float(streams), 1.0))
        self._event(
            "operator",
            f"set streams to {streams}",
            action="set_streams",
            args=[streams, spawn_rate],
            streams=streams,
        )

    def set_rate(self, rate: float) -> None:
        self.following = False
        self.manual_rate = max(0.0, rate)
        self._push_rate()
        self._event(
            "operator", f"set arrival rate to {rate:g}/s", action="set_rate", args=[rate], rate=rate
        )

    def pause(self) -> None:
        if self.clock_gate.pause():
            self.state = "paused"
            self._broadcast(Hold(paused=True))
            self._event("operator", "paused", action="pause", args=[])

    def resume(self) -> None:
        if self.clock_gate.resume():
            self.state = "running"
            self._broadcast(Hold(paused=False))
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
                self._broadcast(Finish(grace))
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

    # ---- shares ---------------------------------------------------------------------

    def _want(
        self,
        users: int,
        streams: int,
        u_rate: float | None,
        s_rate: float | None,
        *,
        at_once: bool = False,
    ) -> None:
        """Ask the fleet for `users` and `streams`, split over the live workers."""
        self.users_wanted, self.streams_wanted = max(0, users), max(0, streams)
        if u_rate:
            self._user_rate = u_rate
        if s_rate:
            self._stream_rate = s_rate
        self._send_shares(at_once=at_once, u_rate=u_rate, s_rate=s_rate)

    def _send_shares(
        self, *, at_once: bool = False, u_rate: float | None = None, s_rate: float | None = None
    ) -> None:
        links = self.alive
        users = split(self.users_wanted, len(links))
        streams = split(self.streams_wanted, len(links))
        u_rates = split_rate(u_rate, users) if u_rate else [None] * len(links)
        s_rates = split_rate(s_rate, streams) if s_rate else [None] * len(links)
        for link, u, s, ur, sr in zip(links, users, streams, u_rates, s_rates, strict=True):
            link.send(Share(u, s, ur, sr, at_once))

    def _push_rate(self) -> None:
        """Tell the workers their part of the arrival rate, when it changed."""
        links = self.alive
        rate = self.current_rate()
        if (rate, len(links)) == self._sent_rate or not links:
            return
        self._sent_rate = (rate, len(links))
        caps = split(self.profile.max_inflight, len(links))
        for link, cap in zip(links, caps, strict=True):
            link.send(ArrivalRate(rate / len(links), cap))

    def _reshare(self) -> None:
        """After a worker is lost: the survivors take its users, streams and rate."""
        rates = (self._user_rate, self._stream_rate)
        self._send_shares(u_rate=rates[0], s_rate=rates[1])
        self._sent_rate = None
        self._push_rate()

    def _broadcast(self, command: WorkerCommand) -> None:
        for link in self.alive:
            link.send(command)

    # ---- the run --------------------------------------------------------------------

    async def run(self) -> Snapshot:
        """Run until the profile ends or stop() is called; returns the final snapshot."""
        cfg = self.config
        try:
            # All workers start together: none sends load before every one can.
            await asyncio.gather(*(link.start() for link in self.links))
            self._push_rate()
            self._t0 = perf_counter()
            self.fold.start()
            self.state = "running"
            against = redact_url(cfg.target.url)
            fleet = f" on {len(self.links)} workers" if len(self.links) > 1 else ""
            started = f"run started: profile {self.profile.name} against {against}{fleet}"
            self._event("info", started)
            loops = [
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
                await self._finish()
                self.state = "stopped"
                self.final = self._snapshot()
        finally:
            await asyncio.gather(*(link.close() for link in self.links), return_exceptions=True)
        assert self.final is not None
        return self.final

    async def _finish(self) -> None:
        """Stop every worker; fold each one's last delta (in-flight calls included)."""
        self._broadcast(Finish(self._grace))
        links = self.alive
        finals = await asyncio.gather(
            *(link.finish(self._grace + FINISH_MARGIN_S) for link in links),
            return_exceptions=True,
        )
        for link, final in zip(links, finals, strict=True):
            if isinstance(final, WorkerDelta):
                self.fold.add(final)
            elif isinstance(final, BaseException) and not isinstance(final, TimeoutError):
                raise final
            else:
                self._lost(link, "did not finish stopping")

    async def _follow(self) -> None:
        """Walk the profile: stage changes, bursts, and the end of the run."""
        while True:
            if self.time_left() <= 0:
                self.stop(reason="run finished")
                return
            step = self.walker.step(self.profile_time(), self.fold.load().users)
            if step is not None:
                self._apply_step(step)
            self._push_rate()
            await asyncio.sleep(FOLLOW_STEP_S)

    def _apply_step(self, step: Step) -> None:
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
            self._want(step.jump_to, self.streams_wanted, spawn, None, at_once=True)
        if (step.users, step.streams) != (self.users_wanted, self.streams_wanted):
            self._want(step.users, step.streams, spawn, max(float(step.streams), spawn or 1.0))

    async def _script(self) -> None:
        """Replay recorded operator actions at their recorded offsets: wall-clock seconds
        since the start, like the events they come from (pauses and skips included)."""
        for at, action, args in self.config.script:
            command = from_action(action, args)
            if command is None:
                continue
            delay = at - self.elapsed()
            if delay > 0:
                await asyncio.sleep(delay)
            self.apply(command)

    async def _ticks(self) -> None:
        step = self.config.tick_s
        next_at = perf_counter() + step
        while True:
            await asyncio.sleep(max(0.0, next_at - perf_counter()))
            next_at += step
            await self._collect()
            self._snapshot()

    async def _collect(self) -> None:
        """Every live worker's delta for this tick, folded; the silent ones are lost."""
        links = self.alive
        deltas = await asyncio.gather(*(link.delta() for link in links))
        for link, delta in zip(links, deltas, strict=True):
            if delta is not None:
                self.fold.add(delta)
            if delta is None or not link.alive:
                self._lost(link, link.lost or "stopped answering")

    def _lost(self, link: WorkerLink, why: str) -> None:
        if link.index in self._gone:
            return
        self._gone.add(link.index)
        link.alive = False
        link.lost = link.lost or why
        self.fold.forget(link.index)
        left = len(self.alive)
        if self.state in ("stopping", "stopped"):
            self._event("warning", f"worker {link.index} lost while stopping: {link.lost}")
            return
        if not left:
            self._event("error", f"worker {link.index} lost: {link.lost}; no worker is left")
            self.stop(grace=0.0, reason="every worker was lost")
            return
        self._event(
            "warning",
            f"worker {link.index} lost: {link.lost}; its share moves to the "
            f"{left} other{'s' if left != 1 else ''}",
            worker=link.index,
        )
        self._reshare()

    def _snapshot(self) -> Snapshot:
        generator = self.fold.generator()
        target = self._target.sample()
        system = replace(
            generator,
            target_cpu_percent=target.target_cpu_percent,
            target_rss_bytes=target.target_rss_bytes,
        )
        warnings = self._saturation_check()
        snap = self.fold.snapshot(
            load=self.load_state(),
            system=system,
            warnings=warnings,
            workers=self.fold.vitals(i for i, w in self._saturation.items() if w.active),
        )
        self.on_snapshot(snap)
        return snap

    def _saturation_check(self) -> tuple[str, ...]:
        """Each worker judged on its own gauges; the run is saturated while any one is."""
        many = len(self.links) > 1
        hot: tuple[str, ...] = ()
        now = self.elapsed()
        for vitals in self.fold.vitals():
            watch = self._saturation.get(vitals.index)
            if watch is None or not vitals.alive:
                continue
            gauges = SystemGauges(cpu_percent=vitals.cpu_percent, loop_lag_ms=vitals.loop_lag_ms)
            if watch.update(gauges, now):
                hot = ("generator saturated",)
            for message in watch.new_messages():
                self._event("warning", f"worker {vitals.index}: {message}" if many else message)
        return hot

    def load_state(self) -> LoadState:
        t = self.profile_time()
        point = stage_at(self.profile, t)  # None once over (or held past its end by -t)
        run_left = self.time_left()
        left = min(point.end - t if point else math.inf, run_left)
        fleet = self.fold.load()
        return LoadState(
            state=self.state,
            model=self.profile.model,
            profile=self.profile.name,
            users=fleet.users,
            # What the workers hold as their aim: the asked-for count, unless a worker's
            # file-descriptor limit cut it (said in a warning).
            users_target=fleet.users_wanted,
            rate=self.current_rate(),
            inflight=fleet.busy,
            late_starts=fleet.late,
            dropped=fleet.dropped,
            stage=point.index if point else -1,
            stages=point.count if point else len(self.profile.stages),
            stage_left_s=max(0.0, left) if math.isfinite(left) else 0.0,
            run_left_s=max(0.0, run_left) if math.isfinite(run_left) else None,
            following_profile=self.following,
            streams=fleet.streams,
            streams_target=fleet.streams_wanted,
        )

    def saturation_periods(self) -> list[tuple[float, float]]:
        now = self.elapsed()
        return merge_periods(p for w in self._saturation.values() for p in w.all_periods(now))

    def _event(self, kind: str, message: str, **data: object) -> None:
        self.fold.add_event(kind, message, **data)  # type: ignore[arg-type]


async def run_until_done(config: RunConfig, on_snapshot: Callable[[Snapshot], None]) -> Snapshot:
    """Convenience for tests and scripts: run one controller on the current loop."""
    controller = Controller(config, on_snapshot)
    with contextlib.suppress(asyncio.CancelledError):
        return await controller.run()
    assert controller.final is not None
    return controller.final
