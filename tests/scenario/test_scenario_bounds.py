"""Values past the bounds (scenario/bounds.py) are refused at load: one problem with its
place and a hint, and nothing built. A rate within the bound, however large, is legal."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loadtui.scenario import ScenarioError, load_scenario_text
from loadtui.scenario import loader as loader_module
from loadtui.scenario.bounds import (
    MAX_DURATION_S,
    MAX_RATE,
    MAX_REPEAT,
    MAX_SPAWN_RATE,
    MAX_TASKS,
    MAX_USERS,
    RATE_HINT,
    USERS_HINT,
)
from loadtui.scenario.loader import build_scenario
from loadtui.scenario.units import parse_duration

HEAD = """name = "b"
[targets.t]
url = "http://127.0.0.1:8080"
{target}
[[users]]
name = "u"
wait = "{wait}"
[[users.tasks]]
name = "x"
path = "/"
"""


def scenario(profile: str, *, wait: str = "none", target: str = "") -> str:
    return HEAD.format(wait=wait, target=target) + profile


def open_profile(stage: str = "rate = 10", extra: str = "") -> str:
    return f'[profiles.p]\nmodel = "open"\n{extra}\nstages = [{{ duration = "1m", {stage} }}]\n'


def closed_profile(stage: str = "users = 10", extra: str = "") -> str:
    return f'[profiles.p]\n{extra}\nstages = [{{ duration = "1m", {stage} }}]\n'


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, "s.toml")
    return [p.format() for p in caught.value.problems]


CASES = [
    # (scenario text, field path, words of the message, words of the hint)
    (scenario(open_profile("rate = 2e9")), "profiles.p.stages[0].rate",
     "must be at most 1,000,000,000 arrivals/s, got 2e+09", RATE_HINT),
    (scenario(open_profile("rate = nan")), "profiles.p.stages[0].rate", "not NaN", None),
    (scenario(open_profile("rate = inf")), "profiles.p.stages[0].rate", "must be finite", None),
    (scenario(open_profile("rate = -1")), "profiles.p.stages[0].rate",
     "must be at least 0, got -1", None),
    (scenario(open_profile(extra="start_rate = -inf")), "profiles.p.start_rate",
     "must be at least 0, got -inf", None),
    (scenario(open_profile(extra="max_inflight = 100_000_000")), "profiles.p.max_inflight",
     "must be at most 10,000,000", None),
    (scenario(open_profile(extra='burst = { every = "1m", length = "1s", rate = 5e9 }')),
     "profiles.p.burst.rate", "must be at most 1,000,000,000 arrivals/s", RATE_HINT),
    (scenario(closed_profile("users = 100_000_000_000")), "profiles.p.stages[0].users",
     "must be at most 10,000,000 users, got 1e+11", USERS_HINT),
    (scenario(closed_profile("users = -3")), "profiles.p.stages[0].users",
     "must be at least 0, got -3", None),
    (scenario(closed_profile("users = 10, streams = 20_000_000")),
     "profiles.p.stages[0].streams", "must be at most 10,000,000 streams", USERS_HINT),
    (scenario(closed_profile("users = 10, spawn_rate = 1e8")),
     "profiles.p.stages[0].spawn_rate", "must be at most 10,000,000 users/s", None),
    (scenario(closed_profile("users = 10, spawn_rate = nan")),
     "profiles.p.stages[0].spawn_rate", "not NaN", None),
    (scenario(closed_profile(extra='burst = { every = "1m", length = "1s", users = 99_999_999 }')),
     "profiles.p.burst.users", "must be at most 10,000,000 users", USERS_HINT),
    (scenario('[profiles.p]\nstages = [{ duration = "999999999999d", users = 1 }]\n'),
     "profiles.p.stages[0].duration", "must be at most 30 days", None),
    (scenario('[profiles.p]\nstages = [{ duration = 1e308, users = 1 }]\n'),
     "profiles.p.stages[0].duration", "must be at most 30 days", None),
    (scenario('[profiles.p]\nstages = [{ duration = "16d", users = 1 }, '
              '{ duration = "16d", users = 2 }]\n'),
     "profiles.p.stages", "the profile lasts 32.0 days: at most 30 days", "cut the run with -t"),
    (scenario(closed_profile(extra="repeat = 100_000")), "profiles.p.repeat",
     "must be at most 10,000, got 100000", None),
    (scenario('[profiles.p]\nrepeat = 5000\nstages = [{ duration = "1s", users = 1 }, '
              '{ duration = "1s", users = 2 }, { duration = "1s", users = 3 }]\n'),
     "profiles.p.repeat", "3 stages x 5,000 repeats = 15,000 stages: at most 10,000", None),
    (scenario('[profiles.p]\nrepeat = 400\nstages = [{ duration = "1h", users = 1 }, '
              '{ duration = "1h", users = 2 }]\n'),
     "profiles.p.repeat", "the profile lasts 33.3 days", "cut the run with -t"),
    (scenario(closed_profile(), wait="constant(31d)"), "users[0].wait",
     "must be at most 30 days", None),
    (scenario(closed_profile(), target='timeout = "40d"'), "targets.t.timeout",
     "must be at most 30 days", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "path", "message", "hint"), CASES)
def test_each_bound_is_one_problem_with_place_and_hint(
    text: str, path: str, message: str, hint: str | None
) -> None:
    found = problems(text)
    assert len(found) == 1, found
    line = found[0]
    assert line.startswith("s.toml:") and f": {path}: " in line, line
    assert message in line, line
    if hint is not None:
        assert hint in line, line
    assert "\n" not in line


def test_a_rate_within_the_bound_is_legal_however_large() -> None:
    plan = load_scenario_text(scenario(open_profile("rate = 1e9")))
    assert plan.profiles[0].stages[0].rate == MAX_RATE


def tasks(n: int) -> str:
    return ", ".join(f'{{ name = "t{k}", path = "/" }}' for k in range(n))


def tasks_file(per_class: list[int]) -> str:
    classes = "".join(
        f'[[users]]\nname = "u{i}"\ntasks = [{tasks(n)}]\n' for i, n in enumerate(per_class)
    )
    return 'name = "b"\n[targets.t]\nurl = "http://127.0.0.1:8080"\n' + classes


def test_200000_tasks_are_refused_without_building_any(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_args: Any) -> Any:
        raise AssertionError("the user classes were built")

    monkeypatch.setattr(loader_module, "read_users", never)
    found = problems(tasks_file([200_000]))
    assert found == [
        "s.toml: users[0].tasks: 200,000 tasks: at most 10,000 are allowed in a user class."
        " Write a repeated request once, with {var} placeholders and a weight"
    ]


@pytest.mark.parametrize(
    ("per_class", "words"),
    [
        ([MAX_TASKS], None),
        ([MAX_TASKS + 1], "users[0].tasks: 10,001 tasks: at most 10,000 are allowed in a user"),
        ([6_000, 6_000], "users: 12,000 tasks: at most 10,000 are allowed in all"),
        ([1] * 1_001, "users: 1,001 user classes: at most 1,000 are allowed"),
    ],
)
def test_task_and_class_counts(per_class: list[int], words: str | None) -> None:
    text = tasks_file(per_class)
    if words is None:
        assert len(load_scenario_text(text).users[0].tasks) == MAX_TASKS
    else:
        assert any(words in p for p in problems(text))


def test_too_many_stages_are_refused_before_reading_them() -> None:
    stages = '{ duration = "1s", users = 1 }, ' * 10_001
    found = problems(tasks_file([1]) + f"[profiles.p]\nstages = [{stages}]\n")
    assert len(found) == 1 and "profiles.p.stages: 10,001 stages: at most 10,000" in found[0]


# ---- any value of a bounded field: refused with a problem at its place, or in bounds ----

FIELDS: dict[str, tuple[str, float]] = {
    "rate": ("open", MAX_RATE),
    "users": ("closed", MAX_USERS),
    "spawn_rate": ("closed", MAX_SPAWN_RATE),
    "streams": ("closed", MAX_USERS),
    "duration": ("closed", MAX_DURATION_S),
    "repeat": ("closed", MAX_REPEAT),
}
values = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["1e400s", "1e9", "30d", "31d", "-1s", "1h30m", "nan", "inf", ""]),
    st.booleans(),
)


def lasts_no_time(value: object) -> bool:
    """A valid duration of zero: refused for the whole profile, not at the stage."""
    try:
        return parse_duration(value) == 0
    except ValueError:
        return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(sorted(FIELDS)), value=values)
def test_any_value_is_refused_at_its_place_or_within_bounds(field: str, value: Any) -> None:
    model, maximum = FIELDS[field]
    stage: dict[str, Any] = {"duration": "1m"}
    stage.update({"rate": 5} if model == "open" else {"users": 5})
    profile: dict[str, Any] = {"model": model, "stages": [stage]}
    if field == "repeat":
        profile["repeat"] = value
    else:
        stage[field] = value
    users: dict[str, Any] = {"name": "u", "tasks": [{"path": "/"}]}
    if field == "streams":
        users["websocket"] = {"path": "/ws"}
    data = {
        "targets": {"t": {"url": "http://127.0.0.1:8080"}},
        "users": [users],
        "profiles": {"p": profile},
    }
    try:
        plan = build_scenario(data, "s.toml", "", {})
    except ScenarioError as exc:
        where = "profiles.p.repeat" if field == "repeat" else f"profiles.p.stages[0].{field}"
        if field == "duration" and lasts_no_time(value):  # 0, 0.0, "0", "0s", "0ms", ...
            where = "profiles.p.stages"  # "the stages last 0 s in total"
        assert [p.path for p in exc.problems] == [where], exc.format()
        return
    got = plan.profiles[0]
    number = got.repeat if field == "repeat" else getattr(got.stages[0], field)
    assert number is not None and math.isfinite(number) and 0 <= number <= maximum
