"""Every problem at once: a problem on one field or class never hides another's.

The collector keeps one problem per field subtree, so a problem placed on a whole user
class would swallow the class's other problems; these files put several in one class
and spread others over several classes, profiles and thresholds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtui.cli import main
from loadtui.scenario import ScenarioError, load_scenario_text

TEXT = """\
name = "many"
[targets.local]
url = "http://127.0.0.1:8080"

[[users]]
name = "idle"
wait = "sometimes"
weight = -1
variables = { "1st" = "x" }

[[users]]
name = "broken"
wait = "constant(1s)"
[[users.tasks]]
name = "t"
method = "FETCH"
path = "no-slash"

[[users]]
name = "empty"
tasks = []
wait = "never"

[profiles.p]
stages = [{ duration = "1m", users = 2, rate = 5 }]

[thresholds]
p99 = "fast"
"""

# (line, field path, what is wrong, how to fix it): every problem above, in file order.
EXPECTED = [
    (5, "users[0].tasks", "user class 'idle' has no tasks", "Add [[users.tasks]]"),
    (7, "users[0].wait", "unknown wait kind 'sometimes'", "expected none, constant(1s)"),
    (8, "users[0].weight", "must be greater than 0", "got -1"),
    (9, "users[0].variables.1st", "is not a variable name", "Use letters, digits and _"),
    (16, "users[1].tasks[0].method", "'FETCH' is not an HTTP method", "Use one of GET"),
    (17, "users[1].tasks[0].path", "'no-slash' must start with /", "Put scheme and host"),
    (21, "users[2].tasks", "is empty", "Add at least one task"),
    (22, "users[2].wait", "unknown wait kind 'never'", "expected none, constant(1s)"),
    (25, "profiles.p.stages[0].rate", "closed-model stages take users", 'model = "open"'),
    (28, "thresholds.p99", "expected a comparison", 'like "< 2000ms"'),
]


def test_a_class_without_tasks_still_reports_its_other_problems() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(TEXT, "many.toml", env={})
    problems = info.value.problems
    assert [(p.line, p.path) for p in problems] == [(line, path) for line, path, *_ in EXPECTED]
    for problem, (line, path, wrong, fix) in zip(problems, EXPECTED, strict=True):
        text = problem.format()
        assert text.startswith(f"many.toml:{line}: {path}: {wrong}"), text
        assert fix in text, text


def test_a_class_with_only_problems_besides_its_tasks() -> None:
    # Without the other classes: the class-level problem comes first, the rest follow.
    text = TEXT.split('\n[[users]]\nname = "broken"')[0]
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "one.toml", env={})
    assert [p.path for p in info.value.problems] == [
        "users[0].tasks",
        "users[0].wait",
        "users[0].weight",
        "users[0].variables.1st",
    ]


def test_validate_prints_every_problem_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scen = tmp_path / "many.toml"
    scen.write_text(TEXT)
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(scen)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0] == f"loadtui: {scen} has problems:"
    assert len(lines) == 1 + len(EXPECTED)
    for text, (line, path, wrong, fix) in zip(lines[1:], EXPECTED, strict=True):
        assert text.startswith(f"{scen}:{line}: {path}: {wrong}") and fix in text, text
