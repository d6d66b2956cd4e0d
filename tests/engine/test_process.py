"""The engine in a child process (the console's set-up): commands down, snapshots up."""

from __future__ import annotations

import time

from support.runs import config
from support.scenarios import api_fast, scenario, user

from loadtui.engine.commands import SetUsers, Stop
from loadtui.engine.process import EngineProcess
from loadtui.live import LiveRun

TEXT = scenario(
    user(api_fast(), wait="constant(0.01s)"),
    thresholds={"endpoints": {"fast": {"max": "< 0.001ms"}}},
)


def test_child_process_runs_steers_and_records(demo_url: str, tmp_path) -> None:
    run = config(TEXT, demo_url, users=4, spawn_rate=100, duration=30, tick=0.2)
    engine = EngineProcess(run)
    live = LiveRun(run, engine, session=tmp_path / "s.json")
    engine.start()
    seen = []
    deadline = time.monotonic() + 20
    try:
        while not live.done and time.monotonic() < deadline:
            for snap in live.drain(timeout=0.2):
                seen.append(snap)
                if snap.seq == 3:
                    engine.send(SetUsers(1, 100))
                if snap.seq == 8:
                    engine.send(Stop(1.0))
    finally:
        if engine.alive():
            engine.kill()
    assert engine.join(10)
    assert engine.error is None
    assert engine.final is not None and engine.final.load.state == "stopped"
    assert engine.final.t < 10  # stop() ended the 30 s run
    assert any(s.load.users == 1 for s in seen[5:])
    events = [e for s in seen for e in s.events]
    assert any(e.kind == "operator" and "set users to 1" in e.message for e in events)
    # The impossible threshold breaks once, as an event, the moment there is data.
    assert [e.kind for e in events].count("breach") == 1
    report = live.finish({"scenario": "t"})
    assert report["requests"] == engine.final.total.requests > 0
    lines = (tmp_path / "s.json").read_text().splitlines()
    assert '"kind":"breach"' in "".join(lines)
    assert lines[-1].startswith('{"type":"summary"')


def test_child_process_reports_a_crash_instead_of_hanging(demo_url: str) -> None:
    engine = EngineProcess(config(TEXT, demo_url, users=1, duration=5)).start()
    engine.snapshots.get(timeout=30)  # the child is mid-run: it has ticked
    engine.kill()  # the child dies without a final snapshot
    assert engine.join(5)
    assert engine.final is None
    assert engine.error == "the engine process ended unexpectedly"
