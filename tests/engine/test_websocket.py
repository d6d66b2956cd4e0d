"""WebSocket streams end to end: the demo target's echo and push endpoints, and small
fault servers started here (refusals, close codes, drops, oversized messages).
Loopback only; every run is bounded: a second or two, or until what it tests has shown
(a guard of GUARD_S)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from support.loopback import refusing_port
from support.runs import GUARD_S, OnSnapshot, Steps, run, stop_when, worker_of
from support.scenarios import api_fast, echo_stream, scenario, user
from support.wsservers import streamer, ws_server
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Response

from loadtui.engine.controller import Controller
from loadtui.engine.websocket import ws_url
from loadtui.metrics.snapshot import Snapshot, StreamStats


def once(check: Callable[[StreamStats], bool]) -> OnSnapshot:
    """Stop the run once the "streamer" stream shows what the test is about: a run of
    fixed length could end before a busy machine got there."""
    return stop_when(lambda snap: (s := snap.stream("streamer")) is not None and check(s))


def test_ws_url_follows_the_target() -> None:
    assert ws_url("http://127.0.0.1:8080/base", "/ws/echo?x=1") == (
        "ws://127.0.0.1:8080/base/ws/echo?x=1"
    )
    assert ws_url("https://127.0.0.1", "chat") == "wss://127.0.0.1/chat"
    assert ws_url("http://127.0.0.1", "ws://127.0.0.1:9/x") == "ws://127.0.0.1:9/x"


async def test_echo_round_trips(demo_url: str) -> None:
    all_talking = once(lambda s: s.opened == 5 and s.rtt.count >= 5)
    final, _, _ = await run(
        streamer("/ws/echo", duration="10s"), demo_url, all_talking, users=5, spawn_rate=100,
        duration=GUARD_S,
    )  # fmt: skip
    s = final.stream("streamer")
    assert s is not None
    assert s.opened == 5 and s.failed == 0
    assert s.messages_sent >= 5  # ~20 per second each; a busy machine sends fewer
    assert s.rtt.count >= s.messages_sent - 5 * 2  # all but the last in flight
    assert 0 < s.rtt.p50 <= s.rtt.max and s.handshake.count == 5
    assert s.close_codes.get(1001, 0) + s.close_codes.get(1000, 0) == 5  # closed by us, properly
    assert s.disconnects == 0


async def test_correlated_replies(demo_url: str) -> None:
    # The join message has no "seq": its echo is not a reply and no error either.
    text = streamer(
        "/ws/echo",
        on_connect=[{"json": {"op": "join"}}],
        send={"every": "40ms", "json": {"seq": "{seq}", "who": "u{user_id}"}},
        expect={"reply_field": "seq"},
    )
    enough = once(lambda s: s.rtt.count > 30)  # about 0.4 s of it
    final, _, _ = await run(text, demo_url, enough, users=3, spawn_rate=100, duration=GUARD_S)
    s = final.stream("streamer")
    assert s is not None and s.rtt.count > 30
    assert "unmatched reply" not in s.errors
    assert s.messages_received >= s.rtt.count + 3  # the three joins came back too


async def test_push_stream_gaps_and_first_message(demo_url: str) -> None:
    text = streamer("/ws/push?rate=20&size=16", send=None, expect="stream")
    enough = once(lambda s: s.first_message.count == 2 and s.messages_received >= 6)
    final, _, _ = await run(text, demo_url, enough, users=2, spawn_rate=100, duration=GUARD_S)
    s = final.stream("streamer")
    assert s is not None and s.messages_received >= 2 * 2
    # A gap between every two messages of a session: all but each session's first.
    assert s.gap.count == s.messages_received - 2 and s.gap.p50 > 0
    assert s.first_message.count == 2


async def test_sessions_end_after_duration_and_reopen(demo_url: str) -> None:
    reopened = once(lambda s: s.opened >= 6 and s.close_codes.get(1000, 0) >= 4)
    final, _, _ = await run(
        streamer("/ws/echo", duration="300ms"), demo_url, reopened, users=2, spawn_rate=100,
        duration=GUARD_S,
    )  # fmt: skip
    s = final.stream("streamer")
    assert s is not None and s.opened >= 6  # 3 sessions each at least, one after another
    assert s.close_codes.get(1000, 0) >= 4 and s.disconnects == 0 and s.reconnects == 0


async def test_refused_handshakes_by_status_and_reason(demo_url: str) -> None:
    def deny(conn: ServerConnection, request: object) -> Response:
        return conn.respond(401, "no token\n")

    async def never(ws: ServerConnection) -> None:
        await ws.wait_closed()

    async with ws_server(never, process_request=deny) as url:
        final, _, _ = await run(
            streamer("/"), url, once(lambda s: s.failed == 2), users=2, spawn_rate=100,
            duration=GUARD_S,
        )  # fmt: skip
    s = final.stream("streamer")
    assert s is not None and s.opened == 0 and s.failed == 2
    assert s.handshake_failures == {"401": 2}

    final, _, _ = await run(
        streamer("/api/fast"), demo_url, once(lambda s: s.failed == 1), users=1, spawn_rate=10,
        duration=GUARD_S,
    )  # fmt: skip
    s = final.stream("streamer")
    assert s is not None and s.failed == 1 and set(s.handshake_failures) == {"200"}

    with refusing_port() as port:  # nothing listens, nor can while it is held
        final, _, _ = await run(
            streamer("/"), f"http://127.0.0.1:{port}", once(lambda s: s.failed == 1), users=1,
            spawn_rate=10, duration=GUARD_S,
        )  # fmt: skip
    s = final.stream("streamer")
    assert s is not None and s.handshake_failures == {"refused": 1}


async def test_not_a_websocket_server_at_all() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.write(b"SSH-2.0-OpenSSH_9.0\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        final, _, _ = await run(
            streamer("/"), url, once(lambda s: s.failed == 1), users=1, spawn_rate=10,
            duration=GUARD_S,
        )  # fmt: skip
    s = final.stream("streamer")
    assert s is not None and s.handshake_failures == {"not websocket": 1}


async def test_wrong_subprotocol(demo_url: str) -> None:
    async def echo(ws: ServerConnection) -> None:
        async for msg in ws:
            await ws.send(msg)

    async with ws_server(echo, subprotocols=["v2.chat"]) as url:
        text = streamer("/", subprotocols=["v1.chat"])
        refused = once(lambda s: s.failed >= 1)
        final, _, _ = await run(text, url, refused, users=1, spawn_rate=10, duration=GUARD_S)
    s = final.stream("streamer")
    # The server accepts none of ours: the handshake is refused with a clear reason.
    assert s is not None and s.opened == 0 and s.failed >= 1
    assert set(s.handshake_failures) <= {"subprotocol", "400"}


async def test_server_close_code_counts_disconnects_and_reconnects() -> None:
    async def kick(ws: ServerConnection) -> None:
        await ws.recv()
        await ws.close(4001, "kicked")

    async with ws_server(kick) as url:
        text = streamer("/", reconnect={"max": 2, "backoff": "constant(0.05s)"})
        final, _, _ = await run(
            text, url, once(lambda s: s.disconnects >= 3), users=1, spawn_rate=10,
            duration=GUARD_S,
        )  # fmt: skip
    s = final.stream("streamer")
    assert s is not None and s.close_codes == {4001: 3}  # first session + 2 reconnects
    assert s.disconnects == 3 and s.reconnects == 2 and s.opened == 3


async def test_dropped_tcp_connection_mid_stream() -> None:
    async def drop(ws: ServerConnection) -> None:
        await ws.recv()
        ws.transport.abort()  # no close frame: the connection just dies

    async with ws_server(drop) as url:
        text = streamer("/", reconnect={"max": 1, "backoff": "constant(0.05s)"})
        final, _, _ = await run(
            text, url, once(lambda s: s.disconnects >= 4), users=2, spawn_rate=100,
            duration=GUARD_S,
        )  # fmt: skip
    s = final.stream("streamer")
    assert s is not None and s.close_codes == {1006: 4} and s.disconnects == 4
    assert s.reconnects == 2


async def test_oversized_message_is_a_named_error() -> None:
    async def flood(ws: ServerConnection) -> None:
        await ws.send("x" * 5000)
        await ws.wait_closed()

    async with ws_server(flood) as url:
        text = streamer("/", max_message_size=1024, send=None, expect="stream")
        too_big = once(lambda s: 1009 in s.close_codes)
        final, _, _ = await run(text, url, too_big, users=1, spawn_rate=10, duration=GUARD_S)
    s = final.stream("streamer")
    assert s is not None and s.errors.get("message too big", 0) >= 1
    assert 1009 in s.close_codes


async def test_stream_only_sessions_on_top_of_users(demo_url: str) -> None:
    stage = {"duration": "30s", "users": 2, "spawn_rate": 100, "streams": 6}  # 30 s: a guard
    text = scenario(
        user(name="streamer", websocket=echo_stream()),
        user(api_fast(), name="poller", wait="constant(0.05s)"),
        profiles={"mixed": {"stages": [stage]}},
    )

    def all_up(snap: Snapshot) -> bool:  # the stage's level reached, as a tick shows it
        s = snap.stream("streamer")
        polled = snap.endpoint("fast")
        return snap.load.streams == 6 and s is not None and s.opened >= 7 and polled is not None

    final, snaps, _ = await run(text, demo_url, stop_when(all_up))
    s = final.stream("streamer")
    assert s is not None and s.opened >= 6 + 1  # 6 stream-only + the streaming user(s)
    assert any(snap.load.streams == 6 for snap in snaps)
    assert final.endpoint("fast") is not None


async def test_more_sessions_than_descriptors_is_said_plainly(demo_url: str) -> None:
    warnings: list[str] = []

    def limit_then_ask(engine: Controller, _snap: Snapshot) -> None:
        worker_of(engine).budget = 4  # as if `ulimit -n` allowed only four connections
        engine.set_streams(10)

    def said(snap: Snapshot) -> bool:
        warnings.extend(e.message for e in snap.events if e.kind == "warning")
        return any("file-descriptor limit" in w for w in warnings)

    # At the first tick, whenever it comes; then until the warning has come (the run's
    # guard ends it otherwise, and the test fails).
    steps = Steps((lambda _s: True, limit_then_ask), (said, lambda e, _s: e.stop()))
    final, snaps, _ = await run(
        streamer("/ws/echo"), demo_url, users=2, spawn_rate=100, duration=GUARD_S,
        on_snapshot=steps,
    )  # fmt: skip
    assert any("file-descriptor limit allows 4 connections" in w for w in warnings)
    assert max(s.load.streams_target for s in snaps) == 2  # 2 users + 2 streams = 4
    s = final.stream("streamer")
    assert s is not None and s.failed == 0
