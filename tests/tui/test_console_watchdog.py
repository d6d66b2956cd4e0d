"""The console when user code blocks the engine: a Python task holds the engine child's
event loop past the run's end, so the console kills the child once the run's grace plus
5 s have passed, says which task held it, and keeps what the last snapshot had."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
from support.blocking import SLEEP_LINE, blocking_task
from support.waits import settle

from loadtui.engine.config import RunConfig
from loadtui.scenario import load_scenario
from loadtui.scenario.select import pick_profile, pick_target
from loadtui.tui.app import LoadtuiApp

SCENARIO = """
name = "stuck"
[targets.demo]
url = "${LOADTUI_TARGET}"
[[users]]
name = "u"
wait = "constant(0.05s)"
[[users.tasks]]
name = "nap"
call = "sleepy_console:nap"
[profiles.short]
stages = [{ duration = "3s", users = 1, spawn_rate = 100 }]
"""
# Once the console has recorded a tick with a request in it, the next call sleeps for two
# minutes on the engine's loop (the test's bound is 30 s), having noted how many calls
# it made. On that condition, not on a call count: a busy machine can delay the ticks
# past a few calls, and the last snapshot would then have no request in it.


async def test_a_blocked_engine_is_killed_and_the_console_says_why(
    demo_url: str, tmp_path: Path
) -> None:
    session = tmp_path / "s.json"
    (tmp_path / "sleepy_console.py").write_text(blocking_task(str(session)))
    scen = tmp_path / "stuck.toml"
    scen.write_text(SCENARIO)
    plan = load_scenario(scen, env={"LOADTUI_TARGET": demo_url})
    config = RunConfig(
        plan, pick_target(plan, None), pick_profile(plan, None), tick_s=0.1, grace_s=0.0
    )
    app = LoadtuiApp(config=config, sessions_dir=tmp_path, session=session)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.report is not None, timeout=30)

        def shown() -> str:
            return " ".join(str(n.message) for n in app._notifications)

        # The notification is a message of its own: wait for it, not for the report.
        await settle(pilot, lambda: "engine killed" in shown(), timeout=30)
        engine = app.engine
        assert engine is not None and engine.pid is not None
        assert not psutil.pid_exists(engine.pid) or (
            psutil.Process(engine.pid).status() == psutil.STATUS_ZOMBIE
        )
        assert "engine killed, the run overran its end: Python task 'nap'" in shown()
        assert f"sleepy_console.py:{SLEEP_LINE} in nap" in shown()
        await pilot.press("q")
        await settle(pilot, lambda: app.return_value is not None)
    assert app.return_code == 3
    assert app.no_answer is not None and "Python task 'nap'" in app.no_answer
    records = [json.loads(line) for line in session.read_text().splitlines()]
    assert records[-1]["type"] == "summary"
    calls = int(session.with_suffix(".calls").read_text())
    assert 0 < records[-1]["report"]["requests"] <= calls  # as far as the last snapshot saw
