"""--workers and --ray as a user types them: a fleet run that works, and bad values
that get one line and exit 2 before any load is sent; --ray without the extra says how
to install it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import loadtui


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("0", "loadtui: --workers must be between 1 and 1024, got 0\n"),
        ("-3", "loadtui: --workers must be between 1 and 1024, got -3\n"),
        ("2.5", "loadtui: --workers: expected a whole number or auto, got '2.5'\n"),
        ("lots", "loadtui: --workers: expected a whole number or auto, got 'lots'\n"),
        ("99999", "loadtui: --workers must be between 1 and 1024, got 99999\n"),
    ],
)
def test_a_bad_worker_count_is_one_line_and_exit_2(value: str, line: str) -> None:
    done = loadtui("run", "-t", "1s", "-q", "--workers", value)
    assert (done.returncode, done.stderr) == (2, line)


def test_ray_without_the_extra_says_how_to_install_it(tmp_path: Path) -> None:
    shadow = tmp_path / "ray"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    done = loadtui("run", "-t", "1s", "-q", "--ray", "local", env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr == "loadtui: --ray needs Ray: pip install 'loadtui[ray]'\n"


def test_two_workers_run_the_demo_and_record_the_layout(tmp_path: Path) -> None:
    # A count of passes, shared by both workers: a run of fixed length could end before
    # any request on a busy machine.
    done = loadtui(
        "run", "-i", "20", "-q", "--workers", "2", "--session", "s.jsonl",
        "--report-json", "r.json", cwd=tmp_path,
    )  # fmt: skip
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["requests"] > 0 and not report["unserved"], done.stderr
    lines = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert lines[0]["type"] == "header" and lines[0]["workers"] == 2
    ticks = [x for x in lines if x["type"] == "tick"]
    assert ticks and [w["index"] for w in ticks[-1]["workers"]] == [0, 1]
    replayed = loadtui("report", "s.jsonl", "-q", "--report-json", "again.json", cwd=tmp_path)
    assert replayed.returncode in (0, 1)
    assert json.loads((tmp_path / "again.json").read_text())["requests"] == report["requests"]
