"""Walking a profile step by step: stage changes, burst edges and the levels wanted."""

from __future__ import annotations

from loadtui.engine.walker import ProfileWalker
from loadtui.scenario.model import Burst, Profile, Stage


def closed(*stages: Stage, burst: Burst | None = None) -> Profile:
    return Profile("p", stages=stages, burst=burst)


def test_a_closed_burst_jumps_up_and_back_down_on_its_edges() -> None:
    p = closed(Stage(20, users=3, spawn_rate=1), burst=Burst(every=6, length=2, users=40, offset=2))
    walk = ProfileWalker(p)
    first = walk.step(0.0, 0)
    assert first is not None and first.new_stage and first.jump_to is None
    assert (first.users, first.spawn_rate) == (3, 1)
    start = walk.step(2.0, 3)
    assert start is not None and start.burst_edge and start.in_burst
    assert (start.jump_to, start.users) == (40, 40)
    during = walk.step(3.0, 40)
    assert during is not None and not during.burst_edge and during.jump_to is None
    assert during.users == 40
    end = walk.step(4.0, 40)
    assert end is not None and end.burst_edge and not end.in_burst
    assert (end.jump_to, end.users) == (3, 3)  # straight back, not 1 user/s
    again = walk.step(8.01, 3)
    assert again is not None and again.burst_edge and again.jump_to == 40


def test_a_burst_ending_during_a_ramp_returns_to_where_the_ramp_got() -> None:
    # Ramping 0 -> 100 at 5 users/s; the burst comes at 2 s with 10 users up.
    p = closed(
        Stage(60, users=100, spawn_rate=5), burst=Burst(every=30, length=3, users=50, offset=2)
    )
    walk = ProfileWalker(p)
    walk.step(0.0, 0)
    walk.step(2.0, 10)
    end = walk.step(5.0, 50)
    assert end is not None and end.jump_to == 25  # 10 + 5/s x 3 s
    assert end.users == 100  # and the ramp goes on toward the stage's level


def test_a_burst_below_the_stage_level_dips_and_comes_back_at_once() -> None:
    p = closed(
        Stage(60, users=30, spawn_rate=1), burst=Burst(every=10, length=2, users=5, offset=1)
    )
    walk = ProfileWalker(p)
    walk.step(0.5, 30)
    down, up = walk.step(1.0, 30), walk.step(3.0, 5)
    assert down is not None and down.jump_to == 5
    assert up is not None and up.jump_to == 30


def test_stage_changes_are_reported_once_and_the_last_stage_is_held_with_its_bursts() -> None:
    p = closed(
        Stage(2, users=1), Stage(2, users=4), burst=Burst(every=5, length=1, users=9, offset=4)
    )
    walk = ProfileWalker(p)
    steps = [walk.step(t, 0) for t in (0.0, 1.0, 2.0, 3.0, 4.5, 5.5, 9.2)]
    assert [s.new_stage for s in steps if s] == [True, False, True, False, False, False, False]
    assert [s.point.index for s in steps if s] == [0, 0, 1, 1, 1, 1, 1]
    # Past the end (4 s) the last stage is held: bursts at 4-5 s and 9-10 s go on.
    assert [s.users for s in steps if s] == [1, 1, 4, 4, 9, 4, 9]


def test_open_model_rate_switches_on_the_edges_and_bursts_go_on_while_held() -> None:
    p = Profile(
        "o",
        model="open",
        stages=(Stage(10, rate=2),),
        burst=Burst(every=4, length=1, rate=50, offset=1),
    )
    walk = ProfileWalker(p)
    assert [walk.rate(t) for t in (0.5, 1.0, 1.99, 2.0, 7.5, 13.5)] == [2, 50, 50, 2, 2, 50]
    step = walk.step(1.0, 0)
    assert step is not None and step.users == 0 and step.jump_to is None
