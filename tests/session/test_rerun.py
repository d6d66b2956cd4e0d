"""Re-running a recorded session reproduces its stages, pauses and operator actions.

The original is a real run against the demo target, steered from the test the way the
console's keys steer it (`n`, `p` then resume, `+`, `u 4@50`, `f`); the re-run is
`loadtui rerun`. Both sessions are compared by time, within a tick and the longest
either went without one: what each asked for and when, and what its ticks showed. The
plan (which actions, where the re-run stops) is checked on hand-written sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from support.cli import loadtui
from support.runs import Steps, config, longest_gap
from support.scenarios import api_fast, load, scenario, user, write
from support.snapshots import snapshot

from loadtui.engine.controller import FOLLOW_STEP_S, Controller
from loadtui.metrics.snapshot import Event, Snapshot
from loadtui.session.reader import Session, SessionError, read_session
from loadtui.session.rerun import rerun_plan, stopped_at
from loadtui.session.writer import SessionWriter

TICK = 0.25
# The stages last long (a profile clock a busy machine runs late must not end one under
# the operator's feet): the operator moves between them, and the run's end is set last.
STAGES = [
    {"duration": "2s", "users": 2, "spawn_rate": 100},
    {"duration": "10s", "users": 5, "spawn_rate": 100},
    {"duration": "20s", "users": 3, "spawn_rate": 100},
]
STAGE_USERS = [stage["users"] for stage in STAGES]
EXPLORE = scenario(
    user(api_fast(), wait="constant(0.05s)"),
    name="explore",
    profiles={"explore": {"stages": STAGES}},
)
OPEN = scenario(
    user(api_fast()),
    name="open",
    profiles={"flat": {"model": "open", "stages": [{"duration": "10s", "rate": 20}]}},
)
EARLY_S = 0.01  # event times run on the snapshots' clock, started a hair after the run's


def twice(check: Callable[[Snapshot], bool]) -> Callable[[Snapshot], bool]:
    """A step's condition: `check` held in two ticks since the step before (a level held
    one tick could fall between two of a re-run's ticks)."""
    held = 0

    def seen(snap: Snapshot) -> bool:
        nonlocal held
        held += check(snap)
        return held >= 2

    return seen


def explorer() -> Steps:
    """The operator, on what the ticks show: at 0.75 s skip the rest of stage 1, pause,
    resume, set users three ways (`+`, `u 4@50`, `f` back to the profile's level) with a
    skip to stage 3 between; the run then ends a second on. Each action once the last
    one shows in two ticks: a busy machine delays ticks or bunches them, so tick numbers
    would move the actions around. A re-run that counted its length in profile time
    (which skips lengthen and pauses do not) would end early."""
    users = lambda n: lambda s: s.load.users_target == n and s.load.state == "running"  # noqa: E731
    return Steps(
        (lambda s: s.t >= 0.75, lambda e, _s: e.next_stage()),  # n
        (twice(users(5)), lambda e, _s: e.pause()),  # p
        (twice(lambda s: s.load.state == "paused"), lambda e, _s: e.resume()),  # p again
        (twice(users(5)), lambda e, s: e.set_users(s.load.users_target + 1)),  # +
        (twice(users(6)), lambda e, _s: e.set_users(4, 50.0)),  # u 4@50
        (twice(users(4)), lambda e, _s: e.next_stage()),  # n: stage 3, the level stays
        (twice(lambda s: s.load.stage == 2), lambda e, _s: e.follow_profile()),  # f
        (twice(users(3)), end_soon),
    )


def end_soon(engine: Controller, _snap: Snapshot) -> None:
    """Give the run a length (as `-t` would) that ends it a second on. Not an action of
    its own: a re-run is given the original's length, and would race an action at its
    very end against it; a second after the last action, the action comes first."""
    engine.config = replace(engine.config, duration=engine.elapsed() + 1.0)


async def record(folder: Path, demo_url: str) -> Path:
    write(folder, EXPLORE)  # `loadtui rerun` reads the scenario from its file
    run = config(EXPLORE, demo_url, tick=TICK, folder=folder)  # the profile bounds it
    out = folder / "orig.json"
    writer = SessionWriter(out, run.scenario, run.target, run.profile)
    steps = explorer()

    def on_snapshot(snap: Snapshot) -> None:
        writer.on_snapshot(snap)
        steps(engine, snap)

    engine = Controller(run, on_snapshot)
    await engine.run()
    writer.close()
    assert steps.done, "the operator did not get through the exploration"
    return out


