"""Re-running a recorded session reproduces its ramp and operator actions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from loadtui.engine.runner import Engine, RunConfig
from loadtui.scenario import load_scenario
from loadtui.scenario.select import pick_profile, pick_target
from loadtui.session.reader import read_session
from loadtui.session.writer import SessionWriter

SCENARIO = """
name = "ramp"
[targets.demo]
url = "${LOADTUI_TARGET}"
[[users]]
name = "u"
wait = "constant(0.05s)"
[[users.tasks]]
name = "fast"
path = "/api/fast"
[profiles.ramp]
stages = [{ duration = "1s", users = 2, spawn_rate = 100 }, { duration = "3s", users = 4 }]
"""


async def test_rerun_reproduces_the_recorded_user_counts(demo_url: str, tmp_path: Path) -> None:
    scen = tmp_path / "ramp.toml"
    scen.write_text(SCENARIO)
    plan = load_scenario(scen, env={"LOADTUI_TARGET": demo_url})
    config = RunConfig(plan, pick_target(plan, None), pick_profile(plan, None), tick_s=0.25)
    writer = SessionWriter(tmp_path / "orig.json", plan, config.target, config.profile)

    def record(snap) -> None:
        writer.on_snapshot(snap)
        if snap.seq == 6:  # t = 1.75 s: the operator steps in
            engine.set_users(7, 100)
        if snap.seq == 10:
            engine.follow_profile()

    engine = Engine(config, record)
    await engine.run()
    writer.close()

    rerun = subprocess.run(
        [
            sys.executable,
            "-m",
            "loadtui",
            "rerun",
            str(tmp_path / "orig.json"),
            "--session",
            str(tmp_path / "again.json"),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rerun.returncode == 0, rerun.stderr
    orig, again = read_session(tmp_path / "orig.json"), read_session(tmp_path / "again.json")
    wanted = [t.load.users_target for t in orig.ticks]
    replayed = [t.load.users_target for t in again.ticks]
    assert 7 in wanted and 7 in replayed
    # Every recorded tick's wanted users appear in the re-run within one tick.
    for i, value in enumerate(wanted[: len(replayed) - 1]):
        assert value in replayed[max(0, i - 1) : i + 2], (i, wanted, replayed)
    actions = [e.data.get("action") for e in again.events if e.kind == "operator"]
    assert actions[:2] == ["set_users", "follow_profile"]
