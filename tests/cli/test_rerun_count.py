"""A run that its iteration count ended is re-run to the same count, however long that
takes: the re-run's length is not the original's. The original answers at once, the
re-run 300 ms per request (the delay comes from the environment, read anew when the
re-run loads the scenario), so a re-run held to the original's length would stop after
a few of its 10 iterations. A run that a length or a stop ended keeps its length
(tests/session/test_rerun.py)."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import loadtui

from loadtui.session.reader import read_session
from loadtui.session.rerun import ended_by_count, rerun_plan, stopped_at

SCENARIO = """
name = "rerun-count"
[targets.demo]
url = "{url}"
[[users]]
name = "u"
[[users.tasks]]
name = "delay"
path = "/api/delay"
query = {{ ms = "${{DELAY_MS}}" }}
"""
COUNT = 10


def test_a_count_ended_run_is_rerun_to_its_count(demo_url: str, tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(SCENARIO.format(url=demo_url))
    run = loadtui(
        "run", "s.toml", "-q", "-u", "1", "-i", str(COUNT), "--session", "s.json",
        cwd=tmp_path, env={"DELAY_MS": "0"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    original = read_session(tmp_path / "s.json")
    assert ended_by_count(original) and rerun_plan(original).duration is None
    again = loadtui(
        "rerun", "s.json", "-q", "--session", "r.json", "--report-json", "r.json.report",
        cwd=tmp_path, env={"DELAY_MS": "300"},
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    report = json.loads((tmp_path / "r.json.report").read_text())
    assert (report["requests"], report["iterations"]) == (COUNT, COUNT)


def test_a_count_cut_short_by_a_length_keeps_the_length(demo_url: str, tmp_path: Path) -> None:
    """`-i` and `-t` together, ended by `-t`: the re-run keeps the length."""
    (tmp_path / "s.toml").write_text(SCENARIO.format(url=demo_url))
    run = loadtui(
        "run", "s.toml", "-q", "-u", "1", "-i", "1000000", "-t", "1s", "--session", "s.json",
        cwd=tmp_path, env={"DELAY_MS": "20"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    original = read_session(tmp_path / "s.json")
    assert not ended_by_count(original)
    assert rerun_plan(original).duration == stopped_at(original) >= 1.0
