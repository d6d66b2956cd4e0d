"""A run nothing answered is no verdict: `loadtui run` against a target that accepts
connections and never answers exits 3 with one line, whatever the thresholds, and the
requests it cut off are in the report as `unfinished`. A target that answers some
requests and hangs others exits normally with the hung ones counted. The console says
the same line when quitting such a run. Real processes, loopback only, bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.stalling import StallingTarget
from support.waits import settle

from loadtui.engine.config import RunConfig
from loadtui.metrics.snapshot import EndpointStats, LoadState, Snapshot, StreamStats
from loadtui.report.answered import never_answered
from loadtui.scenario import load_scenario_text
from loadtui.scenario.select import pick_profile, pick_target
from loadtui.tui.app import LoadtuiApp

# Each user's pass: an answered request, then one held. (Picked at random, every user's
# first pick was the held one 1 run in 256: nothing answered, exit 3.)
SCENARIO = """
name = "stall"
[targets.t]
url = "{url}"
[[users]]
name = "u"
wait = "constant(0.01s)"
order = "sequence"
[[users.tasks]]
name = "ok"
path = "/ok"
[[users.tasks]]
name = "hang"
path = "/hang"
[thresholds]
p99 = "< 10m"
"""
SILENT = """
name = "silent"
[targets.t]
url = "{url}"
[[users]]
name = "u"
wait = "none"
[[users.tasks]]
name = "get"
path = "/hang"
[thresholds]
p99 = "< 10m"
"""


def loadtui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loadtui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def test_a_silent_target_exits_3_with_one_line_and_unfinished_counted(tmp_path: Path) -> None:
    with StallingTarget(silent=True) as target:
        (tmp_path / "s.toml").write_text(SILENT.format(url=target.url))
        proc = loadtui(
            "run", "s.toml", "-u", "5", "-r", "100", "-t", "2s", "--grace", "0.5s", "-q",
            "--report-json", "r.json", cwd=tmp_path,
        )  # fmt: skip
        assert target.hung == 5  # what the target received, all of it held
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr == "loadtui: target never answered: 5 requests sent, 0 answered\n"
    report = json.loads((tmp_path / "r.json").read_text())
    # The thresholds alone would have let it through; the report does not.
    assert all(t["ok"] for t in report["thresholds"])
    assert report["passed"] is False
    assert report["unserved"] == "nothing succeeded: 5 requests, all failed (unfinished x5)"
    ep = report["endpoints"][0]
    assert ep["errors"] == {"unfinished": 5} and ep["requests"] == ep["failures"] == 5
    # Each waited at least through the stop's grace: a lower bound, in the tail.
    assert ep["latency_ms"]["min"] >= 500 and ep["latency_ms"]["max"] >= 500
    assert report["errors"] == {"unfinished": 5}


def test_a_silent_target_under_the_open_model_exits_3_too(tmp_path: Path) -> None:
    with StallingTarget(silent=True) as target:
        (tmp_path / "s.toml").write_text(SILENT.format(url=target.url))
        proc = loadtui(
            "run", "s.toml", "--rate", "10", "-t", "1s", "--grace", "0.3s", "-q",
            "--report-json", "r.json", cwd=tmp_path,
        )  # fmt: skip
        hung = target.hung
    assert proc.returncode == 3, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    sent = report["requests"]
    assert sent == hung > 0 and report["errors"] == {"unfinished": sent}
    assert proc.stderr == f"loadtui: target never answered: {sent} requests sent, 0 answered\n"


def test_a_target_that_hangs_some_requests_exits_normally_with_them_counted(
    tmp_path: Path,
) -> None:
    with StallingTarget() as target:
        (tmp_path / "s.toml").write_text(SCENARIO.format(url=target.url))
        # 2 s: each user's answered request and the one held must both go out before the
        # end (a count cannot end it: a held pass never completes).
        proc = loadtui(
            "run", "s.toml", "-u", "4", "-r", "100", "-t", "2s", "--grace", "0.3s", "-q",
            "--report-json", "r.json", cwd=tmp_path,
        )  # fmt: skip
        hung = target.hung
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    report = json.loads((tmp_path / "r.json").read_text())
    eps = {e["name"]: e for e in report["endpoints"]}
    assert eps["ok"]["failures"] == 0 and eps["ok"]["requests"] > 0
    assert eps["hang"]["errors"] == {"unfinished": hung} and hung > 0
    assert report["errors"] == {"unfinished": hung}
    assert eps["ok"]["checks"] == eps["ok"]["requests"] and report["checks_failed"] == 0


async def test_the_console_says_so_when_quitting_a_run_nothing_answered(tmp_path: Path) -> None:
    with StallingTarget(silent=True) as target:
        plan = load_scenario_text(SILENT.format(url=target.url))
        prof = pick_profile(plan, None, users=3, spawn_rate=100, duration=60.0)
        config = RunConfig(plan, pick_target(plan, None), prof, tick_s=0.25)
        app = LoadtuiApp(config=config, sessions_dir=tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, lambda: target.hung == 3)
            await pilot.press("q")  # stop: in-flight requests get a grace...
            await pilot.press("q")  # ...which a second press cuts off at once
            await settle(pilot, lambda: app.report is not None)
        assert app.no_answer == "target never answered: 3 requests sent, 0 answered"
        assert app.return_code == 3
        assert app.report is not None and app.report["errors"] == {"unfinished": 3}


def final(errors: dict[str, int], codes: dict[int, int] | None = None, **ws: object) -> Snapshot:
    total = EndpointStats(
        "Aggregated",
        requests=sum(errors.values()) + sum((codes or {}).values()),
        failures=sum(errors.values()),
        errors=errors,
        status_codes=codes or {},
    )
    streams = (StreamStats("s", **ws),) if ws else ()  # type: ignore[arg-type]
    return Snapshot(0, 1.0, 0.0, 1.0, LoadState(), total, streams=streams)


@pytest.mark.parametrize(
    ("snap", "line"),
    [
        (final({"unfinished": 5}), "target never answered: 5 requests sent, 0 answered"),
        (final({"read_timeout": 1}), "target never answered: 1 request sent, 0 answered"),
        (
            final({"refused": 3, "connect_timeout": 1}),
            "target unreachable for the whole run (refused x3, connect_timeout x1)",
        ),
        (
            final({}, failed=2, handshake_failures={"refused": 2}),
            "target unreachable for the whole run (websocket refused x2)",
        ),
        (
            final(
                {"reset": 2, "missing variable: id": 4}, failed=1, handshake_failures={"timeout": 1}
            ),
            "target never answered: 2 requests and 1 WebSocket handshake sent, 0 answered",
        ),
        (final({"unfinished": 5}, {500: 1}), None),  # one answer, even an error, is an answer
        (final({"unfinished": 5}, opened=1), None),
        (final({}, failed=3, handshake_failures={"503": 3}), None),  # refused with a status
        (final({"missing variable: id": 4, "python: KeyError": 1}), None),  # nothing was sent
        (final({}), None),
    ],
)
def test_never_answered_needs_something_sent_and_nothing_back(
    snap: Snapshot, line: str | None
) -> None:
    assert never_answered(snap) == line
