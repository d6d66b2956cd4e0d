"""The `checks` table: header, body-regex, JSON-rule and rate-limited checks as read from
a file, and every malformed one refused at its place with a hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from scenario.test_scenario_errors import marked_line, task
from support.scenarios import NOWHERE, call, get, load, scenario, user

from loadtui.scenario import ScenarioError, load_scenario_text
from loadtui.scenario.model import Checks, HeaderCheck, JsonCheck


def checks_of(checks: str) -> Checks:
    (cls,) = load_scenario_text(task('path = "/"', f"checks = {checks}"), env={}).users
    (t,) = cls.tasks
    return t.checks  # type: ignore[union-attr]


def test_every_check_kind_is_read() -> None:
    checks = checks_of(
        "{ body_regex = '\"id\":\\s*\\d+', "
        'json = { "/state" = "done", "/count" = "> 0", "/id" = "exists", "/gone" = "absent", '
        '"/name" = "== done", "/n" = "!= 3", "/ok" = true }, '
        'headers = { "Retry-After" = "present", "x-debug" = "absent", "x-a" = "equals: 1", '
        '"content-type" = "regex:^application/json" }, '
        'on_rate_limited = { headers = { "retry-after" = "present" }, body_contains = "slow" } }'
    )
    assert checks.body_regex == '"id":\\s*\\d+'
    # A value that is not a rule keeps its old meaning: equal to it.
    assert checks.json_equals == (("/state", "done"), ("/ok", True))
    assert checks.json == (
        JsonCheck("/count", ">", 0),
        JsonCheck("/id", "exists"),
        JsonCheck("/gone", "absent"),
        JsonCheck("/name", "==", "done"),
        JsonCheck("/n", "!=", 3),
    )
    assert checks.headers == (
        HeaderCheck("retry-after", "present"),
        HeaderCheck("x-debug", "absent"),
        HeaderCheck("x-a", "equals", "1"),
        HeaderCheck("content-type", "regex", "^application/json"),
    )
    assert checks.on_rate_limited == Checks(
        body_contains="slow", headers=(HeaderCheck("retry-after", "present"),)
    )
    assert checks.needs_body and checks.needs_headers


def test_comparison_operands_read_as_json_or_else_as_text() -> None:
    checks = checks_of(
        '{ json = { "/a" = "== 3", "/b" = \'== "3"\', "/c" = "== true", "/d" = "== null", '
        '"/e" = "<= -1.5", "/f" = "== NaN", "/g" = "== [1, 2]" } }'
    )
    assert [(c.pointer, c.value) for c in checks.json] == [
        ("/a", 3),
        ("/b", "3"),
        ("/c", True),
        ("/d", None),
        ("/e", -1.5),
        ("/f", "NaN"),  # not JSON: the text itself
        ("/g", [1, 2]),
    ]


def test_header_checks_alone_keep_headers_but_not_bodies() -> None:
    (cls,) = load(scenario(user(get("/", "h", checks={"headers": {"server": "present"}})))).users
    (t,) = cls.tasks
    assert t.needs_headers and not t.needs_body  # type: ignore[union-attr]
    (cls,) = load(
        scenario(user(get("/", "r", checks={"on_rate_limited": {"headers": {"a": "present"}}})))
    ).users
    (t,) = cls.tasks
    # A refusal's headers are kept by the pool anyway: nothing more to ask for.
    assert not t.needs_headers and not t.needs_body  # type: ignore[union-attr]


CASES: list[tuple[str, str, str, str]] = [
    # (id, checks = ..., field path under checks, what the line says)
    ("unknown-key", '{ body_regx = "a" }', "body_regx", 'Did you mean "body_regex"?'),
    ("bad-regex", '{ body_regex = "(unclosed" }', "body_regex", "not a valid regex: missing )"),
    (
        "lookahead",
        "{ body_regex = 'id(?=\\d)' }",
        "body_regex",
        "not a valid regex: invalid perl operator: (?=. RE2 syntax, as in k6: no lookarounds",
    ),
    ("backreference", "{ body_regex = '(a)\\1' }", "body_regex", "invalid escape sequence: \\1"),
    ("empty-regex", '{ body_regex = "" }', "body_regex", "must not be empty"),
    (
        "header-rule",
        '{ headers = { "retry-after" = "presnt" } }',
        "headers.retry-after",
        '\'presnt\' is not a header check. Did you mean "present"? Use "present", "absent"',
    ),
    (
        "header-prefix",
        '{ headers = { "x-a" = "equal:1" } }',
        "headers.x-a",
        'Did you mean "equals"?',
    ),
    (
        "header-regex",
        '{ headers = { "x-a" = "regex:[a-" } }',
        "headers.x-a",
        "not a valid regex: missing ]: [a-. RE2 syntax",
    ),
    (
        "header-type",
        '{ headers = { "x-a" = 1 } }',
        "headers.x-a",
        'expected a string, got integer. Use "present"',
    ),
    (
        "header-name",
        '{ headers = { "x a" = "present" } }',
        'headers."x a"',
        "is not a valid header name",
    ),
    (
        "header-twice",
        '{ headers = { "X-A" = "present", "x-a" = "absent" } }',
        "headers.x-a",
        "checked twice (as 'X-A' too). Header names ignore case",
    ),
    (
        "json-order-text",
        '{ json = { "/count" = "> many" } }',
        'json."/count"',
        '\'> many\': > compares numbers. Like "> 0"; to equal this text write "== > many"',
    ),
    (
        "json-no-operand",
        '{ json = { "/count" = ">=" } }',
        'json."/count"',
        "'>=': >= needs a value",
    ),
    (
        "json-pointer",
        '{ json = { "count" = "exists" } }',
        "json.count",
        'is not a JSON pointer. Like "/status"',
    ),
    (
        "rate-limited-status",
        "{ on_rate_limited = { status = [429] } }",
        "on_rate_limited.status",
        "does not apply to a rate-limited response",
    ),
    (
        "rate-limited-typo",
        '{ on_rate_limited = { header = { "retry-after" = "present" } } }',
        "on_rate_limited.header",
        'Did you mean "headers"?',
    ),
    (
        "rate-limited-type",
        '{ on_rate_limited = "retry-after" }',
        "on_rate_limited",
        "expected a table, got string",
    ),
]


@pytest.mark.parametrize(
    ("checks", "path", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_checks_are_refused_at_their_place(checks: str, path: str, fragment: str) -> None:
    text = task('name = "t"', 'path = "/"', f"checks = {checks} #<")
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "case.toml", env={})
    (problem,) = info.value.problems
    assert problem.path == f"users[0].tasks[0].checks.{path}"
    assert problem.file == "case.toml" and problem.line == marked_line(text)
    assert fragment in problem.format(), problem.format()


STEP_THRESHOLD = {"endpoints": {"download": {"p95": "< 1s"}}}


def test_thresholds_may_name_steps_only_when_python_tasks_can_name_them(tmp_path: Path) -> None:
    (tmp_path / "flows.py").write_text("async def fetch(client, vars):\n    pass\n")
    with_code = scenario(user(call("flows:fetch", "fetch")), thresholds=STEP_THRESHOLD)
    (t,) = load(with_code, NOWHERE, tmp_path).thresholds
    assert t.endpoint == "download"
    declarative = scenario(user(get("/", "downlaod")), thresholds=STEP_THRESHOLD)
    with pytest.raises(ScenarioError) as info:
        load(declarative, NOWHERE)
    (problem,) = info.value.problems
    assert problem.path == "thresholds.endpoints.download"
    assert "no task is named 'download'" in problem.format()
    assert 'Did you mean "downlaod"?' in problem.format()
