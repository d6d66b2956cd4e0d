"""Running a scenario text in-process against a loopback target, bounded: the RunConfig
the CLI builds from -u/-r/--rate/-t, a Controller run to its end, every snapshot kept."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypedDict, Unpack

from loadtui.engine.config import RunConfig
from loadtui.engine.controller import Controller
from loadtui.engine.links import LocalLink
from loadtui.engine.worker import Worker
from loadtui.metrics.snapshot import Event, Snapshot
from loadtui.scenario.iterations import with_iterations
from loadtui.scenario.select import pick_profile, pick_target
from support.scenarios import load

OnSnapshot = Callable[[Controller, Snapshot], None]
Check = Callable[[Snapshot], bool]
Action = Callable[[Controller, Snapshot], object]
GUARD_S = 30.0  # the -t of a run that a condition ends (stop_when): only a hang guard


class Settings(TypedDict, total=False):
    """What `loadtui run` takes besides the file (the profile, -u, -r, --rate,
    --streams, -t, -i, --tick, the stop's grace), and the folder of Python task modules."""

    profile: str | None
    users: int
    spawn_rate: float
    rate: float
    streams: int
    duration: float | None
    iterations: int
    tick: float
    grace: float
    folder: Path | None


def config(text: str, url: str, **settings: Unpack[Settings]) -> RunConfig:
    """`text` aimed at `url`, its profile (or the first) with the overrides applied."""
    s = settings
    plan = load(text, url, s.get("folder"))
    duration = s.get("duration")
    profile = pick_profile(
        plan,
        s.get("profile"),
        users=s.get("users"),
        spawn_rate=s.get("spawn_rate"),
        rate=s.get("rate"),
        streams=s.get("streams"),
        duration=duration,
    )
    profile = with_iterations(profile, s.get("iterations"))
    tick, grace = s.get("tick", 0.25), s.get("grace", 5.0)
    return RunConfig(
        plan, pick_target(plan, None), profile, tick_s=tick, duration=duration, grace_s=grace
    )


async def run(
    text: str, url: str, on_snapshot: OnSnapshot | None = None, **settings: Unpack[Settings]
) -> tuple[Snapshot, list[Snapshot], Controller]:
    """Run to the end: the final snapshot, every snapshot in order, and the engine.
    `on_snapshot(engine, snap)` sees each one as it comes, to steer the run."""
    snaps: list[Snapshot] = []
    engine: Controller

    def collect(snap: Snapshot) -> None:
        snaps.append(snap)
        if on_snapshot is not None:
            on_snapshot(engine, snap)

    engine = Controller(config(text, url, **settings), collect)
    final = await engine.run()
    return final, snaps, engine


def stop_when(check: Callable[[Snapshot], bool], grace: float | None = None) -> OnSnapshot:
    """on_snapshot hook: stop the run at the first snapshot where `check` holds. A run
    that must see something happen (a request in flight, a session reopened, a timeout)
    waits for it this way, with `duration=GUARD_S`: a busy machine only makes it longer,
    where a fixed length could end it short of what the test needs."""

    def steer(engine: Controller, snap: Snapshot) -> None:
        if check(snap):
            engine.stop(grace)

    return steer


def worker_of(controller: Controller) -> Worker:
    """The one worker of a single-process run (on the controller's own loop)."""
    (link,) = controller.links
    assert isinstance(link, LocalLink)
    return link.worker


class Steps:
    """on_snapshot hook: an operator's actions one after another, each at the first
    snapshot of a running (or paused) run where its condition holds, never two at the
    same snapshot, so every action's effect can show in a later tick before the next.
    Steering by what the ticks show instead of by their number (`snap.seq == 3`) keeps a
    test right when a busy machine delays a tick or bunches several together. `taken`
    holds the snapshot at which each step was taken."""

    def __init__(self, *steps: tuple[Check, Action]) -> None:
        self.steps = steps
        self.taken: list[Snapshot] = []

    def __call__(self, engine: Controller, snap: Snapshot) -> None:
        i = len(self.taken)
        if i < len(self.steps) and snap.load.state in ("running", "paused"):
            check, act = self.steps[i]
            if check(snap):
                act(engine, snap)
                self.taken.append(snap)

    @property
    def done(self) -> bool:
        return len(self.taken) == len(self.steps)


def longest_gap(snaps: Sequence[Snapshot]) -> float:
    """The longest interval between two snapshots of a run (the final one included): a
    stall of its loop shows here, so it bounds how late anything on that loop can have
    come. Bounds on recorded times take it from the run instead of guessing a slack."""
    return max((s.interval_s for s in snaps), default=0.0)


def stopping(snaps: Sequence[Snapshot]) -> Event:
    """The one event where the run began to stop (its end, a stop, a signal)."""
    found = [e for s in snaps for e in s.events if e.data.get("stopping")]
    assert len(found) == 1, found
    return found[0]
