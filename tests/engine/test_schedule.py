"""Profile timelines: stages, linear ramps, repeats and bursts."""

from __future__ import annotations

import pytest

from loadtui.engine.schedule import (
    in_burst,
    next_burst_edge,
    ramp_level,
    rate_at,
    stage_at,
    stage_start,
    users_at,
)
from loadtui.scenario.model import Burst, Profile, Stage


def test_open_stages_ramp_linearly_from_previous_rate() -> None:
    p = Profile("r", model="open", stages=(Stage(10, rate=10), Stage(10, rate=110)))
    assert rate_at(p, 0) == 10  # first stage starts at its own rate (no start_rate)
    assert rate_at(p, 9.99) == pytest.approx(10)
    assert rate_at(p, 15) == pytest.approx(60)
    assert rate_at(p, 19.999) == pytest.approx(110, rel=1e-3)
    assert rate_at(p, 20) == 0.0  # profile over


def test_start_rate_ramps_the_first_stage() -> None:
    p = Profile("r", model="open", stages=(Stage(10, rate=100),), start_rate=0)
    assert rate_at(p, 5) == pytest.approx(50)


def test_repeat_expands_stages() -> None:
    p = Profile("c", stages=(Stage(2, users=5), Stage(3, users=1)), repeat=3)
    assert p.duration == 15
    point = stage_at(p, 7.5)
    assert point is not None and point.index == 3 and point.count == 6
    assert point.stage.users == 1
    assert stage_at(p, 15) is None


def test_burst_replaces_rate_for_its_length() -> None:
    p = Profile(
        "incident",
        model="open",
        stages=(Stage(1440, rate=0.9),),
        burst=Burst(every=60, length=4, rate=22.5, offset=30),
    )
    assert rate_at(p, 10) == pytest.approx(0.9)
    assert rate_at(p, 31) == 22.5
    assert rate_at(p, 34.5) == pytest.approx(0.9)
    assert rate_at(p, 92) == 22.5
    assert in_burst(p, 90) and not in_burst(p, 94)
    assert next_burst_edge(p, 0) == 30
    assert next_burst_edge(p, 31) == 34
    assert next_burst_edge(p, 35) == 90


def test_closed_users_and_spawn_rate_with_burst() -> None:
    p = Profile(
        "heavy",
        stages=(Stage(60, users=20, spawn_rate=5),),
        burst=Burst(every=30, length=5, users=100),
    )
    assert users_at(p, 10) == (20, 5)
    users, spawn = users_at(p, 31)
    assert users == 100 and spawn >= 100  # bursts arrive fast, not at the stage's pace
    assert users_at(p, 61) == (0, 0.0)


def test_stage_start_over_repeats_and_past_the_end() -> None:
    p = Profile("c", stages=(Stage(2, users=5), Stage(3, users=1)), repeat=2)
    assert [stage_start(p, i) for i in range(5)] == [0, 2, 5, 7, 10]
    assert stage_start(p, 9) == 10  # skipping past the last stage ends the profile


def test_ramp_level_moves_at_the_spawn_rate_and_stops_at_the_target() -> None:
    assert ramp_level(10, 100, 5, 3) == 25
    assert ramp_level(10, 12, 5, 3) == 12
    assert ramp_level(50, 20, 4, 2) == 42
    assert ramp_level(50, 48, 4, 2) == 48
