"""The WebSocket client's less common paths, end to end through the engine against
servers on 127.0.0.1: fragmented messages with pings between them, compression, large
messages, frames in the same packet as the 101, text that is not UTF-8, keepalive pings
answered and unanswered, what the handshake sends, TLS, and uvloop's transports.
Every run is bounded: a second or two, or until what it tests has shown (a guard of
GUARD_S)."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import uvloop
from support.runs import GUARD_S, OnSnapshot, Steps, run, stop_when
from support.scenarios import echo_stream, scenario, user
from support.wsservers import raw_ws_server, streamer, ws_server
from websockets.asyncio.server import ServerConnection

from loadtui.engine.ws_connection import WsConnection
from loadtui.engine.ws_frames import TEXT
from loadtui.metrics.snapshot import Snapshot, StreamStats

ONCE = {"max": 0, "backoff": "constant(0.05s)"}  # a failed session is not retried


def stream_of(final: Snapshot) -> StreamStats:
    s = final.stream("streamer")
    assert s is not None
    return s


def once(check: Callable[[StreamStats], bool]) -> OnSnapshot:
    """Stop the run once the "streamer" stream shows what the test needs: a run of fixed
    length could end before a busy machine got there (the test's servers share its loop)."""
    return stop_when(lambda snap: (s := snap.stream("streamer")) is not None and check(s))


def echoed(n: int) -> OnSnapshot:
    return once(lambda s: s.rtt.count >= n)


async def echo(ws: ServerConnection) -> None:
    async for msg in ws:
        await ws.send(msg)


async def test_fragmented_echoes_with_server_pings_between() -> None:
    pongs = 0

    async def fragments(ws: ServerConnection) -> None:
        nonlocal pongs
        async for msg in ws:
            await asyncio.wait_for(await ws.ping(), 2)  # only a client that answers gets on
            pongs += 1
            await ws.send([msg[:2], msg[2:]])  # a text message in two frames

    async with ws_server(fragments) as url:
        final, _, _ = await run(
            streamer("/"), url, echoed(4), users=2, spawn_rate=100, duration=GUARD_S
        )
    s = stream_of(final)
    assert s.rtt.count >= 4 and pongs >= s.rtt.count
    assert s.messages_received == s.rtt.count  # every message an echo, whole
    assert s.bytes_received == 4 * s.messages_received  # "ping", reassembled
    assert "unexpected message" not in s.errors


@pytest.mark.parametrize("compression", [True, False])
async def test_compression_is_negotiated_when_asked(compression: bool) -> None:
    negotiated: list[bool] = []

    async def note(ws: ServerConnection) -> None:
        negotiated.append(bool(ws.protocol.extensions))
        await echo(ws)

    async with ws_server(note) as url:  # the server offers permessage-deflate
        text = streamer("/", compression=compression)
        final, _, _ = await run(text, url, echoed(2), users=1, spawn_rate=10, duration=GUARD_S)
    s = stream_of(final)
    assert negotiated == [compression]
    assert s.rtt.count >= 2 and s.messages_received == s.rtt.count


@pytest.mark.parametrize("size", [126, 70_000])  # 16- and 64-bit payload lengths
async def test_large_messages_keep_their_size(size: int) -> None:
    async with ws_server(echo) as url:
        text = streamer("/", send={"every": "50ms", "text": "x" * size})
        final, _, _ = await run(text, url, echoed(2), users=2, spawn_rate=100, duration=GUARD_S)
    s = stream_of(final)
    assert s.rtt.count >= 2
    assert s.bytes_sent == size * s.messages_sent
    assert s.bytes_received == size * s.messages_received


async def test_frames_in_the_same_packet_as_the_handshake() -> None:
    async with raw_ws_server(after=bytes((TEXT, 5)) + b"hello") as url:
        text = streamer("/", send=None, expect="stream", reconnect=ONCE)
        got = once(lambda s: s.messages_received >= 1)
        final, _, _ = await run(text, url, got, users=1, spawn_rate=10, duration=GUARD_S, grace=0.3)
    s = stream_of(final)
    assert (s.opened, s.messages_received, s.bytes_received) == (1, 1, 5)
    assert s.first_message.count == 1
    assert s.first_message.max <= 1000 * final.t  # timed from the handshake, within the run


async def test_text_that_is_not_utf8_is_invalid_data() -> None:
    async with raw_ws_server(after=bytes((TEXT, 2)) + b"\xff\xfe") as url:
        text = streamer("/", send=None, expect="stream", reconnect=ONCE)
        # The error counts at once; its close (1007) when the session is over.
        judged = once(lambda s: s.errors.get("invalid data", 0) >= 1)
        final, _, _ = await run(
            text, url, judged, users=1, spawn_rate=10, duration=GUARD_S, grace=0.3
        )
    s = stream_of(final)
    assert s.errors == {"invalid data": 1} and s.close_codes == {1007: 1}
    assert s.messages_received == 0 and s.disconnects == 1


async def test_unanswered_keepalive_pings_fail_the_session() -> None:
    async with raw_ws_server() as url:  # never answers a ping
        text = streamer("/", send=None, expect="none", ping="100ms", reconnect=ONCE)
        # Until the session has ended (its close frame goes unanswered too: ~2 s).
        ended = once(lambda s: s.disconnects >= 1)
        final, _, _ = await run(
            text, url, ended, users=1, spawn_rate=10, duration=GUARD_S, grace=0.3
        )
    s = stream_of(final)
    assert s.close_codes == {1011: 1} and s.disconnects == 1


async def test_answered_keepalive_pings_keep_the_session() -> None:
    # A ping's answer has until the next ping: 50 ms was less than a busy machine may hold
    # this loop (which runs the server too), and the session then failed for it.
    async with ws_server(echo) as url:
        text = streamer("/", ping="300ms", reconnect=ONCE)
        # Until 24 echoes (1.2 s of sends every 50 ms, four ping intervals at least, more
        # on a busy machine): a fixed length could end before the session had many.
        final, _, _ = await run(text, url, echoed(24), users=1, spawn_rate=10, duration=GUARD_S)
    s = stream_of(final)
    assert (s.opened, s.close_codes, s.disconnects) == (1, {1001: 1}, 0)


async def test_the_handshake_sends_headers_subprotocol_and_user_agent() -> None:
    seen: list[tuple[str | None, str, str, str]] = []

    async def note(ws: ServerConnection) -> None:
        h = ws.request.headers if ws.request is not None else {}
        seen.append((ws.subprotocol, h.get("User-Agent", ""), h.get("X-Team", ""), ws.request.path))
        await echo(ws)

    async with ws_server(note, subprotocols=["v2.chat", "v1.chat"]) as url:
        stream = echo_stream(
            "/room?id=7", subprotocols=["v1.chat"], headers={"X-Team": "u{user_id}"}
        )
        text = scenario(user(name="streamer", websocket=stream), target=url)
        final, _, _ = await run(text, url, echoed(1), users=1, spawn_rate=10, duration=GUARD_S)
    [(subprotocol, agent, team, path)] = seen
    assert subprotocol == "v1.chat" and agent.startswith("loadtui/")
    assert team == "u1" and path == "/room?id=7"
    assert stream_of(final).rtt.count >= 1


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl CLI is not installed; cannot make a self-signed certificate")
    folder = tmp_path_factory.mktemp("wss")
    crt, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return crt, key


async def wss_runs(cert: tuple[Path, Path]) -> tuple[StreamStats, StreamStats]:
    """Echo over TLS (verify_tls = false), then a handshake that verifies the
    self-signed certificate: the stream of each run."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(*cert)
    async with ws_server(echo, ssl=tls) as url:
        url = url.replace("http://", "https://")
        text = scenario(user(name="streamer", websocket=echo_stream("/")), target=url,
                        verify_tls=False)  # fmt: skip
        both = once(lambda s: s.opened == 2 and s.rtt.count >= 2)
        final, _, _ = await run(text, url, both, users=2, spawn_rate=100, duration=GUARD_S)
        strict = scenario(user(name="streamer", websocket=echo_stream("/", reconnect=ONCE)),
                          target=url)  # fmt: skip
        failed = once(lambda s: s.failed >= 1)
        refused, _, _ = await run(strict, url, failed, users=1, spawn_rate=10, duration=GUARD_S)
    return stream_of(final), stream_of(refused)


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])  # their TLS transports differ
def test_wss_echo_over_tls(cert: tuple[Path, Path], loop: str) -> None:
    s, refused = (uvloop.run if loop == "uvloop" else asyncio.run)(wss_runs(cert))
    assert s.opened == 2 and s.rtt.count >= 2 and s.close_codes == {1001: 2}
    assert refused.handshake_failures == {"tls": 1}  # self-signed, verified


def test_echo_on_uvloop(demo_url: str) -> None:
    """uvloop's transports (the engine's loop outside tests) differ from asyncio's."""
    text = streamer("/ws/echo", duration="400ms")
    reopened = once(
        lambda s: s.opened >= 6 and s.rtt.count >= 6 and s.close_codes.get(1000, 0) >= 3
    )
    final, _, _ = uvloop.run(
        run(text, demo_url, reopened, users=3, spawn_rate=100, duration=GUARD_S)
    )
    s = stream_of(final)
    assert s.opened >= 6 and s.rtt.count >= 6 and s.disconnects == 0
    assert s.close_codes.get(1000, 0) >= 3


