"""The file-descriptor budget counts connections, not users: a WebSocket stream holds a
socket, users making HTTP calls share the pool (and wait for a connection beyond it)."""

from __future__ import annotations

import pytest
from support.runs import GUARD_S, config, worker_of
from support.scenarios import NOWHERE, api_fast, echo_stream, get, scenario, user

from loadtui.engine.commands import Share
from loadtui.engine.controller import Controller
from loadtui.engine.limits import HTTP_FLOOR, Sockets, fit_sockets
from loadtui.engine.worker import Worker
from loadtui.metrics.snapshot import Snapshot


@pytest.mark.parametrize(
    ("budget", "users", "streams", "share", "pool", "http", "fitted"),
    [
        # Idle HTTP users need no socket each: all admitted, the pool keeps its size...
        (19_744, 50_000, 0, 0.0, 10_000, True, Sockets(50_000, 0, 10_000)),
        # ...or what the budget allows, and the users beyond it wait for a connection.
        (2_600, 50_000, 0, 0.0, 10_000, True, Sockets(50_000, 0, 2_600)),
        # Stream-only sessions hold one each: cut to the budget less HTTP's floor.
        (1_000, 10, 2_000, 0.0, 10_000, True, Sockets(10, 1_000 - HTTP_FLOOR, HTTP_FLOOR)),
        # Users of a class with a websocket hold one each; stream-only sessions go first.
        (1_000, 3_000, 500, 1.0, 100, True, Sockets(1_000 - HTTP_FLOOR, 0, HTTP_FLOOR)),
        # A third of the users stream: three users per socket left for streams.
        (100, 300, 0, 1 / 3, 10, True, Sockets(270, 0, 10)),
        # Nothing makes HTTP calls: streams may take it all, and the pool nothing.
        (1_000, 0, 2_000, 0.0, 100, False, Sockets(0, 1_000, 0)),
        # Streams that fit leave the pool what remains of the budget.
        (1_000, 100, 900, 0.0, 10_000, True, Sockets(100, 900, 100)),
    ],
)
def test_sockets_are_counted_by_connection(
    budget: int, users: int, streams: int, share: float, pool: int, http: bool, fitted: Sockets
) -> None:
    got = fit_sockets(budget, users, streams, stream_share=share, pool_size=pool, http=http)
    assert got == fitted
    assert got.stream_sockets(share) + got.http <= budget


async def test_fifty_thousand_idle_users_are_admitted_within_a_small_budget(
    demo_url: str,
) -> None:
    """50,000 users thinking for a minute, on a worker whose budget is 500 sockets (as
    under `ulimit -n 756`): none is refused, the users that start before the run is
    stopped (once they outnumber the budget) do, and they all share the pool's 16
    connections."""
    text = scenario(user(api_fast(), wait="constant(60s)"), max_connections=16)
    snaps: list[Snapshot] = []

    def seen(snap: Snapshot) -> None:
        snaps.append(snap)
        fast = snap.endpoint("fast")
        if snap.load.users > 500 and fast is not None and fast.requests > 500:
            engine.stop()  # not a fixed length: a busy machine starts them more slowly

    cfg = config(text, demo_url, users=50_000, spawn_rate=1_000, duration=GUARD_S)
    engine = Controller(cfg, seen)
    worker_of(engine).budget = 500
    final = await engine.run()
    running = [s for s in snaps if s.load.state == "running"]
    assert running and all(s.load.users_target == 50_000 for s in running)
    messages = [e.message for s in snaps for e in s.events]
    assert not any("file-descriptor" in m for m in messages), messages
    assert max(s.load.users for s in snaps) > 500
    fast = final.endpoint("fast")
    assert fast is not None and fast.requests > 500 and fast.failures == 0
    assert final.pool.connects <= 16


def test_streams_hold_the_pool_to_what_they_leave() -> None:
    """Half the users stream: with 100 sockets, 150 users do not fit (72 do, 36 of them
    streaming), the pool is held to the 64 left, and both cuts are said once."""
    text = scenario(
        user(get("/", "chat"), name="chat", websocket=echo_stream()),
        user(get("/", "web"), name="web"),
    )
    worker = Worker(config(text, NOWHERE, users=1))
    worker.budget = 100
    worker.apply(Share(150, 0, None, None, False))
    worker.apply(Share(150, 0, None, None, False))  # the same cut is not said again
    assert (worker.users.wanted, worker.streams.wanted) == (72, 0)
    assert worker.pools.pool_for(NOWHERE).max_connections == 64
    messages = [e.message for e in worker.recorder.events.take()]
    assert len(messages) == 2, messages
    assert "cannot hold 150 users + 0 streams" in messages[0]
    assert "holding 72 users + 0 streams" in messages[0]
    assert "leaves 64 HTTP connections beside 36 streams" in messages[1]
    # With room again, the pool gets its own size back.
    worker.budget = 100_000
    worker.apply(Share(150, 0, None, None, False))
    assert worker.pools.pool_for(NOWHERE).max_connections == 10_000
