"""`loadtui report / compare / replay / rerun` as a user runs them: exit codes, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIO = """
name = "s"
[targets.local]
url = "{url}"
[[users]]
name = "u"
wait = "constant(0.02s)"
[[users.tasks]]
name = "fast"
path = "/api/fast"
[thresholds]
p99 = "< 5s"
"""


def loadtui(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loadtui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


@pytest.fixture(scope="module")
def recorded(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("recorded")
    (tmp / "s.toml").write_text(SCENARIO.format(url=demo_url))
    # A count of passes, not a length: the p99 gate needs requests to judge, and a run
    # of fixed length could end before any on a busy machine.
    run = loadtui(
        "run",
        "s.toml",
        "-u",
        "3",
        "-i",
        "60",
        "-q",
        "--session",
        "s.json",
        "--report-json",
        "a.json",
        cwd=tmp,
    )
    assert run.returncode == 0, run.stderr
    return tmp


def test_report_from_the_session_equals_the_live_report(recorded: Path) -> None:
    out = loadtui(
        "report", "s.json", "--report-json", "b.json", "--svg", "c.svg", "-q", cwd=recorded
    )
    assert out.returncode == 0, out.stderr
    a = json.loads((recorded / "a.json").read_text())
    b = json.loads((recorded / "b.json").read_text())
    assert a == b
    assert (recorded / "c.svg").read_text().startswith("<svg")


def test_compare_a_session_with_itself_passes(recorded: Path) -> None:
    same = loadtui("compare", "s.json", "s.json", "--report-md", "cmp.md", cwd=recorded)
    assert same.returncode == 0, same.stdout + same.stderr
    assert (recorded / "cmp.md").exists()
    bad = loadtui("compare", "s.json", "s.json", "--tolerance", "5", cwd=recorded)
    assert bad.returncode == 2 and "--tolerance" in bad.stderr


def test_compare_runs_that_differ_exits_2_unless_allowed(recorded: Path) -> None:
    lines = (recorded / "s.json").read_text().splitlines()
    header = json.loads(lines[0])
    header["workers"] = 2  # as a run on two worker processes will record it
    (recorded / "w2.json").write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    out = loadtui("compare", "s.json", "w2.json", "--report-md", "w2.md", cwd=recorded)
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr == (
        "loadtui: s.json and w2.json are not comparable (workers);"
        " --allow-different judges them anyway\n"
    )
    shown = out.stdout.splitlines()
    assert shown[0] == "loadtui compare: not comparable (1 difference)"
    assert shown.index("not comparable: workers 1 vs 2") < shown.index("Endpoints (latency in ms)")
    assert "> ⛔ not comparable: workers 1 vs 2" in (recorded / "w2.md").read_text()
    allowed = loadtui("compare", "s.json", "w2.json", "--allow-different", cwd=recorded)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "not comparable: workers 1 vs 2" in allowed.stdout and allowed.stderr == ""
    assert "Result: no regression" in allowed.stdout
    usage = loadtui("compare", "--help")
    words = " ".join(usage.stdout.split())
    assert "--allow-different" in words and "2 not comparable, or a usage error" in words


@pytest.mark.parametrize("command", ["report", "replay", "rerun"])
def test_unreadable_sessions_exit_2_with_one_line(recorded: Path, command: str) -> None:
    (recorded / "notes.txt").write_text("not a session\n")
    for name, message in (("missing.json", "no such file"), ("notes.txt", "not a loadtui session")):
        out = loadtui(command, name, cwd=recorded)
        assert out.returncode == 2, (command, out.stderr)
        assert message in out.stderr and out.stderr.strip().count("\n") == 0
        assert "Traceback" not in out.stderr


def test_rerun_without_its_scenario_says_what_to_do(recorded: Path, tmp_path: Path) -> None:
    lines = (recorded / "s.json").read_text().splitlines()
    header = json.loads(lines[0])
    header["scenario"]["path"] = str(tmp_path / "gone.toml")
    (tmp_path / "moved.json").write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    out = loadtui("rerun", str(tmp_path / "moved.json"))
    assert out.returncode == 2 and "give --scenario FILE" in out.stderr
