"""Tasks end to end: checks, extraction into later requests, 429 lanes, Python tasks."""

from __future__ import annotations

from pathlib import Path

from support.loopback import refusing_port
from support.runs import GUARD_S, run, stop_when
from support.scenarios import NOWHERE, Table, api_delay, api_fast, call, get, post, scenario, user


def limited(**fields: str) -> Table:
    """The demo target's endpoint that answers 429 with Retry-After past 20 req/s."""
    return get("/api/limited", "limited", query={"rate": "20"}, **fields)


async def test_login_extract_token_then_authorised_calls(demo_url: str) -> None:
    log_in = post(
        "/api/login",
        "login",
        json={"user": "u{user_id}", "password": "pw"},
        extract=[{"var": "token", "json": "/token"}],
    )
    who_am_i = get(
        "/api/me",
        "me",
        headers={"Authorization": "Bearer {token}"},
        checks={"status": [200], "json": {"/user": "u1"}},
    )
    text = scenario(user(who_am_i, name="member", wait="constant(0.02s)", on_start=(log_in,)))
    final, _, _ = await run(text, demo_url, users=1, spawn_rate=10, iterations=5)
    login, me = final.endpoint("login"), final.endpoint("me")
    assert login is not None and login.requests == 1 and login.failures == 0
    assert me is not None and me.requests == 5  # the token served every call after login
    assert me.failures == 0, me.errors


async def test_failed_checks_count_apart_from_transport_errors(demo_url: str) -> None:
    text = scenario(
        user(
            api_fast("wrong body", checks={"body_contains": "definitely-not-there"}),
            get("/api/items/abc", "missing"),
            get("/health", "no such field", extract=[{"var": "x", "json": "/nope"}]),
            wait="constant(0.01s)",
            order="sequence",  # each pass runs all three: none left to chance
        )
    )
    final, _, _ = await run(text, demo_url, users=2, spawn_rate=10, iterations=6)
    body = final.endpoint("wrong body")
    missing = final.endpoint("missing")
    nofield = final.endpoint("no such field")
    assert body is not None and body.failures == body.requests == 6
    assert body.errors == {"check: body_contains": body.failures}
    assert missing is not None and missing.errors == {"HTTP 404": missing.failures}
    assert nofield is not None and nofield.errors == {"extract: x": nofield.failures}
    assert not set(final.total.errors) & {"refused", "reset", "timeout", "protocol"}
    # Each judged response is one check; a failed check, status or extraction fails it.
    for ep in (body, missing, nofield):
        assert ep.checks == ep.requests and ep.checks_failed == ep.failures
    assert final.total.checks_failed == final.total.failures


async def test_429_lane_and_honoured_retry_after(demo_url: str) -> None:
    text = scenario(user(limited(on_429="honor")))
    # Until users have waited out a Retry-After (a fixed length could end first on a busy
    # machine); the count of 429s is then bounded by how long the run took.
    waited = stop_when(lambda s: s.rate_limit.honoured >= 3)
    final, _, _ = await run(text, demo_url, waited, users=10, spawn_rate=100, duration=GUARD_S)
    ep = final.endpoint("limited")
    assert ep is not None
    lane = final.rate_limit
    assert lane.responses > 0 and lane.with_retry_after == lane.responses
    assert lane.honoured > 0 and lane.waited_s > 0
    # Honouring users back off: far fewer 429s than an unbounded hammering would give
    # (under 200 in a 1.5 s run of ten users, thousands without).
    assert lane.responses < 200 * max(1.0, final.t / 1.5), (lane.responses, final.t)
    # 429s show in the status codes but are neither failures nor latency samples.
    assert ep.status_codes.get(429) == lane.responses
    assert ep.failures == 0
    assert ep.latency.count == ep.requests
    assert ep.rate_limited == lane.responses == final.total.rate_limited
    assert ep.checks == ep.requests  # 429s are not judged: the server refused to answer