async def test_a_pause_keeps_sessions_open_and_sends_nothing(demo_url: str) -> None:
    def talking(snap: Snapshot) -> bool:
        s = snap.stream("streamer")
        return s is not None and s.open == 2 and s.messages_sent > 0

    # Pause once both sessions talk; resume after a second of pause (by the ticks' clock)
    # and two ticks at least; stop once messages go out again. On what the ticks show,
    # not on tick numbers: a busy machine delays ticks, or bunches them.
    def long_paused(snap: Snapshot) -> bool:
        at = steps.taken[0]
        return snap.t >= at.t + 1.0 and snap.seq >= at.seq + 2

    steps = Steps(
        (talking, lambda e, _s: e.pause()),
        (long_paused, lambda e, _s: e.resume()),
        (lambda snap: sent(snap) > sent(steps.taken[1]), lambda e, _s: e.stop()),
    )
    final, snaps, _ = await run(
        streamer("/ws/echo"), demo_url, users=2, spawn_rate=100, duration=GUARD_S,
        on_snapshot=steps,
    )  # fmt: skip
    assert steps.done
    paused, resumed = (snaps.index(s) for s in steps.taken[:2])
    # From the tick after the pause (a message under way as it came may still go out) to
    # the one that resumed: nothing sent, both sessions open.
    held = [(sent(s), stream_of(s).open) for s in snaps[paused + 1 : resumed + 1]]
    assert len(held) >= 2 and len(set(held)) == 1 and held[0][0] > 0, held
    assert held[0][1] == 2  # the sessions stayed open
    assert sent(final) > held[0][0]  # and sent again once resumed
    assert stream_of(final).opened == 2


def sent(snap: Snapshot) -> int:
    return stream_of(snap).messages_sent


async def test_a_stall_of_the_generators_own_does_not_fail_answered_pings() -> None:
    """The loop is held right after a ping went out, three ping intervals (a busy
    generator). The server (on this loop) answers as soon as the loop turns, but the
    next ping is overdue by then, and a loop runs due timers before it reads sockets.
    The session stays open: the pong is read before the ping is judged."""
    sent = 0
    original = WsConnection._ping

    def ping_then_stall(self: WsConnection) -> None:
        nonlocal sent
        original(self)
        sent += 1
        if sent == 2:
            time.sleep(0.15)  # the loop holds right after the second ping went out

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WsConnection, "_ping", ping_then_stall)
        async with ws_server(echo) as url:
            text = streamer("/", ping="50ms", reconnect=ONCE)
            stalled = once(lambda s: sent >= 6)
            final, _, _ = await run(text, url, stalled, users=1, spawn_rate=10, duration=GUARD_S)
    s = stream_of(final)
    assert sent >= 6  # pings went on after the stall
    assert (s.opened, s.disconnects) == (1, 0) and 1011 not in s.close_codes, s
