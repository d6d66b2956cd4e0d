"""The keys of ordered flows, on_stop steps and iteration counts: read into the model
when right, one problem at its line (with a hint) when wrong; a recorded profile with
a count reads back from a session."""

from __future__ import annotations

import pytest

from loadtui.scenario import ScenarioError, load_scenario_text
from loadtui.scenario.iterations import with_iterations
from loadtui.scenario.model import Profile, Scenario
from loadtui.scenario.select import FOREVER, SelectionError, pick_profile
from loadtui.session.schema import profile as read_profile

HEAD = """name = "f"
[targets.t]
url = "http://127.0.0.1:8080"
[[users]]
name = "u"
"""
STEPS = """[[users.tasks]]
name = "one"
path = "/1"
[[users.tasks]]
name = "two"
path = "/2"
"""
STOP = """[[users.on_stop]]
name = "bye"
method = "POST"
path = "/bye"
"""


def load(text: str) -> Scenario:
    return load_scenario_text(text, "f.toml")


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(text)
    return str(caught.value).splitlines()


def test_order_and_on_stop_are_read_and_default_to_random_and_none() -> None:
    plain = load(HEAD + STEPS).users[0]
    assert plain.order == "random" and plain.on_stop == ()
    flow = load(HEAD + 'order = "sequence"\n' + STEPS + STOP).users[0]
    assert flow.order == "sequence"
    assert [t.name for t in flow.tasks] == ["one", "two"]
    assert [t.name for t in flow.on_stop] == ["bye"]


def test_a_threshold_may_name_an_on_stop_step() -> None:
    text = HEAD + STEPS + STOP + '[thresholds.endpoints.bye]\nerror_rate = "== 0"\n'
    assert load(text).thresholds[0].endpoint == "bye"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            HEAD + 'order = "sequense"\n' + STEPS,
            'f.toml:6: users[0].order: \'sequense\' is not one of "random", "sequence".'
            ' Did you mean "sequence"?',
        ),
        (
            HEAD + 'order = "sequence"\n' + STEPS.replace('path = "/2"', 'path = "/2"\nweight = 3'),
            'f.toml:13: users[0].tasks[1].weight: a step of an ordered flow (order = "sequence")'
            " has no weight: each pass runs every step once. Remove weight",
        ),
        (
            HEAD + STEPS + STOP.replace('name = "bye"', 'name = "two"'),
            "f.toml:13: users[0].on_stop[0].name: duplicate task name 'two' in this user class",
        ),
        (
            HEAD + STEPS + "[[users.on_stop]]\n" + 'nmae = "bye"\npath = "/bye"\n',
            'f.toml:13: users[0].on_stop[0].nmae: unknown key. Did you mean "name"?',
        ),
    ],
    ids=["order-typo", "weight-in-flow", "duplicate-name", "on-stop-key"],
)
def test_a_bad_flow_key_is_one_problem_at_its_line(text: str, expected: str) -> None:
    found = problems(text)
    assert found[0].startswith(expected), found
    assert len(found) == 1, found


def profile_text(body: str) -> str:
    return HEAD + STEPS + "[profiles.p]\n" + body


def test_an_iterations_stage_is_read_as_a_count_with_no_end_in_time() -> None:
    prof = load(profile_text("stages = [{ iterations = 100, users = 5, spawn_rate = 2 }]\n"))
    prof_p = prof.profiles[0]
    assert prof_p.iterations == 100
    (stage,) = prof_p.stages
    assert (stage.users, stage.spawn_rate, stage.duration) == (5, 2.0, FOREVER)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "stages = [{ iterations = 0, users = 5 }]",
            "profiles.p.stages[0].iterations: must be at least 1, got 0",
        ),
        (
            "stages = [{ iterations = 2.5, users = 5 }]",
            "profiles.p.stages[0].iterations: expected an integer, got number",
        ),
        (
            'stages = [{ iterations = 10, duration = "1m", users = 5 }]',
            "profiles.p.stages[0].duration: a stage lasts a duration or a number of"
            " iterations, not both",
        ),
        (
            "stages = [{ iterations = 10, users = 0 }]",
            "profiles.p.stages[0].users: an iterations stage needs users to run them",
        ),
        (
            'model = "open"\nstages = [{ iterations = 10, rate = 5 }]',
            "profiles.p.stages[0].iterations: iterations apply to the closed model (users)",
        ),
        (
            'stages = [{ duration = "1m", users = 1 }, { iterations = 10, users = 5 }]',
            "profiles.p.stages[1].iterations: an iterations stage is the profile's only stage",
        ),
        (
            "repeat = 2\nstages = [{ iterations = 10, users = 5 }]",
            "profiles.p.repeat: a profile of iterations does not repeat",
        ),
        (
            "stages = [{ iterations = 10000000000000, users = 5 }]",
            "profiles.p.stages[0].iterations: must be at most 1,000,000,000,000 iterations",
        ),
    ],
    ids=["zero", "fraction", "and-duration", "no-users", "open", "not-alone", "repeat", "huge"],
)
def test_a_bad_iterations_stage_is_one_problem(body: str, expected: str) -> None:
    found = problems(profile_text(body + "\n"))
    assert len(found) == 1 and expected in found[0], found
    assert found[0].startswith("f.toml:1")  # placed on a line of the profile


def test_minus_i_counts_any_closed_profile_and_refuses_an_open_one() -> None:
    scenario = load(profile_text('stages = [{ duration = "1m", users = 5 }]\n'))
    counted = with_iterations(pick_profile(scenario, None), 50)
    assert counted.iterations == 50 and counted.stages == scenario.profiles[0].stages
    assert with_iterations(pick_profile(scenario, None, users=3), 7).iterations == 7
    with pytest.raises(SelectionError, match="counts the closed model's iterations"):
        with_iterations(pick_profile(scenario, None, rate=10.0), 7)
    with pytest.raises(SelectionError, match="--iterations: must be at least 1"):
        with_iterations(pick_profile(scenario, None), 0)


def test_a_recorded_count_reads_back_and_an_old_profile_has_none() -> None:
    record = {"name": "p", "stages": [{"duration": FOREVER, "users": 5}]}
    assert read_profile(record).iterations is None
    assert read_profile({**record, "iterations": 40}) == Profile(
        name="p", stages=read_profile(record).stages, iterations=40
    )
