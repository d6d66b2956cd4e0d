"""`loadtui run -i N` as a user runs it: exactly N iterations against the demo target,
`iterations` in the report and the summary; a bad count is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import loadtui
from support.scenarios import api_fast, scenario, user, write

FAST = scenario(user(api_fast(), wait="constant(0.005s)"))


def test_minus_i_runs_exactly_n_iterations_and_reports_them(demo_url: str, tmp_path: Path) -> None:
    scen = write(tmp_path, FAST)
    proc = loadtui(
        "run", str(scen), "-u", "3", "-i", "25", "--report-json", "r.json", cwd=tmp_path,
        env={"LOADTUI_TARGET": demo_url},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["iterations"] == 25 and report["requests"] == 25
    assert "25 requests in" in proc.stdout and "25 iterations" in proc.stdout


def test_the_bundled_flow_runs_its_steps_in_order(demo_url: str, tmp_path: Path) -> None:
    proc = loadtui(
        "run", "flow", "--target", demo_url, "-u", "2", "-i", "6", "--report-json", "r.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    rows = {e["name"]: e for e in report["endpoints"]}
    assert [rows[s]["requests"] for s in ("login", "create", "poll", "download")] == [6] * 4
    assert rows["logout"]["requests"] == 2 and report["failures"] == 0
    assert report["iterations"] == 6 and report["passed"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-i", "0"], "--iterations: must be at least 1, got 0"),
        (["-i", "ten"], "--iterations: expected a whole number, got 'ten'"),
        (["-i", "2.5"], "--iterations: must be a whole number, got 2.5"),
        (["-i", "1e13"], "--iterations: must be at most 1,000,000,000,000 iterations"),
        (["--rate", "10", "-i", "5"], "--iterations counts the closed model's iterations"),
    ],
    ids=["zero", "text", "fraction", "huge", "open-model"],
)
def test_a_bad_count_is_one_line_and_exit_2(
    demo_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    scen = write(tmp_path, FAST)
    proc = loadtui("run", str(scen), *args, env={"LOADTUI_TARGET": demo_url})
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