def stage_starts(session: Session) -> list[tuple[int, float]]:
    return [(e.data["stage"], e.t) for e in session.events if "stage" in e.data]


def operator_actions(session: Session) -> list[tuple[str, list[object]]]:
    return [(e.data["action"], e.data["args"]) for e in session.events if "action" in e.data]


Asked = list[tuple[float, int, str]]


def asked(session: Session) -> Asked:
    """What the run asked for and when, from its events alone: (t, users wanted, state)
    at the start and after each event. Events are recorded whether or not a tick came
    between two of them (a held loop may bunch a re-run's actions into one tick)."""
    stage, following = 0, True
    users, state = STAGE_USERS[0], "running"
    out = [(0.0, users, state)]
    for e in session.events:
        action = e.data.get("action")
        if e.kind == "stage" and "stage" in e.data:
            stage = e.data["stage"]
            users = STAGE_USERS[stage] if following else users
        elif action == "set_users":
            users, following = e.data["users"], False
        elif action == "follow_profile":
            users, following = STAGE_USERS[stage], True
        elif action in ("pause", "resume"):
            state = "paused" if action == "pause" else "running"
        out.append((e.t, users, state))
    return out


def in_effect(timeline: Asked, start: float, end: float) -> set[tuple[int, str]]:
    """The (users, state) asked for at some moment from `start` to `end`."""
    before = [(u, st) for t, u, st in timeline if t <= start]
    return {*before[-1:], *((u, st) for t, u, st in timeline if start < t <= end)}


async def test_rerun_reproduces_skips_pauses_and_set_levels(demo_url: str, tmp_path: Path) -> None:
    orig_path = await record(tmp_path, demo_url)
    again_path = tmp_path / "again.json"
    rerun = loadtui("rerun", str(orig_path), "--session", str(again_path), "-q")
    assert rerun.returncode == 0, rerun.stderr
    orig, again = read_session(orig_path), read_session(again_path)

    actions = operator_actions(orig)
    assert [a for a, _ in actions] == [
        "next_stage", "pause", "resume", "set_users", "set_users", "next_stage",
        "follow_profile",
    ]  # fmt: skip
    assert operator_actions(again) == actions
    # Within a tick, plus the longest either run went without one: on a busy machine a
    # tick can come late, in either session, and what happens on the loop with it.
    slack = TICK + longest_gap([*orig.ticks, *again.ticks])
    # Each action at its recorded offset: never before it, late only as a loop was.
    mine = [e.t for e in orig.events if "action" in e.data]
    theirs = [e.t for e in again.events if "action" in e.data]
    assert all(-EARLY_S <= b - a <= slack for a, b in zip(mine, theirs, strict=True)), (
        mine, theirs, slack,
    )  # fmt: skip

    first, second = stage_starts(orig), stage_starts(again)
    assert [i for i, _ in first] == [i for i, _ in second] == [0, 1, 2]
    for (_, a), (_, b) in zip(first, second, strict=True):
        assert abs(a - b) <= slack, (first, second, slack)

    # Every level and state the operator asked for, asked for in both at the same time
    # give or take that; and what each run's ticks show is what it had asked for by then
    # (the profile walk takes a step, and a held loop longer, to apply a level).
    wanted = [t.load.users_target for t in orig.ticks[:-1]]
    assert {2, 5, 6, 4, 3} <= set(wanted)
    timelines = asked(orig), asked(again)
    for a, b in (timelines, timelines[::-1]):
        for t, users, state in a:
            near = in_effect(b, t - slack, t + slack)
            assert users in {u for u, _ in near} and state in {st for _, st in near}, (t, a, b)
    for session, timeline in zip((orig, again), timelines, strict=True):
        for tick in session.ticks:
            if tick.load.state in ("running", "paused"):
                since = tick.t - tick.interval_s - FOLLOW_STEP_S
                shown = (tick.load.users_target, tick.load.state)
                assert shown in in_effect(timeline, since, tick.t), (tick.t, shown, timeline)
    assert abs(stopped_at(orig) - stopped_at(again)) <= slack