async def test_python_task_requests_are_timed_and_named(demo_url: str, tmp_path: Path) -> None:
    (tmp_path / "flows.py").write_text(
        "async def browse(client, vars):\n"
        "    r = await client.get('/api/items')\n"
        "    r.raise_for_status()\n"
        "    item = r.json()[0]['id']\n"
        "    await client.get(f'/api/items/{item}', extensions={'name': 'item detail'})\n"
        "    vars['seen'] = vars.get('seen', 0) + 1\n"
        "\n"
        "async def broken(client, vars):\n"
        "    raise RuntimeError('bug in user code')\n"
    )
    tasks = call("flows:browse", "browse"), call("flows:broken", "broken")
    # In sequence: picked at random (1 in 6 for "broken"), a short run on a busy machine
    # could miss it.
    text = scenario(user(*tasks, wait="constant(0.02s)", order="sequence"))
    final, _, _ = await run(text, demo_url, users=2, iterations=4, folder=tmp_path)
    browse, detail = final.endpoint("browse"), final.endpoint("item detail")
    assert browse is not None and browse.requests == 4 and browse.failures == 0
    assert detail is not None and detail.requests == 4
    assert browse.latency.p50 > 0
    broken = final.endpoint("broken")
    assert broken is not None and broken.failures == 4
    assert broken.errors == {"python: RuntimeError: bug in user code": 4}


async def test_msgpack_push_and_templated_bodies(demo_url: str) -> None:
    push = post(
        "/api/push",
        "push",
        msgpack={"user": "{user_id}", "payload": "abc", "n": 3},
        checks={"status": [201]},
    )
    text = scenario(user(push, name="writer"))
    pushed = stop_when(lambda s: (ep := s.endpoint("push")) is not None and ep.requests >= 8)
    final, _, _ = await run(text, demo_url, pushed, users=4, spawn_rate=100, duration=GUARD_S)
    push = final.endpoint("push")
    assert push is not None and push.requests > 0 and push.failures == 0, push.errors
    assert push.bytes_out > 0


async def test_paced_users_record_corrected_latency(demo_url: str) -> None:
    # pacing(50ms) but every request takes ~150 ms: the histogram gains the samples the
    # overrun swallowed (HdrHistogram's expected-interval correction).
    text = scenario(user(api_delay(150, "slow"), name="paced", wait="pacing(0.05s)"))
    some = stop_when(lambda s: (ep := s.endpoint("slow")) is not None and ep.requests >= 6)
    final, _, _ = await run(text, demo_url, some, users=2, spawn_rate=100, duration=GUARD_S)
    ep = final.endpoint("slow")
    assert ep is not None and ep.requests > 0
    assert ep.latency.count > ep.requests * 2  # corrected samples added
    assert ep.latency.min < 150.0 <= ep.latency.max  # synthesised values below the real ones


async def test_missing_variable_is_a_counted_failure_not_a_request(demo_url: str) -> None:
    me = get("/api/me", "needs token", headers={"Authorization": "Bearer {token}"})
    text = scenario(user(me, wait="constant(0.05s)"))
    failed = stop_when(lambda s: s.total.failures >= 3)
    final, _, _ = await run(text, demo_url, failed, users=1, spawn_rate=10, duration=GUARD_S)
    ep = final.endpoint("needs token")
    assert ep is not None and ep.failures > 0
    assert ep.errors == {"missing variable: token": ep.failures}
    assert ep.status_codes == {}  # nothing was sent


