"""`loadtui run` with Python tasks that misbehave: a module that exits or raises at
import is a scenario error (exit 2, one line); a task that blocks the engine's loop
past the run's end is given up on by the watchdog (exit 3, every report written from
the last snapshot, one line naming the task). Real processes, the demo target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.blocking import SLEEP_LINE, blocking_task
from support.cli import loadtui

SCENARIO = """
name = "usercode"
[targets.t]
url = "{url}"
[[users]]
name = "u"
wait = "constant(0.05s)"
[[users.tasks]]
name = "{task}"
call = "{call}"
"""
TASK = "\nasync def go(client, vars):\n    await client.get('/api/fast')\n"


@pytest.mark.parametrize(
    ("prelude", "shown"),
    [
        ("import sys\nsys.exit(9)\n", "SystemExit: 9"),
        ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
        ("class Boom(BaseException):\n    pass\nraise Boom('at import')\n", "Boom: at import"),
    ],
    ids=["SystemExit", "KeyboardInterrupt", "BaseException"],
)
def test_a_module_failing_at_import_is_a_scenario_error(
    demo_url: str, tmp_path: Path, prelude: str, shown: str
) -> None:
    (tmp_path / "failing.py").write_text(prelude + TASK)
    scen = tmp_path / "s.toml"
    scen.write_text(SCENARIO.format(url=demo_url, task="go", call="failing:go"))
    proc = loadtui("run", str(scen), "-u", "1", "-t", "5s", "--report-json", "r.json", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    module = tmp_path / "failing.py"
    expected = f"loadtui: Python task module 'failing' failed to import ({module}): {shown}"
    assert proc.stderr.splitlines() == [expected]
    assert not (tmp_path / "r.json").exists()  # nothing was run


# Once the run's session holds a tick with a request in it, the next call sleeps two
# minutes on the engine's loop, having noted how many calls it made. On that condition,
# not on a call count: a busy machine can delay the ticks past a few calls, and the last
# snapshot would then have no request in it.


def test_a_task_blocking_the_loop_is_given_up_on_after_grace_plus_5s(
    demo_url: str, tmp_path: Path
) -> None:
    """A call sleeps two minutes on the engine's loop: the run (3 s, no grace) must end
    about 8 s in, from its last snapshot, naming the task and its line; the subprocess
    timeout (60 s) fails the test if nothing gives up on the loop."""
    (tmp_path / "sleepy.py").write_text(blocking_task("s.jsonl"))
    scen = tmp_path / "s.toml"
    scen.write_text(SCENARIO.format(url=demo_url, task="nap", call="sleepy:nap"))
    proc = loadtui(
        "run", str(scen), "-u", "1", "-r", "100", "-t", "3s", "--grace", "0s", "--tick", "0.1",
        "--report-json", "r.json", "--session", "s.jsonl", "-q", cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    [line] = proc.stderr.splitlines()
    held = f"Python task 'nap' (at sleepy.py:{SLEEP_LINE} in nap) has held the engine's event loop"
    assert line.startswith(f"loadtui: run overran its end: {held} for"), line
    assert "reports are from the last snapshot" in line
    report = json.loads((tmp_path / "r.json").read_text())
    calls = int((tmp_path / "s.calls").read_text())
    assert 0 < report["requests"] <= calls  # what the last snapshot had counted
    records = (tmp_path / "s.jsonl").read_text().splitlines()
    assert json.loads(records[-1])["type"] == "summary"