async def test_a_script_sets_the_rate_and_stops_at_its_offsets(demo_url: str) -> None:
    script = ((1.0, "set_rate", (60.0,)), (1.5, "stop", (0.5,)))
    snaps: list[Snapshot] = []
    await Controller(replace(config(OPEN, demo_url, tick=TICK), script=script), snaps.append).run()
    done = [e for s in snaps for e in s.events if "action" in e.data]
    assert [(e.data["action"], e.data["args"]) for e in done] == [
        ("set_rate", [60.0]),
        ("stop", [0.5]),
    ]
    late = TICK + longest_gap(snaps)
    for event, at in zip(done, (1.0, 1.5), strict=True):
        # Not before its offset; after it by as long as a busy loop took to get there: a
        # tick, or the longest the loop went without one (a stall shows there).
        assert at - EARLY_S <= event.t <= at + late, (done, late)
    # The profile's 20/s holds in every tick before the one that carries the action, 60/s
    # from it on. Split on that tick, not on a time: on a busy machine the first tick can
    # come late enough to carry the action itself (then there is no 20/s tick to see).
    first = next(i for i, s in enumerate(snaps) if any("action" in e.data for e in s.events))
    before = {s.load.rate for s in snaps[:first] if s.load.state == "running"}
    after = [(s.load.state, s.load.rate) for s in snaps[first:]]
    assert before <= {20}, before
    assert after and {rate for _, rate in after} == {60}, after


# ---- the plan, from hand-written sessions ------------------------------------------

EVERY_ACTION = [
    (0.5, "set_users", [7, None]),
    (0.75, "set_users", [4, 50.0]),
    (1.0, "set_rate", [20.0]),
    (1.25, "set_streams", [3, None]),
    (1.5, "pause", []),
    (1.75, "resume", []),
    (2.0, "next_stage", [1]),
    (2.25, "next_stage", []),  # as sessions before stage numbers were recorded have it
    (2.5, "follow_profile", []),
    (3.0, "stop", [1.0]),
]


def write_session(path: Path, events: list[Event], ticks: int) -> Path:
    plan = load(EXPLORE)
    writer = SessionWriter(path, plan, plan.targets[0], plan.profiles[0])
    for seq in range(1, ticks + 1):
        t = seq * TICK
        mine = [e for e in events if t - TICK < e.t <= t]
        writer.on_snapshot(snapshot(seq, t=t, interval_s=TICK, events=mine))
    writer.close()
    return path


def operator(t: float, action: str, args: list[object], **data: object) -> Event:
    return Event(t, "operator", action, {"action": action, "args": args, **data})


def test_plan_replays_every_action_and_stops_where_the_original_began_to(
    tmp_path: Path,
) -> None:
    events = [operator(t, a, args) for t, a, args in EVERY_ACTION[:-1]]
    ended = Event(3.0, "info", "run finished", {"stopping": True})
    late = Event(3.1, "warning", "2 in-flight requests cut off at stop")
    plan = rerun_plan(read_session(write_session(tmp_path / "s.json", [*events, ended, late], 16)))
    assert plan.script == tuple((t, a, tuple(args)) for t, a, args in EVERY_ACTION[:-1])
    assert plan.duration == 3.0  # not 4.0, the last tick after the in-flight wait
    assert plan.tick_s == TICK
    # An operator's stop is replayed as such; the length only backs it up.
    stop = operator(3.0, "stop", [1.0], stopping=True)
    plan = rerun_plan(read_session(write_session(tmp_path / "o.json", [*events, stop, late], 16)))
    assert plan.script == tuple((t, a, tuple(args)) for t, a, args in EVERY_ACTION)
    assert plan.duration == 3.0 + TICK
    killed = read_session(write_session(tmp_path / "k.json", events[:3], 8))
    assert rerun_plan(killed).duration == 2.0  # no stop recorded: up to the last tick


@pytest.mark.parametrize(
    ("action", "args", "expected"),
    [
        ("teleport", [], "cannot be re-run"),
        ("set_users", ["many", None], "expected [count, number?]"),
        ("set_rate", [], "expected [number]"),
        ("pause", [1], "expected no arguments"),
    ],
)
def test_plan_refuses_actions_it_cannot_replay(
    tmp_path: Path, action: str, args: list[object], expected: str
) -> None:
    path = write_session(tmp_path / "bad.json", [operator(1.0, action, args)], 6)
    with pytest.raises(SessionError) as caught:
        rerun_plan(read_session(path))
    message = str(caught.value)
    assert f"operator action {action!r} at 1.00s" in message and expected in message
    assert "\n" not in message


def test_rerun_of_a_session_with_a_bad_action_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write_session(tmp_path / "bad.json", [operator(1.0, "set_rate", ["fast"])], 6)
    out = loadtui("rerun", str(path))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "operator action 'set_rate' at 1.00s" in out.stderr
