"""Any input ends on time, through the command line: a rate far past what the generator
can start ends at its deadline (or at Ctrl-C) with every report written and what could
not start counted as dropped; values past the bounds are one line and exit 2.

The run-length bounds below are correctness bounds (a hang fails them), not speed goals.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loadtui.cli import main
from loadtui.scenario.bounds import MAX_RATE, MAX_SPAWN_RATE, MAX_USERS

GRACE_S = 1.0
MARGIN_S = 30.0  # start-up, preflight and the final reports, on a busy 2-core machine

FLOOD = """
name = "flood"
[targets.demo]
url = "{url}"
max_connections = 16
[[users]]
name = "u"
wait = "none"
[[users.tasks]]
name = "fast"
path = "/api/fast"
[profiles.steady]
model = "open"
stages = [{{ duration = "1m", rate = 10 }}]
[thresholds]
dropped = "== 0"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


def loadtui(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "loadtui", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def test_rate_1e9_ends_at_its_deadline_with_drops_counted(demo_url: str, tmp_path: Path) -> None:
    scen = write(tmp_path, FLOOD.format(url=demo_url))
    proc = loadtui(
        "run", str(scen), "--rate", "1e9", "-t", "2s", "--grace", "1s",
        "--report-json", "r.json", cwd=tmp_path,
    )  # fmt: skip
    _, err = proc.communicate(timeout=2 + GRACE_S + MARGIN_S)
    assert proc.returncode == 1, err  # the run ended with a verdict: `dropped == 0` broke
    assert "thresholds failed: dropped == 0" in err and "Traceback" not in err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["open_model"]["dropped"] > 0
    assert report["requests"] > 0
    assert report["duration_s"] <= 2 + GRACE_S + 5  # deadline, grace, and the 5 s
    dropped = next(t for t in report["thresholds"] if t["metric"] == "dropped")
    assert dropped["ok"] is False and dropped["observed"] == report["open_model"]["dropped"]


def test_sigint_ends_a_rate_1e9_run_with_the_report_written(demo_url: str, tmp_path: Path) -> None:
    scen = write(tmp_path, FLOOD.format(url=demo_url))
    proc = loadtui(
        "run", str(scen), "--rate", "1e9", "-t", "10m", "--grace", "1s",
        "--report-json", "r.json", "--session", "s.jsonl", cwd=tmp_path,
    )  # fmt: skip
    session = tmp_path / "s.jsonl"
    deadline = time.monotonic() + MARGIN_S
    while time.monotonic() < deadline and proc.poll() is None:  # until load flows
        if session.exists() and session.read_text().count('"type":"tick"') >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=GRACE_S + MARGIN_S)
    assert proc.returncode == 3, err
    assert "aborted by SIGINT" in err and "Traceback" not in err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["open_model"]["dropped"] > 0 and report["requests"] > 0
    assert session.read_text().splitlines()[-1].startswith('{"type":"summary"')


def call(*args: str) -> tuple[int, str]:
    """`loadtui ARGS` in this process: its exit code and stderr."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            main(list(args))
        except SystemExit as exc:
            return int(exc.code or 0), err.getvalue()
    return 0, err.getvalue()


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (["-u", "1e20"], "--users: must be at most 10,000,000 users, got 1e+20. One process"),
        (["-u", "2.5"], "--users: must be a whole number of users, got 2.5"),
        (["-u", "many"], "--users: expected a whole number, got 'many'"),
        (["--streams", "-1"], "--streams: must be at least 0, got -1"),
        (["-u", "5", "-r", "0"], "--spawn-rate: must be greater than 0, got 0"),
        (["-u", "5", "-r", "1e400"], "--spawn-rate: must be finite (at most 10,000,000"),
        (["--rate", "nan"], "--rate: must be a number, not NaN"),
        (["--rate", "2e9"], "--rate: must be at most 1,000,000,000 arrivals/s, got 2e+09"),
        (["-t", "1e308"], "--duration '1e308': duration must be at most 30 days"),
        (["-t", "999999999999d"], "--duration '999999999999d': duration must be at most 30"),
        (["-t", "0"], "--duration: must be more than 0 and at most 30 days, got 0s"),
    ],
)
def test_flags_past_their_bounds_are_one_line_and_exit_2(
    tmp_path: Path, flags: list[str], line: str
) -> None:
    scen = write(tmp_path, FLOOD.format(url="http://127.0.0.1:9"))
    code, err = call("run", str(scen), *flags)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"loadtui: {line}"), err


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("rate = 10 }", "rate = 5e9 }", "profiles.steady.stages[0].rate: must be at most 1,000,"),
        ('"1m"', '"999999999999d"', "profiles.steady.stages[0].duration: duration must be at"),
        ("[thresholds]", "repeat = 123456\n[thresholds]", "profiles.steady.repeat: must be at"),
    ],
)
def test_validate_names_the_place_of_a_value_past_its_bound(
    tmp_path: Path, old: str, new: str, line: str
) -> None:
    scen = write(tmp_path, FLOOD.format(url="http://127.0.0.1:9").replace(old, new))
    code, err = call("validate", str(scen))
    assert code == 2
    assert err.splitlines()[0] == f"loadtui: {scen} has problems:"
    problem = err.splitlines()[1:]
    assert len(problem) == 1 and problem[0].startswith(f"{scen}:") and line in problem[0], err


def test_validate_refuses_too_many_tasks(tmp_path: Path) -> None:
    tasks = ", ".join(f'{{ name = "t{k}", path = "/" }}' for k in range(10_001))
    text = f'[targets.t]\nurl = "http://127.0.0.1:9"\n[[users]]\ntasks = [{tasks}]\n'
    code, err = call("validate", str(write(tmp_path, text)))
    assert code == 2
    assert "users[0].tasks: 10,001 tasks: at most 10,000 are allowed in a user class" in err


# flag -> (largest, whole numbers only, 0 excluded)
NUMERIC = {
    "--users": (MAX_USERS, True, False),
    "--streams": (MAX_USERS, True, False),
    "--spawn-rate": (MAX_SPAWN_RATE, False, True),
    "--rate": (MAX_RATE, False, False),
}
numbers = st.one_of(
    st.floats().map(repr),
    st.integers().map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(lambda n: f"{n}e{n % 400}"),
    st.text(alphabet="0123456789.e+-_ ,naifINF", max_size=14),
    st.text(max_size=10),
)


def within(flag: str, text: str) -> bool:
    """Whether `text` is a legal value of `flag` (the bounds, computed independently)."""
    largest, whole, positive = NUMERIC[flag]
    try:
        value = float(text.strip().replace("_", ""))
    except ValueError:
        return False
    low_ok = value > 0 if positive else value >= 0
    return (
        math.isfinite(value) and low_ok and value <= largest and (value.is_integer() or not whole)
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flag=st.sampled_from([*NUMERIC, "--duration"]), value=numbers)
def test_any_numeric_option_value_is_one_line_never_a_traceback(flag: str, value: str) -> None:
    """Nothing is run: the scenario does not exist, so a legal value ends at "not found"."""
    code, err = call("run", "/nonexistent/loadtui-bounds.toml", f"{flag}={value}")
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("loadtui: "), err
    legal = "scenario file not found" in lines[0]
    if flag in NUMERIC:
        assert legal == within(flag, value), err
    if not legal:
        assert lines[0].startswith(f"loadtui: {flag}"), err
