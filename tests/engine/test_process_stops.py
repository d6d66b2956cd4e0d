"""Stopping the console's engine child: a second stop with no grace reaches it through
the pipe and cuts requests still in flight off at once (as a second `q` or signal)."""

from __future__ import annotations

from support.runs import config
from support.scenarios import get, scenario, user
from support.stalling import StallingTarget

from loadtui.engine.commands import Stop
from loadtui.engine.process import EngineProcess

HANGING = scenario(user(get("/hang", "hang")))


def test_a_second_stop_cuts_in_flight_requests_off_in_the_child() -> None:
    """The grace is a minute and both requests hang: only the second stop can end the
    run before `join`'s 20 s are up."""
    with StallingTarget(silent=True) as target:
        run = config(HANGING, target.url, users=2, spawn_rate=100, duration=60, grace=60.0)
        engine = EngineProcess(run).start()
        try:
            assert target.wait_hung(2)
            engine.send(Stop(None, "quit by operator"))
            engine.send(Stop(0.0, "quit by operator (again)"))
            assert engine.join(20)
        finally:
            engine.kill()
    assert engine.error is None
    final = engine.final
    assert final is not None and final.total.errors == {"unfinished": 2}
    messages = [e.message for e in final.events]
    assert "quit by operator (again)" in messages
    assert "2 in-flight requests cut off at stop (counted as unfinished)" in messages
