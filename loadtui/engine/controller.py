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
    Stop,
    from_action,
)
from loadtui.engine.config import RunConfig
from loadtui.engine.fleet import links_for
from loadtui.engine.gate import Gate
from loadtui.engine.iterations import IterationBudget
from loadtui.engine.links import WorkerLink
from loadtui.engine.schedule import describe_stage, stage_at, stage_start
from loadtui.engine.walker import ProfileWalker, Step
from loadtui.engine.workers import Workers
from loadtui.metrics.fold import Fold
from loadtui.metrics.snapshot import LoadState, RunState, Snapshot
from loadtui.metrics.target import TargetTree
from loadtui.scenario.iterations import COUNT_DONE, describe_count
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
        self.workers = Workers(
            list(links) if links is not None else links_for(config), self.profile.max_inflight
        )
        self.links = self.workers.links
        self.clock_gate = Gate()  # pauses stop the profile's clock as they stop the users
        count = self.profile.iterations
        self.budget = IterationBudget(count) if count is not None else None
        self._skip = 0.0
        self._t0 = 0.0
        self._stop = asyncio.Event()
        self._grace = config.grace_s
        # The target's processes only: each worker samples its own process itself.
        self._target = TargetTree(config.target_pids) if config.target_pids else None

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
        self.workers.want(users, self.workers.streams, spawn_rate, None)
        rate = self.workers.spawn_rate()
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
        self.workers.want(self.workers.users, streams, None, spawn_rate or max(float(streams), 1.0))
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
        self.workers.arrival_rate(self.current_rate())
        self._event(
            "operator", f"set arrival rate to {rate:g}/s", action="set_rate", args=[rate], rate=rate
        )

    def pause(self) -> None:
        if self.clock_gate.pause():
            self.state = "paused"
            self.workers.broadcast(Hold(paused=True))
            self._event("operator", "paused", action="pause", args=[])

    def resume(self) -> None:
        if self.clock_gate.resume():
            self.state = "running"
            self.workers.broadcast(Hold(paused=False))
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
                self.workers.broadcast(Finish(grace))
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
        try:
            # All workers start together: none sends load before every one can.
            await self.workers.start()
            if self.budget is not None:
                most = max((s.users or 0 for s in self.profile.stages), default=0)
                self.workers.count_iterations(self.budget, most)
            self.workers.arrival_rate(self.current_rate())
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
            await self.workers.close()
        assert self.final is not None
        return self.final

    async def _finish(self) -> None:
        """Stop every worker; fold each one's last delta (in-flight calls included)."""
        self.workers.broadcast(Finish(self._grace))
        for link in await self.workers.finish(self._grace, FINISH_MARGIN_S, self.fold):
            self._lost(link, "did not finish stopping")

    async def _follow(self) -> None:
        """Walk the profile: stage changes, bursts, and the end of the run."""
        while True:
            if self.time_left() <= 0:
                self.stop(reason="run finished")
                return
            if self.budget is not None and self.budget.finished():
                self.stop(reason=f"{COUNT_DONE}{describe_count(self.budget.total)} done")
                return
            step = self.walker.step(self.profile_time(), self.fold.load().users)
            if step is not None:
                self._apply_step(step)
            self.workers.arrival_rate(self.current_rate())
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
        workers = self.workers
        if step.jump_to is not None:
            workers.want(step.jump_to, workers.streams, spawn, None, at_once=True)
        if (step.users, step.streams) != (workers.users, workers.streams):
            workers.want(step.users, step.streams, spawn, max(float(step.streams), spawn or 1.0))

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
        for link in await self.workers.collect(self.fold):
            self._lost(link, link.lost or "stopped answering")
        if self.workers.ending is not None:  # a worker asked (a data table ran out)
            self.stop(reason=f"run ended early: {self.workers.ending}")

    def _lost(self, link: WorkerLink, why: str) -> None:
        """A lost worker is a warning (an error when none is left); its share moves."""
        stopping = self.state in ("stopping", "stopped")
        if not self.workers.lose(link, why, self.fold, move=not stopping):
            return
        left = len(self.workers.alive)
        if stopping:
            self._event("warning", f"worker {link.index} lost while stopping: {link.lost}")
        elif not left:
            self._event("error", f"worker {link.index} lost: {link.lost}; no worker is left")
            self.stop(grace=0.0, reason="every worker was lost")
        else:
            others = f"{left} other{'s' if left != 1 else ''}"
            self._event(
                "warning",
                f"worker {link.index} lost: {link.lost}; its share moves to the {others}",
                worker=link.index,
            )

    def _snapshot(self) -> Snapshot:
        generator = self.fold.generator()
        target = self._target.sample() if self._target is not None else None
        system = replace(
            generator,
            target_cpu_percent=target[0] if target is not None else None,
            target_rss_bytes=target[1] if target is not None else None,
        )
        hot, messages = self.workers.saturation(self.fold.vitals(), self.elapsed())
        for message in messages:
            self._event("warning", message)
        snap = self.fold.snapshot(
            load=self.load_state(),
            system=system,
            warnings=("generator saturated",) if hot else (),
            workers=self.fold.vitals(self.workers.saturated()),
        )
        self.on_snapshot(snap)
        return snap

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
            iterations=fleet.iterations,
            iterations_target=self.profile.iterations or 0,
        )

    def saturation_periods(self) -> list[tuple[float, float]]:
        return self.workers.saturation_periods(self.elapsed())

    def _event(self, kind: str, message: str, **data: object) -> None:
        self.fold.add_event(kind, message, **data)  # type: ignore[arg-type]


async def run_until_done(config: RunConfig, on_snapshot: Callable[[Snapshot], None]) -> Snapshot:
    """Convenience for tests and scripts: run one controller on the current loop."""
    controller = Controller(config, on_snapshot)
    with contextlib.suppress(asyncio.CancelledError):
        return await controller.run()
    assert controller.final is not None
    return controller.final
