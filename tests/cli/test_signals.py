"""`loadtui run` and stop signals: SIGINT, SIGTERM and SIGHUP alike, from the first
moment of start-up to the last report; a second signal cuts in-flight requests off.

Real processes against loopback targets. Waits are on conditions (a file's content, a
line on stderr, the target's count of hanging requests); each process is bounded by a
timeout that a broken stop would exceed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.stalling import StallingTarget

FLAT = """
name = "sig"
[targets.t]
url = "{url}"
timeout = "60s"
[[users]]
name = "u"
wait = "constant(0.01s)"
[[users.tasks]]
name = "{task}"
{how}
"""


def signame(sig: signal.Signals) -> str:
    return sig.name


def start(scen: Path, *args: str, cwd: Path, users: int = 2) -> subprocess.Popen[str]:
    """`loadtui run SCEN -u USERS ARGS`, its stderr to cwd/err.txt (readable meanwhile)."""
    err = (cwd / "err.txt").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "loadtui", "run", str(scen), "-u", str(users), *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=err,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def wait_until(
    proc: subprocess.Popen[str], check: Callable[[], bool], what: str, timeout: float = 20.0
) -> None:
    """Poll `check` until it holds; fail at once if the process ended meanwhile."""
    deadline = time.monotonic() + timeout
    while not check():
        assert proc.poll() is None, f"loadtui ended (exit {proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def ticks(session: Path) -> int:
    return session.read_text().count('"type":"tick"') if session.exists() else 0


def finish(proc: subprocess.Popen[str], cwd: Path, timeout: float = 30) -> str:
    proc.wait(timeout=timeout)
    return (cwd / "err.txt").read_text()


def records(session: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in session.read_text().splitlines()]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=signame)
def test_sigterm_and_sighup_stop_gracefully_and_write_every_report(
    demo_url: str, tmp_path: Path, sig: signal.Signals
) -> None:
    scen = tmp_path / "s.toml"
    scen.write_text(FLAT.format(url=demo_url, task="fast", how='path = "/api/fast"'))
    proc = start(
        scen, "-t", "60s", "--report-json", "r.json", "--junit", "j.xml", "--session",
        "s.jsonl", cwd=tmp_path,
    )  # fmt: skip
    wait_until(proc, lambda: ticks(tmp_path / "s.jsonl") >= 2, "load flowed")
    proc.send_signal(sig)
    err = finish(proc, tmp_path)
    assert proc.returncode == 3, err
    assert f"aborted by {sig.name}" in err and "Traceback" not in err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["requests"] > 0
    assert "<testsuite" in (tmp_path / "j.xml").read_text()
    lines = records(tmp_path / "s.jsonl")
    assert lines[-1]["type"] == "summary"
    stops = [r["message"] for r in lines if r.get("type") == "event"]
    assert f"{sig.name}: stopping gracefully" in stops


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP], ids=signame)
def test_a_signal_during_start_up_exits_3_with_what_can_be_written(
    demo_url: str, tmp_path: Path, sig: signal.Signals
) -> None:
    """The task module signals its own process while it is imported (start-up, before
    the engine exists): the run starts stopped, sends nothing, writes every output."""
    (tmp_path / "early.py").write_text(
        "import os, signal\n"
        f"os.kill(os.getpid(), signal.{sig.name})\n"
        "async def go(client, vars):\n"
        "    await client.get('/api/fast')\n"
    )
    scen = tmp_path / "s.toml"
    scen.write_text(FLAT.format(url=demo_url, task="go", how='call = "early:go"'))
    proc = start(scen, "-t", "60s", "--report-json", "r.json", "--session", "s.jsonl", cwd=tmp_path)
    err = finish(proc, tmp_path)
    assert proc.returncode == 3, err
    assert f"aborted by {sig.name}" in err and "Traceback" not in err
    assert json.loads((tmp_path / "r.json").read_text())["requests"] == 0
    lines = records(tmp_path / "s.jsonl")
    assert lines[0]["type"] == "header" and lines[-1]["type"] == "summary"


def test_two_signals_during_start_up_end_it_at_once(demo_url: str, tmp_path: Path) -> None:
    (tmp_path / "twice.py").write_text(
        "import os, signal\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "async def go(client, vars):\n"
        "    pass\n"
    )
    scen = tmp_path / "s.toml"
    scen.write_text(FLAT.format(url=demo_url, task="go", how='call = "twice:go"'))
    proc = start(scen, "-t", "60s", "--report-json", "r.json", cwd=tmp_path)
    err = finish(proc, tmp_path)
    assert proc.returncode == 3, err
    assert err.strip() == "loadtui: aborted by SIGINT"  # one line, nothing run
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=signame)
def test_a_second_signal_cuts_in_flight_requests_off(tmp_path: Path, sig: signal.Signals) -> None:
    """Three requests hang on the target and the grace is a minute: only the second
    signal can end the run within the process's timeout."""
    with StallingTarget(silent=True) as target:
        scen = tmp_path / "s.toml"
        scen.write_text(FLAT.format(url=target.url, task="hang", how='path = "/hang"'))
        proc = start(
            scen, "-t", "60s", "--grace", "60s", "--report-json", "r.json", "--session",
            "s.jsonl", cwd=tmp_path, users=3,
        )  # fmt: skip
        assert target.wait_hung(3)
        proc.send_signal(sig)
        err_file = tmp_path / "err.txt"
        notice = "a second signal cuts them off"
        wait_until(proc, lambda: notice in err_file.read_text(), "the first signal's notice")
        proc.send_signal(sig)
        err = finish(proc, tmp_path, timeout=20)
    assert proc.returncode == 3, err
    assert f"{sig.name} again: cutting in-flight requests off" in err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["errors"] == {"unfinished": 3}
    events = [r["message"] for r in records(tmp_path / "s.jsonl") if r.get("type") == "event"]
    assert f"{sig.name} again: stopping now" in events
    assert "3 in-flight requests cut off at stop (counted as unfinished)" in events
