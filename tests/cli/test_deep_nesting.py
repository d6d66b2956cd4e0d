"""Absurdly nested TOML is one problem with its place, never a RecursionError: nesting
deep enough to break tomllib itself (thousands of levels), and nesting it parses but
that would break the loader's walks (hundreds of levels, or a long dotted key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import loadtui

from loadtui.scenario import ScenarioError, load_scenario_text
from loadtui.scenario.nesting import MAX_DEPTH

HEAD = 'name = "deep"\n[targets.t]\nurl = "http://127.0.0.1:9"\n# [[[[ not nesting\n'
DEEP = {  # case: (text after HEAD, the line it is on)
    "arrays-break-tomllib": ("v = " + "[" * 5000 + "]" * 5000 + "\n", 5),
    "inline-tables": ('s = "[[[[{{{{"\nw = ' + "{a=" * 300 + "1" + "}" * 300 + "\n", 6),
    "dotted-key": (".".join(["k"] * 3000) + " = 1\n", 5),
}


@pytest.mark.parametrize("case", list(DEEP))
def test_deep_nesting_is_one_problem_with_its_line(case: str) -> None:
    tail, line = DEEP[case]
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(HEAD + tail, "deep.toml")
    [problem] = caught.value.problems
    assert problem.line == line
    assert problem.message == f"nested more than {MAX_DEPTH} levels deep"


def test_nesting_a_scenario_needs_still_loads() -> None:
    body = "{ a = " * 20 + "1" + " }" * 20
    text = HEAD + f'[[users]]\nname = "u"\n[[users.tasks]]\nname = "t"\npath = "/"\njson = {body}\n'
    assert load_scenario_text(text, "ok.toml").users[0].tasks[0].name == "t"


@pytest.mark.parametrize("command", ["validate", "run"])
def test_validate_and_run_say_it_in_one_line_and_exit_2(tmp_path: Path, command: str) -> None:
    scen = tmp_path / "deep.toml"
    scen.write_text(HEAD + DEEP["arrays-break-tomllib"][0])
    proc = loadtui(command, str(scen))
    assert proc.returncode == 2, proc.stderr
    assert f"{scen}:5: nested more than {MAX_DEPTH} levels deep" in proc.stderr
    assert "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 2  # "... has problems:" and the problem
