"""The engine in a child process (the console's set-up): commands down, snapshots up."""

from __future__ import annotations

import time

from support.runs import config, stopping
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
    sent: list[int] = []  # how many snapshots had come when each command was sent
    deadline = time.monotonic() + 60  # a hang guard: a cold child on a busy machine is slow
    try:
        while not live.done and time.monotonic() < deadline:
            for snap in live.drain(timeout=0.2):
                seen.append(snap)
                # Each command once the ticks show the last one's effect: the child takes
                # a command when it gets to it, which a busy machine delays.
                if not sent and snap.load.users == 4:
                    engine.send(SetUsers(1, 100))
                    sent.append(len(seen))
                elif len(sent) == 1 and snap.load.users == 1:
                    engine.send(Stop(1.0))
                    sent.append(len(seen))
    finally:
        if engine.alive():
            engine.kill()
    assert engine.join(10)
    assert engine.error is None
    assert engine.final is not None and engine.final.load.state == "stopped"
    assert len(sent) == 2, [s.load for s in seen]
    assert stopping(seen).message == "stopped by operator"  # stop() ended the 30 s run
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
    # 30 s: the run must still be under way when the test kills it (it is killed at its
    # first tick), however long a busy machine takes to pass that tick on.
    engine = EngineProcess(config(TEXT, demo_url, users=1, duration=30)).start()
    engine.snapshots.get(timeout=30)  # the child is mid-run: it has ticked
    engine.kill()  # the child dies without a final snapshot
    assert engine.join(5)
    assert engine.final is None
    assert engine.error == "the engine process ended unexpectedly"
