"""Declarative tasks of an `http2 = true` target go through the native HTTP/2 pool, end
to end in the engine against a real HTTP/2 server: checks, status codes, extraction and
templated headers as on HTTP/1.1, the pool's gauges, and requests cut off at stop."""

from __future__ import annotations

from support.h2server import H2Server
from support.runs import GUARD_S, run, stop_when
from support.scenarios import get, post, scenario, user

LOG_IN = post(
    "/echo",
    "log in",
    json={"user": "u{user_id}"},
    extract=[{"var": "size", "header": "x-length"}],
)
TASKS = (
    get("/json", "json", checks={"json": {"/ok": True}}),
    get("/bytes/10", "body", checks={"body_contains": "xxxx"}),
    get("/status/404", "missing"),
    get("/status/204", "tagged", headers={"X-Size": "{size}"}, checks={"status": [204]}),
)


async def test_tasks_of_an_http2_target_run_over_http2() -> None:
    # In sequence, each pass runs every task (4 picked at random: a short run on a busy
    # machine could miss one).
    flow = user(*TASKS, wait="constant(0.02s)", on_start=(LOG_IN,), order="sequence")
    async with H2Server() as srv:
        final, _, _ = await run(
            scenario(flow, http2=True), srv.url, users=3, spawn_rate=100, iterations=6, grace=1
        )
    for name in ("json", "body", "tagged"):
        ep = final.endpoint(name)
        assert ep is not None and ep.requests == 6 and ep.failures == 0, (name, ep)
    missing = final.endpoint("missing")
    assert missing is not None and missing.requests == 6
    assert missing.errors == {"HTTP 404": missing.requests}  # the default status check
    logins = srv.seen("/echo")
    assert len(logins) == 3 and {s.body for s in logins} == {
        b'{"user":"u%d"}' % i for i in (1, 2, 3)
    }
    # The length the server sent back, extracted from a header, went out in another.
    sizes = {s.headers["x-size"] for s in srv.seen("/status/204")}
    assert sizes == {str(len(s.body)) for s in logins}
    assert srv.connections == 1  # three users, one multiplexed connection
    assert final.pool.connects == 1 and final.pool.open == 1


async def test_streams_in_flight_at_stop_are_unfinished() -> None:
    text = scenario(user(get("/hang", "stuck")), http2=True)
    async with H2Server() as srv:
        held = stop_when(lambda _snap: len(srv.seen("/hang")) == 3)  # all three out
        final, _, _ = await run(
            text, srv.url, held, users=3, spawn_rate=100, duration=GUARD_S, grace=0.2
        )
        assert len(srv.seen("/hang")) == 3
    ep = final.endpoint("stuck")
    assert ep is not None and ep.errors == {"unfinished": 3} == final.total.errors
    assert ep.latency.count == 3 and ep.latency.min >= 200  # waited through the grace
