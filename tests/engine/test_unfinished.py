"""Every request sent is accounted for: requests still in flight when a run stops are cut
off and counted per endpoint as failures of kind `unfinished`, with the time they had
waited in the latency histogram (a lower bound), in the final snapshot. Against a
loopback target that accepts connections and never answers (or answers only `/ok`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support.runs import GUARD_S, OnSnapshot, run, stop_when, worker_of
from support.scenarios import api_delay, call, echo_stream, get, scenario, user
from support.stalling import StallingTarget

from loadtui.engine.controller import Controller
from loadtui.metrics.snapshot import Snapshot

GRACE = 0.3
HANG = get("/hang", "stuck")  # the target reads it and never answers
STUCK = scenario(user(HANG))


def in_flight(n: int) -> OnSnapshot:
    """Stop once `n` users each have a request out (a fixed length could end first)."""
    return stop_when(lambda snap: snap.load.inflight >= n)


@pytest.mark.parametrize("path", ["native", "http2", "python"])
async def test_requests_hanging_at_stop_are_unfinished_failures(path: str, tmp_path: Path) -> None:
    if path == "python":  # through the httpx client on the engine's pool
        (tmp_path / "stalled_flows.py").write_text(
            "async def wait_forever(client, vars):\n    await client.get('/hang')\n"
        )
        text = scenario(user(call("stalled_flows:wait_forever", "stuck")))
    elif path == "http2":
        text = scenario(user(HANG), http2=True)
    else:
        text = STUCK
    with StallingTarget(silent=True) as target:
        final, _, _ = await run(
            text, target.url, in_flight(3), users=3, spawn_rate=100, duration=GUARD_S,
            grace=GRACE, folder=tmp_path,
        )  # fmt: skip
        # http2 (h2c): one connection, whose preface the target reads as a request.
        hung = 1 if path == "http2" else 3
        assert target.wait_hung(hung)
        sent = target.hung
    ep = final.endpoint("stuck")
    assert ep is not None
    assert ep.errors == {"unfinished": 3} and sent == hung
    assert ep.requests == ep.failures == 3
    assert final.total.errors == {"unfinished": 3}
    # Each waited through the stop and its grace at least: that is in the latencies.
    assert ep.latency.count == 3
    assert ep.latency.min >= GRACE * 1000
    assert ep.checks == 0  # nothing was judged: no response came


async def test_the_cut_off_is_in_the_final_snapshot_and_said_once() -> None:
    with StallingTarget(silent=True) as target:
        final, snaps, _ = await run(
            STUCK, target.url, in_flight(2), users=2, spawn_rate=100, duration=GUARD_S,
            grace=GRACE,
        )  # fmt: skip
    assert snaps[-1] is final
    before = snaps[-2].endpoint("stuck")
    assert before is None or before.requests == 0  # nothing completed before the stop
    warnings = [e.message for s in snaps for e in s.events if e.kind == "warning"]
    assert warnings.count("2 in-flight requests cut off at stop (counted as unfinished)") == 1


async def test_open_model_arrivals_in_flight_are_unfinished() -> None:
    arrivals = {"model": "open", "stages": [{"duration": "0.5s", "rate": 20}]}
    text = scenario(user(HANG), profiles={"p": arrivals})
    with StallingTarget(silent=True) as target:
        final, _, engine = await run(text, target.url, grace=GRACE)
        started = worker_of(engine).arrivals.started
        assert target.wait_hung(started)
    assert started > 0 and final.load.dropped == 0
    ep = final.endpoint("stuck")
    assert ep is not None and ep.errors == {"unfinished": started}
    assert ep.requests == started
    # Open-model latencies run from each arrival's intended start: all waited the grace.
    assert ep.latency.count == started and ep.latency.min >= GRACE * 1000


async def test_a_target_answering_some_requests_counts_only_the_hung_ones() -> None:
    # Each user's pass: an answered request, then one held. (Picked at random, all four
    # users' first pick was the held one 1 run in 256: no answered request at all.)
    tasks = get("/ok", "ok"), get("/hang", "hang")
    text = scenario(user(*tasks, wait="constant(0.01s)", order="sequence"))
    with StallingTarget() as target:
        all_held = stop_when(lambda _snap: target.hung == 4)
        final, _, _ = await run(
            text, target.url, all_held, users=4, spawn_rate=100, duration=GUARD_S, grace=GRACE
        )
        ok, hang = final.endpoint("ok"), final.endpoint("hang")
        assert hang is not None and hang.errors.get("unfinished", 0) == 4
        hung = target.hung
    assert ok is not None and ok.requests == 4 and ok.failures == 0
    assert ok.checks == ok.requests and ok.checks_failed == 0
    # Every request the target held is counted, no more and no less.
    assert hang.errors == {"unfinished": hung}
    assert hang.requests == hung


async def test_a_second_stop_cuts_off_at_once() -> None:
    long_grace = 60.0

    def steer(engine: Controller, snap: Snapshot) -> None:
        if snap.load.inflight == 2 and engine.state == "running":
            engine.stop(grace=long_grace)
            asyncio.get_running_loop().call_soon(engine.stop, 0.0, "stopped by operator again")

    with StallingTarget(silent=True) as target:
        final, snaps, _ = await run(
            STUCK, target.url, users=2, spawn_rate=100, duration=30, on_snapshot=steer
        )
    ep = final.endpoint("stuck")
    assert ep is not None and ep.errors == {"unfinished": 2}
    assert ep.latency.max < long_grace * 1000  # the long grace was not waited out
    messages = [e.message for s in snaps for e in s.events]
    assert "stopped by operator again" in messages


async def test_a_websocket_handshake_in_progress_at_stop_failed_unfinished() -> None:
    text = scenario(user(name="streamer", websocket=echo_stream("/ws")))

    def handshaking(snap: Snapshot) -> bool:
        stream = snap.stream("streamer")
        return stream is not None and stream.connecting == 2

    with StallingTarget(silent=True) as target:
        final, _, _ = await run(
            text, target.url, stop_when(handshaking), users=2, spawn_rate=100, duration=GUARD_S
        )
        assert target.wait_hung(2)
    stream = final.stream("streamer")
    assert stream is not None
    assert stream.handshake_failures == {"unfinished": 2}
    assert stream.opened == 0 and stream.failed == 2 and stream.connecting == 0


async def test_a_user_with_a_stream_finishes_its_call_in_flight_at_stop(demo_url: str) -> None:
    text = scenario(user(api_delay(300, "slow"), name="chatty", websocket=echo_stream()))

    def both_busy_and_streaming(snap: Snapshot) -> bool:
        stream = snap.stream("chatty")
        return snap.load.inflight == 2 and stream is not None and stream.opened == 2

    final, _, _ = await run(
        text, demo_url, stop_when(both_busy_and_streaming), users=2, spawn_rate=100,
        duration=GUARD_S, grace=3.0,
    )  # fmt: skip
    ep = final.endpoint("slow")
    assert ep is not None and ep.requests >= 2
    assert ep.failures == 0, ep.errors  # within the grace: finished, not cut off
    stream = final.stream("chatty")
    assert stream is not None and stream.opened == 2 and stream.open == 0
