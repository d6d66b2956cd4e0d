"""Every request sent is accounted for: requests still in flight when a run stops are cut
off and counted per endpoint as failures of kind `unfinished`, with the time they had
waited in the latency histogram (a lower bound), in the final snapshot. Against a
loopback target that accepts connections and never answers (or answers only `/ok`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support.runs import BASE, run
from support.stalling import StallingTarget

from loadtui.engine.runner import Engine, RunConfig
from loadtui.metrics.snapshot import Snapshot
from loadtui.scenario import load_scenario
from loadtui.scenario.select import pick_profile, pick_target

GRACE = 0.3


def stuck_user(task: str = 'path = "/hang"', target: str = "") -> str:
    return (
        BASE
        + target
        + f"""
[[users]]
name = "u"
wait = "none"
[[users.tasks]]
name = "stuck"
{task}
"""
    )


async def run_python_task(url: str, tmp_path: Path, users: int) -> Snapshot:
    """A Python task whose request hangs, through the httpx client on the engine's pool."""
    (tmp_path / "stalled_flows.py").write_text(
        "async def wait_forever(client, vars):\n    await client.get('/hang')\n"
    )
    scen = tmp_path / "s.toml"
    scen.write_text(stuck_user('call = "stalled_flows:wait_forever"'))
    plan = load_scenario(scen, env={"LOADTUI_TARGET": url})
    prof = pick_profile(plan, None, users=users, spawn_rate=100, duration=0.5)
    config = RunConfig(plan, pick_target(plan, None), prof, duration=0.5, grace_s=GRACE)
    return await Engine(config, lambda s: None).run()


@pytest.mark.parametrize("path", ["native", "http2", "python"])
async def test_requests_hanging_at_stop_are_unfinished_failures(path: str, tmp_path: Path) -> None:
    with StallingTarget(silent=True) as target:
        if path == "python":
            final = await run_python_task(target.url, tmp_path, users=3)
        else:
            h2 = "http2 = true\n" if path == "http2" else ""
            text = stuck_user(target=h2)
            final, _, _ = await run(
                text, target.url, users=3, spawn_rate=100, duration=0.5, grace=GRACE
            )
        assert target.wait_hung(3)
        sent = target.hung
    ep = final.endpoint("stuck")
    assert ep is not None
    assert ep.errors == {"unfinished": 3} and sent == 3
    assert ep.requests == ep.failures == 3
    assert final.total.errors == {"unfinished": 3}
    # Each waited through the stop and its grace at least: that is in the latencies.
    assert ep.latency.count == 3
    assert ep.latency.min >= GRACE * 1000
    assert ep.checks == 0  # nothing was judged: no response came


async def test_the_cut_off_is_in_the_final_snapshot_and_said_once() -> None:
    with StallingTarget(silent=True) as target:
        final, snaps, _ = await run(
            stuck_user(), target.url, users=2, spawn_rate=100, duration=0.5, grace=GRACE
        )
    assert snaps[-1] is final
    before = snaps[-2].endpoint("stuck")
    assert before is None or before.requests == 0  # nothing completed before the stop
    warnings = [e.message for s in snaps for e in s.events if e.kind == "warning"]
    assert warnings.count("2 in-flight requests cut off at stop (counted as unfinished)") == 1


async def test_open_model_arrivals_in_flight_are_unfinished() -> None:
    text = (
        stuck_user()
        + """
[profiles.p]
model = "open"
stages = [{ duration = "0.5s", rate = 20 }]
"""
    )
    with StallingTarget(silent=True) as target:
        final, _, engine = await run(text, target.url, grace=GRACE)
        started = engine.arrivals.started
        assert target.wait_hung(started)
    assert started > 0 and final.load.dropped == 0
    ep = final.endpoint("stuck")
    assert ep is not None and ep.errors == {"unfinished": started}
    assert ep.requests == started
    # Open-model latencies run from each arrival's intended start: all waited the grace.
    assert ep.latency.count == started and ep.latency.min >= GRACE * 1000


async def test_a_target_answering_some_requests_counts_only_the_hung_ones() -> None:
    text = (
        BASE
        + """
[[users]]
name = "u"
wait = "constant(0.01s)"
[[users.tasks]]
name = "ok"
path = "/ok"
weight = 3
[[users.tasks]]
name = "hang"
path = "/hang"
"""
    )
    with StallingTarget() as target:
        final, _, _ = await run(
            text, target.url, users=4, spawn_rate=100, duration=0.6, grace=GRACE
        )
        ok, hang = final.endpoint("ok"), final.endpoint("hang")
        assert hang is not None and hang.errors.get("unfinished", 0) > 0
        assert target.wait_hung(hang.errors["unfinished"])
        hung = target.hung
    assert ok is not None and ok.requests > 0 and ok.failures == 0
    assert ok.checks == ok.requests and ok.checks_failed == 0
    # Every request the target held is counted, no more and no less.
    assert hang.errors == {"unfinished": hung}
    assert hang.requests == hung


async def test_a_second_stop_cuts_off_at_once() -> None:
    long_grace = 60.0

    def steer(engine: Engine, snap: Snapshot) -> None:
        if snap.seq == 1:
            engine.stop(grace=long_grace)
            asyncio.get_running_loop().call_soon(engine.stop, 0.0, "stopped by operator again")

    with StallingTarget(silent=True) as target:
        final, snaps, _ = await run(
            stuck_user(), target.url, users=2, spawn_rate=100, duration=30, on_snapshot=steer
        )
    ep = final.endpoint("stuck")
    assert ep is not None and ep.errors == {"unfinished": 2}
    assert ep.latency.max < long_grace * 1000  # the long grace was not waited out
    messages = [e.message for s in snaps for e in s.events]
    assert "stopped by operator again" in messages


async def test_a_websocket_handshake_in_progress_at_stop_failed_unfinished() -> None:
    text = (
        BASE
        + """
[[users]]
name = "streamer"
[users.websocket]
path = "/ws"
send = { every = "50ms", text = "ping" }
expect = "echo"
"""
    )
    with StallingTarget(silent=True) as target:
        final, _, _ = await run(text, target.url, users=2, spawn_rate=100, duration=0.5)
        assert target.wait_hung(2)
    stream = final.stream("streamer")
    assert stream is not None
    assert stream.handshake_failures == {"unfinished": 2}
    assert stream.opened == 0 and stream.failed == 2 and stream.connecting == 0


async def test_a_user_with_a_stream_finishes_its_call_in_flight_at_stop(demo_url: str) -> None:
    text = (
        BASE
        + """
[[users]]
name = "chatty"
wait = "none"
[[users.tasks]]
name = "slow"
path = "/api/delay"
query = { ms = "300" }
[users.websocket]
path = "/ws/echo"
send = { every = "50ms", text = "ping" }
expect = "echo"
"""
    )
    final, _, _ = await run(text, demo_url, users=2, spawn_rate=100, duration=0.5, grace=3.0)
    ep = final.endpoint("slow")
    assert ep is not None and ep.requests >= 2
    assert ep.failures == 0, ep.errors  # within the grace: finished, not cut off
    stream = final.stream("chatty")
    assert stream is not None and stream.opened == 2 and stream.open == 0
