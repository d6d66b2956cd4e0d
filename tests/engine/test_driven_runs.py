"""Whole runs: callback-driven users count exactly what the coroutine loop counts.

The same scripted target (tests/support/scripted.py) is run by users of a class that is
driven (`wait = "none"`), of one that is not (`constant(0s)`: the coroutine loop, with
nothing else changed), of a driven one with fewer connections than users (most
requests then wait in the pool's queue), and of a driven one on uvloop, the engine's
own loop. The run is stopped once every request past
the script is held, so the totals are the script's, whatever the timing.
"""

from __future__ import annotations

import pytest
from support.runs import GUARD_S, run, stop_when, worker_of
from support.scenarios import get, scenario, user
from support.scripted import ScriptedTarget, expected_errors

from loadtui.engine.controller import Controller
from loadtui.engine.driven import driven_eligible
from loadtui.engine.loops import new_event_loop
from loadtui.metrics.snapshot import Snapshot

USERS = 3
TIMEOUT = {"connect": "3s", "read": "1.5s", "total": "30s"}  # read: past a busy machine's stalls
SCRIPT = (
    ["ok"] * 10
    + ["500", "close-mid-body", "ok", "garbage", "silent", "ok", "500"]
    + ["ok"] * 10
    + ["close-mid-body", "ok", "silent", "garbage"]
    + ["ok"] * 5
)


async def _scripted_run(wait: str, connections: int) -> tuple[Snapshot, Controller, int]:
    """A run of USERS users against SCRIPT, stopped once every user's last request is
    held; the final snapshot, the engine, and how many requests the target holds."""
    text = scenario(user(get("/x", "x"), wait=wait), timeout=TIMEOUT, max_connections=connections)
    held = min(USERS, connections)  # users beyond the pool wait in its queue at the end

    def stop_when_settled(engine: Controller, snap: Snapshot) -> None:
        if target.parked >= held:
            engine.stop(grace=0.2)

    with ScriptedTarget(SCRIPT) as target:
        final, _, engine = await run(
            text,
            target.url,
            users=USERS,
            spawn_rate=1000,
            duration=30,
            tick=0.05,
            grace=0.2,
            on_snapshot=stop_when_settled,
        )
    assert target.served == len(SCRIPT) + held
    return final, engine, held


def _assert_the_script_s_totals(final: Snapshot) -> None:
    ep = final.endpoint("x")
    assert ep is not None
    # Every user's last request was cut off: the one held, and any still queued.
    assert ep.errors == expected_errors(SCRIPT) | {"unfinished": USERS}
    assert ep.status_codes == {200: SCRIPT.count("ok"), 500: SCRIPT.count("500")}
    assert ep.requests == len(SCRIPT) + USERS
    assert ep.latency.count == ep.requests  # each timed, the cut-off ones too
    assert ep.bytes_in == 2 * SCRIPT.count("ok") + 4 * SCRIPT.count("500")
    assert ep.checks == SCRIPT.count("ok") + SCRIPT.count("500")
    assert final.load.users == 0 and final.load.inflight == 0


@pytest.mark.parametrize(
    ("wait", "connections", "driven"),
    [("none", 100, True), ("constant(0s)", 100, False), ("none", 2, True)],
    ids=["driven", "coroutine", "driven-queued"],
)
async def test_both_loops_count_the_same_requests_errors_and_statuses(
    wait: str, connections: int, driven: bool
) -> None:
    final, engine, _ = await _scripted_run(wait, connections)
    assert driven_eligible(worker_of(engine).users.plans[0]) is driven
    _assert_the_script_s_totals(final)


def test_the_driven_loop_counts_the_same_on_uvloop() -> None:
    """The engine's own loop (uvloop) calls protocols back in its own way: same totals."""
    loop = new_event_loop()
    try:
        final, _, _ = loop.run_until_complete(_scripted_run("none", 100))
    finally:
        loop.close()
    _assert_the_script_s_totals(final)


async def test_paced_driven_users_keep_their_pace(demo_url: str) -> None:
    text = scenario(user(get("/api/fast", "fast"), wait="pacing(0.1s)"))
    # Until 16 requests (about 0.8 s: a fixed length could end with none on a busy
    # machine); without the pace they would come within a tick, far over the cap.
    some = stop_when(lambda s: s.total.requests >= 16)
    final, _, engine = await run(text, demo_url, some, users=2, spawn_rate=1000, duration=GUARD_S)
    assert driven_eligible(worker_of(engine).users.plans[0])
    ep = final.endpoint("fast")
    assert ep is not None and ep.failures == 0
    # One start per 0.1 s at most, per user, over the run's t (a busy machine only
    # lowers the count).
    assert 16 <= ep.requests <= 2 * (final.t / 0.1 + 1), (ep.requests, final.t)