async def test_http2_targets_fall_back_to_http1_without_h2(demo_url: str) -> None:
    # The demo target speaks HTTP/1.1 only: it answers the h2c preface in HTTP/1.x, so
    # the tasks of an http2 = true target go through the native HTTP/1.1 pool.
    tasks = (
        api_fast(checks={"json": {"/ok": True}}),
        post("/api/push", "push", msgpack={"a": 1}, checks={"status": [201]}),
    )
    text = scenario(user(*tasks, wait="constant(0.02s)", order="sequence"), http2=True)
    final, _, _ = await run(text, demo_url, users=2, spawn_rate=10, iterations=4)
    fast, push = final.endpoint("fast"), final.endpoint("push")
    assert fast is not None and fast.requests == 4 and fast.failures == 0, fast.errors
    assert push is not None and push.requests == 4 and push.failures == 0, push.errors
    assert final.pool.connects > 0  # the native HTTP/1.1 pool served them


async def test_timeouts_and_refused_connections_are_named_errors(demo_url: str) -> None:
    text = scenario(
        user(api_delay(400, "too slow"), wait="constant(0.05s)"),
        timeout={"connect": "1s", "read": "100ms", "total": "2s"},
    )
    final, _, _ = await run(text, demo_url, users=2, spawn_rate=10, iterations=4)
    slow = final.endpoint("too slow")
    assert slow is not None and slow.failures == slow.requests == 4
    assert set(slow.errors) == {"read_timeout"}
    assert 100 <= slow.latency.p50 < 400  # timed out well before the answer came

    with refusing_port() as port:  # nothing listens, nor can for as long as it is held
        dead = f"http://127.0.0.1:{port}"
        final, _, _ = await run(text, dead, users=2, spawn_rate=10, iterations=4)
    gone = final.endpoint("too slow")
    assert gone is not None and gone.failures == gone.requests == 4
    assert set(gone.errors) == {"refused"}
    assert gone.latency.count == 0  # no response time to speak of


async def test_counted_429s_still_read_retry_after(demo_url: str) -> None:
    # on_429 = "count" asks the pool for no headers; a refusal's Retry-After is kept anyway.
    text = scenario(user(limited()))
    refused = stop_when(lambda s: s.rate_limit.responses > 0)
    final, _, _ = await run(text, demo_url, refused, users=4, spawn_rate=100, duration=GUARD_S)
    lane = final.rate_limit
    assert lane.responses > 0
    assert lane.with_retry_after == lane.responses
    assert lane.honoured == 0


async def test_503_with_retry_after_goes_to_the_rate_limit_lane() -> None:
    import asyncio

    async def busy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0.3\r\nContent-Length: 0\r\n\r\n"
            )
            await writer.drain()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await busy(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    text = scenario(user(get("/", "busy", on_429="honor")))
    # Until three refusals (a fixed length could end before any on a busy machine).
    thrice = stop_when(lambda s: s.rate_limit.responses >= 3)
    async with server:
        final, _, _ = await run(text, url, thrice, users=1, spawn_rate=10, duration=GUARD_S)
    ep = final.endpoint("busy")
    lane = final.rate_limit
    assert ep is not None and ep.failures == 0 and ep.latency.count == 0
    # Honouring 0.3 s waits allows at most 1 + t / 0.3 answers in the run's t, not
    # thousands.
    assert 3 <= lane.responses <= 1 + final.t / 0.3, (lane.responses, final.t)
    assert lane.with_retry_after == lane.responses and lane.honoured >= 1
    assert lane.waited_s > 0


async def test_a_python_task_that_never_awaits_cannot_starve_the_loop(tmp_path: Path) -> None:
    (tmp_path / "idle.py").write_text("async def nothing(client, vars):\n    return None\n")
    text = scenario(user(call("idle:nothing", "nothing")))
    four = stop_when(lambda s: s.seq >= 3)
    final, snaps, _ = await run(
        text, NOWHERE, four, users=2, duration=GUARD_S, tick=0.2, folder=tmp_path
    )
    # Ticks kept coming and the stop was taken: a held loop would neither tick nor stop
    # (the suite's timeout would fail the test).
    assert final.load.state == "stopped" and len(snaps) >= 5
    assert final.load.iterations > 0  # the tasks did run meanwhile
