"""Property tests: the parsers and the loader hold up on any input.

Whatever a scenario file contains, loading either returns a Scenario or raises
ScenarioError (never another exception), and every line it reports is in the file.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.trees import copy_to, paths_of

from loadtui.scenario import ScenarioError, load_scenario_text
from loadtui.scenario.loader import build_scenario
from loadtui.scenario.locate import Locator
from loadtui.scenario.units import format_duration, parse_duration, parse_threshold, parse_wait

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = [
    "name", "description", "targets", "users", "profiles", "thresholds", "url", "headers",
    "timeout", "verify_tls", "http2", "max_connections", "connect", "read", "total", "weight",
    "wait", "variables", "tasks", "on_start", "websocket", "method", "path", "query", "json",
    "msgpack", "body", "content_type", "checks", "extract", "on_429", "call", "status",
    "body_contains", "max_latency", "var", "header", "model", "stages", "repeat", "start_rate",
    "max_inflight", "burst", "duration", "users", "spawn_rate", "rate", "every", "length",
    "offset", "p50", "p99", "p99.9", "error_rate", "status_5xx", "rps", "endpoints", "local",
]  # fmt: skip
STRINGS = [
    "http://127.0.0.1:8080", "/", "/x/{id}", "GET", "POST", "none", "uniform(1s, 2s)", "1s",
    "-1s", "250ms", "< 2s", "< 1%", "== 0", "/token", "${HOME}", "${NOPE:-d}", "${", "open",
    "closed", "honor", "mod:fn", "{{", "",
]  # fmt: skip

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
keys = st.one_of(st.sampled_from(KEYS), text)
scalars = st.one_of(
    st.sampled_from(STRINGS),
    text,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1, 1, 1)),
    st.dates(),
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=30,
)
documents = st.dictionaries(keys, trees, max_size=6)


@FAST
@given(st.floats(min_value=0, max_value=30 * 86400, allow_nan=False))  # bounds.MAX_DURATION_S
def test_durations_round_trip(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@FAST
@given(
    st.integers(0, 99), st.integers(0, 59), st.integers(0, 59), st.integers(0, 999),
    st.booleans(),
)  # fmt: skip
def test_compound_durations(h: int, m: int, s: int, ms: int, spaced: bool) -> None:
    parts = [f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s"), (ms, "ms")) if v] or ["0s"]
    text = (" " if spaced else "").join(parts)
    assert math.isclose(parse_duration(text), h * 3600 + m * 60 + s + ms / 1000, abs_tol=1e-9)


@FAST
@given(st.one_of(text, scalars))
def test_unit_parsers_raise_only_value_error(value: Any) -> None:
    for parse in (parse_duration, parse_wait, lambda v: parse_threshold("p99", v)):
        try:
            parse(value)
        except ValueError as exc:
            assert str(exc)


def check_load(text: str) -> None:
    try:
        load_scenario_text(text, "prop.toml", env={"HOME": "/root"})
    except ScenarioError as exc:
        assert exc.problems
        lines = text.count("\n") + 1
        for problem in exc.problems:
            assert problem.line is None or 1 <= problem.line <= lines, problem
            assert problem.format().startswith("prop.toml")


@FAST
@given(st.text(max_size=300))
def test_garbage_text_raises_only_scenario_error(text: str) -> None:
    check_load(text)


MINIMAL_LINES = [
    'name = "bench"', "[targets.local]", 'url = "http://127.0.0.1:8080"', "[[users]]",
    'name = "u"', 'wait = "none"', "[[users.tasks]]", 'name = "root"', 'method = "GET"',
    'path = "/"', "[profiles.flat]", 'stages = [{ duration = "8s", users = 32 }]',
    "[thresholds]", 'p99 = "< 500ms"', "[users.websocket]", 'json = { "/a" = 1 }',
    'extract = [{ var = "t", json = "/t" }]', "[thresholds.endpoints.root]", "weight = -1",
    'call = "m:f"', 'burst = { every = "1s", length = "2s", rate = 1 }', 'model = "open"',
]  # fmt: skip


@FAST
@given(st.lists(st.sampled_from(MINIMAL_LINES), max_size=25))
def test_shuffled_scenario_lines_raise_only_scenario_error(lines: list[str]) -> None:
    check_load("\n".join(lines))


@FAST
@given(documents)
def test_random_key_trees_raise_only_scenario_error(data: dict[str, Any]) -> None:
    try:
        build_scenario(data, "tree.toml", "", {"HOME": "/root"})
    except ScenarioError as exc:
        assert exc.problems and all(p.line is None for p in exc.problems)


FULL = tomllib.loads(
    """
