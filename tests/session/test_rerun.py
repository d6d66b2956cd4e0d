"""Re-running a recorded session reproduces its stages, pauses and operator actions.

The original is a real run against the demo target, steered from the test the way the
console's keys steer it (`n`, `p` then resume, `+`, `u 4@50`, `f`); the re-run is
`loadtui rerun`. Both sessions are compared tick by tick, within one tick. The plan
(which actions, where the re-run stops) is checked on hand-written sessions.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from support.cli import loadtui
from support.runs import config
from support.scenarios import api_fast, load, scenario, user, write
from support.snapshots import snapshot

from loadtui.engine.controller import Controller
from loadtui.metrics.snapshot import Event, Snapshot
from loadtui.session.reader import Session, SessionError, read_session
from loadtui.session.rerun import rerun_plan, stopped_at
from loadtui.session.writer import SessionWriter

TICK = 0.25
STAGES = [
    {"duration": "2s", "users": 2, "spawn_rate": 100},
    {"duration": "1.5s", "users": 5, "spawn_rate": 100},
    {"duration": "1s", "users": 3, "spawn_rate": 100},
]
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


def operate(engine: Controller, snap: Snapshot) -> None:
    """The operator, tick by tick: at 0.75 s skip the rest of stage 1 (1.25 s), pause
    0.5 s, then set users three ways, each level held two ticks (a re-run's actions land
    at their offsets give or take a tick, so a level held one tick could fall between two
    of its ticks). A re-run that counted its length in profile time (which skips
    lengthen and pauses do not) would end early."""
    actions = {
        2: engine.next_stage,  # n
        4: engine.pause,  # p
        6: engine.resume,  # p again
        7: lambda: engine.set_users(snap.load.users_target + 1),  # +
        9: lambda: engine.set_users(4, 50.0),  # u 4@50
        11: engine.follow_profile,  # f
    }
    action = actions.get(snap.seq)
    if action is not None:
        action()


async def record(folder: Path, demo_url: str) -> Path:
    write(folder, EXPLORE)  # `loadtui rerun` reads the scenario from its file
    run = config(EXPLORE, demo_url, tick=TICK, folder=folder)
    out = folder / "orig.json"
    writer = SessionWriter(out, run.scenario, run.target, run.profile)

    def on_snapshot(snap: Snapshot) -> None:
        writer.on_snapshot(snap)
        operate(engine, snap)

    engine = Controller(run, on_snapshot)
    await engine.run()
    writer.close()
    return out


def stage_starts(session: Session) -> list[tuple[int, float]]:
    return [(e.data["stage"], e.t) for e in session.events if "stage" in e.data]


def operator_actions(session: Session) -> list[tuple[str, list[object]]]:
    return [(e.data["action"], e.data["args"]) for e in session.events if "action" in e.data]


def at_about_the_same_time(
    a: list[tuple[float, object]], b: list[tuple[float, object]], slack: float
) -> None:
    """Each (t, figure) of one session is a figure of the other's within `slack` s of t:
    compared by time, not by tick number, as a late tick shifts the numbering."""
    for mine, theirs in ((a, b), (b, a)):
        for t, value in mine:
            near = [v for u, v in theirs if abs(u - t) <= slack]
            assert value in near, (t, value, a, b)


async def test_rerun_reproduces_skips_pauses_and_set_levels(demo_url: str, tmp_path: Path) -> None:
    orig_path = await record(tmp_path, demo_url)
    again_path = tmp_path / "again.json"
    rerun = loadtui("rerun", str(orig_path), "--session", str(again_path), "-q")
    assert rerun.returncode == 0, rerun.stderr
    orig, again = read_session(orig_path), read_session(again_path)

    actions = operator_actions(orig)
    assert [a for a, _ in actions] == [
        "next_stage", "pause", "resume", "set_users", "set_users", "follow_profile",
    ]  # fmt: skip
    assert operator_actions(again) == actions

    first, second = stage_starts(orig), stage_starts(again)
    assert [i for i, _ in first] == [i for i, _ in second] == [0, 1, 2]
    # Within a tick, as ticks came: on a busy machine a tick can come late, in either
    # session, and what happens at a tick moves with it (the operator acts on ticks).
    slack = TICK + max(t.interval_s for t in (*orig.ticks, *again.ticks))
    for (_, a), (_, b) in zip(first, second, strict=True):
        assert abs(a - b) <= slack, (first, second, slack)

    # Every level the operator set shows, in both, at the same time give or take that.
    wanted = [t.load.users_target for t in orig.ticks[:-1]]
    assert {2, 5, 6, 4, 3} <= set(wanted)
    at_about_the_same_time(
        [(t.t, t.load.users_target) for t in orig.ticks[:-1]],
        [(t.t, t.load.users_target) for t in again.ticks[:-1]],
        slack,
    )
    at_about_the_same_time(
        [(t.t, t.load.state) for t in orig.ticks], [(t.t, t.load.state) for t in again.ticks], slack
    )
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
    for event, at in zip(done, (1.0, 1.5), strict=True):
        # Not before its offset; after it by as long as a busy loop took to get there
        # (bounded by the next action's offset, not by a tick: the actions keep apart).
        assert at - 0.01 <= event.t < at + 0.5, done
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
