"""`warmup` on a profile: a number of HTTP connections opened before t = 0, on either
model; anything else is one problem at its line, with a hint."""

from __future__ import annotations

import pytest

from loadtui.scenario import ScenarioError, load_scenario_text
from loadtui.scenario.model import Profile
from loadtui.session.schema import profile as read_profile

HEAD = """name = "w"
[targets.t]
url = "http://127.0.0.1:8080"
[[users]]
name = "u"
[[users.tasks]]
name = "x"
path = "/"
[profiles.p]
"""
OPEN = 'model = "open"\nstages = [{ duration = "1m", rate = 10 }]\n'
CLOSED = 'stages = [{ duration = "1m", users = 10 }]\n'


def load(body: str) -> Profile:
    return load_scenario_text(HEAD + body, "w.toml").profiles[0]


@pytest.mark.parametrize("model", [OPEN, CLOSED])
def test_warmup_is_read_on_either_model_and_defaults_to_none(model: str) -> None:
    assert load(model).warmup == 0
    assert load("warmup = 200\n" + model).warmup == 200


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            '"10s"',
            "profiles.p.warmup: is a number of connections, not a duration. Like warmup = 200",
        ),
        ("-1", "profiles.p.warmup: must be at least 0, got -1"),
        ("2.5", "profiles.p.warmup: expected an integer, got number"),
        ("20000000", "profiles.p.warmup: must be at most 10,000,000 connections, got 2e+07"),
    ],
)
def test_a_bad_warmup_is_one_problem_at_its_line(value: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load(f"warmup = {value}\n" + OPEN)
    assert str(caught.value).startswith(f"w.toml:10: {problem}")
    assert len(str(caught.value).splitlines()) == 1


def test_a_session_without_warmup_reads_as_none() -> None:
    """Sessions recorded before `warmup` existed still read (and re-run without one)."""
    record = {"name": "p", "model": "open", "stages": [{"duration": 60.0, "rate": 10.0}]}
    assert read_profile(record).warmup == 0
    assert read_profile({**record, "warmup": 50}).warmup == 50
