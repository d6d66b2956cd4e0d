"""`loadtui run --target-pid` on a pre-fork server (a parent with two workers sharing
one socket): the report sums the whole family, and a worker's leak fails rss_growth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from support.prefork import MiB, prefork_server

from loadtui.report.from_session import report_from_session
from loadtui.session.reader import read_session

# A first second without users gives a baseline before the first call can leak.
SCENARIO = """
name = "prefork"
[targets.local]
url = "{url}"
[[users]]
name = "u"
wait = "constant(0.3s)"
[[users.tasks]]
name = "call"
path = "{path}"
[profiles.soak]
stages = [{{ duration = "1s", users = 0 }}, {{ duration = "30s", users = 1, spawn_rate = 100 }}]
[thresholds.target]
rss_growth = "< 20MiB"
"""


@pytest.mark.parametrize(
    ("path", "leaks", "given"),
    [("/leak", True, True), ("/", False, False)],
    ids=["leak-given-pid", "steady-found-by-port"],
)
def test_a_prefork_target_is_watched_whole(
    path: str, leaks: bool, given: bool, tmp_path: Path
) -> None:
    """With --target-pid PARENT, or without it (found from the port), the same family."""
    with prefork_server(leak_mb=30) as srv:
        (tmp_path / "s.toml").write_text(SCENARIO.format(url=srv.url, path=path))
        watch = ["--target-pid", str(srv.pid)] if given else []
        proc = subprocess.run(
            [
                # A second idle, then three calls (-i; the stage's 30 s only a guard): a
                # stage of fixed length could end before the second on a busy machine.
                sys.executable, "-m", "loadtui", "run", "s.toml", "-q", "--tick", "0.25",
                "-i", "3", *watch, "--session", "s.json", "--report-json", "r.json",
                "--report-md", "r.md",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )  # fmt: skip
        parent = psutil.Process(srv.pid)
        workers = sorted(c.pid for c in parent.children())
        alone = parent.memory_info().rss
        family = alone + sum(psutil.Process(pid).memory_info().rss for pid in workers)

    assert proc.returncode == (1 if leaks else 0), proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    tp = report["target_process"]
    assert tp["pids"] == [srv.pid, *workers] and len(workers) == 2
    # Summed over the three processes, not the parent alone (the end of the run is idle:
    # its last sample is what they hold now).
    assert abs(tp["rss_end_bytes"] - family) < 0.1 * family
    assert tp["rss_max_bytes"] >= tp["rss_end_bytes"] > alone + 10 * MiB
    assert tp["rss_start_bytes"] <= tp["rss_max_bytes"]
    assert tp["cpu_max_percent"] >= tp["cpu_mean_percent"] >= 0
    (growth,) = [t for t in report["thresholds"] if t["metric"] == "rss_growth"]
    assert growth["observed"] == tp["rss_growth_bytes"]
    if leaks:  # one worker kept 30 MB per call, twice at least
        assert tp["rss_growth_bytes"] > 50 * MiB
        assert growth["ok"] is False and report["passed"] is False
    else:
        assert abs(tp["rss_growth_bytes"]) < 20 * MiB
        assert growth["ok"] is True and report["passed"] is True
    assert "### Target process" in (tmp_path / "r.md").read_text()
    session = read_session(tmp_path / "s.json")
    assert session.header["target_pids"] == tp["pids"]
    # The breach was an event when it happened, not only a verdict at the end.
    breaches = [e for e in session.events if e.kind == "breach"]
    assert [e.data["threshold"] for e in breaches] == (
        ["target: rss_growth < 20MiB"] if leaks else []
    )
    # `loadtui report` on the session folds its ticks into the same section.
    assert report_from_session(session) == report


def test_a_target_pid_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    with prefork_server() as srv:
        (tmp_path / "s.toml").write_text(SCENARIO.format(url=srv.url, path="/"))
        proc = subprocess.run(
            [sys.executable, "-m", "loadtui", "run", "s.toml", "--target-pid", "999999999"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "loadtui: --target-pid 999999999: no such process (give the pid of the server"
        " running on this machine, or leave it out to find it by its port)"
    ]