name = "full"
[targets.a]
url = "http://127.0.0.1:1"
timeout = { connect = "1s", read = "2s", total = "3s" }
headers = { X = "y" }
[[users]]
name = "u"
wait = "uniform(1s, 2s)"
variables = { id = "1" }
[[users.on_start]]
method = "POST"
path = "/login"
json = { user = "a" }
extract = [{ var = "token", json = "/token" }, { var = "loc", header = "Location" }]
[[users.tasks]]
name = "t"
path = "/items/{id}"
query = { q = ["a", "b"] }
checks = { status = [200], body_contains = "x", json = { "/a" = 1 }, max_latency = "1s" }
on_429 = "honor"
[[users.tasks]]
msgpack = { a = [1, 2] }
path = "/p"
[[users.tasks]]
body = "raw {id}"
path = "/r"
[profiles.c]
stages = [{ duration = "1m", users = 5, spawn_rate = 1 }]
burst = { every = "10s", length = "1s", users = 9 }
[profiles.o]
model = "open"
start_rate = 1
stages = [{ duration = "1m", rate = 5 }]
burst = { every = "10s", length = "1s", rate = 9 }
[thresholds]
p99 = "< 1s"
[thresholds.endpoints.t]
error_rate = "< 1%"
"""
)


FULL_PATHS = paths_of(FULL)[1:]


def test_the_mutation_base_is_valid() -> None:
    scenario = build_scenario(FULL, "full.toml", "", {})
    assert len(scenario.users[0].tasks) == 3 and len(scenario.profiles) == 2


def mutated(path: tuple[Any, ...], value: Any, extra_key: str | None) -> dict[str, Any]:
    data, parent = copy_to(FULL, path)
    if extra_key is not None and isinstance(parent, dict):
        parent[extra_key] = value
    else:
        parent[path[-1]] = value
    return data


@FAST
@given(st.sampled_from(FULL_PATHS), trees, st.one_of(st.none(), keys))
def test_mutations_of_a_full_scenario_raise_only_scenario_error(
    path: tuple[Any, ...], value: Any, extra_key: str | None
) -> None:
    data = mutated(path, value, extra_key)
    try:
        build_scenario(data, "full.toml", "", {"HOME": "/root"})
    except ScenarioError as exc:
        assert exc.problems


def toml_value(value: Any) -> str:
    """A TOML inline rendering (enough for these trees)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


@FAST
@given(documents)
def test_random_documents_place_problems_inside_the_file(data: dict[str, Any]) -> None:
    text = "\n".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in data.items())
    try:
        assert tomllib.loads(text) is not None
    except tomllib.TOMLDecodeError:
        return  # e.g. a date-time out of TOML's range; the garbage test covers this
    check_load(text)


paths = st.lists(st.one_of(keys, st.integers(0, 5)), max_size=6).map(tuple)


@FAST
@given(st.text(max_size=400), paths)
def test_locator_never_fails_and_stays_in_the_file(text: str, path: tuple[Any, ...]) -> None:
    line = Locator(text).line(path)
    assert line is None or 1 <= line <= text.count("\n") + 1


@FAST
@given(documents, paths)
def test_locator_on_valid_toml(data: dict[str, Any], path: tuple[Any, ...]) -> None:
    text = "\n".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in data.items())
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    loc = Locator(text)
    line = loc.line(path)
    assert line is None or 1 <= line <= text.count("\n") + 1
    for i, key in enumerate(data):  # every top-level key is found on its own line
        assert loc.line((key,)) == i + 1
