"""The client connection's short path (engine/ws_connection.py) against websockets' own
Sans-I/O server, in memory: however the server's bytes are split into reads, the same
messages come out in order, pings are answered, fragments and close frames go through
the Sans-I/O parser without it losing step, and what breaks the protocol fails the
connection with the right close code. No sockets: the bytes are handed over directly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from loadtui.engine.ws_connection import WsConnection
from loadtui.engine.ws_frames import BINARY, TEXT, client_frame, frame_head

LIMIT = 100_000  # the client's max_message_size here
Message = tuple[bytes, bool]  # (payload, is text)


@dataclass
class Wire:
    """The transport end of a connection fed by hand: keeps what the client writes."""

    out: bytearray = field(default_factory=bytearray)
    closed: bool = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "a write after close"
        self.out += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True


@dataclass
class Client:
    conn: WsConnection
    wire: Wire
    server: ServerProtocol
    got: list[Message]
    sent_upto: int  # bytes of `wire.out` the server has read


def connect(on_closing: Callable[[], None] = lambda: None) -> tuple[Client, bytes]:
    """A client whose handshake request the server accepted; the 101 is not fed yet."""
    got: list[Message] = []
    ws = ClientProtocol(parse_uri("ws://127.0.0.1:9/x"), max_size=LIMIT)
    conn = WsConnection(ws, [("X-Test", "1")], None, lambda p, t: got.append((p, t)), on_closing)
    wire = Wire()
    conn.connection_made(wire)  # type: ignore[arg-type]
    server = ServerProtocol(max_size=None)
    server.receive_data(bytes(wire.out))
    [request] = server.events_received()
    assert request.headers["X-Test"] == "1"
    server.send_response(server.accept(request))
    return Client(conn, wire, server, got, len(wire.out)), b"".join(server.data_to_send())


def from_client(c: Client) -> list[Frame]:
    """The frames the client wrote since last asked, as the server parses them."""
    c.server.receive_data(bytes(c.wire.out[c.sent_upto :]))
    c.sent_upto = len(c.wire.out)
    return [e for e in c.server.events_received() if isinstance(e, Frame)]


def feed(conn: WsConnection, data: bytes, cuts: list[float]) -> None:
    """`data` in reads split at `cuts` (fractions of its length, any order)."""
    at = 0
    for cut in sorted({int(c * len(data)) for c in cuts} | {len(data)}):
        if cut > at:
            conn.data_received(data[at:cut])
            at = cut


SIZES = st.one_of(st.integers(0, 300), st.sampled_from([125, 126, 127, 65535, 65536, 70_000]))
KINDS = st.sampled_from(["text", "binary", "fragments", "ping"])


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(KINDS)
    size = draw(SIZES)
    payload = (b"%d:" % size * (size // 2 + 1))[:size]  # ASCII: valid text too
    if kind == "text" and size < 50:
        payload = draw(st.text(max_size=20)).encode()  # any characters, as UTF-8
    return kind, payload


def play(server: ServerProtocol, plan: list[tuple[str, bytes]]) -> tuple[bytes, list[Message]]:
    """The server's bytes for `plan`, and the messages the client must deliver."""
    expected: list[Message] = []
    for kind, payload in plan:
        if kind == "text":
            server.send_text(payload)
        elif kind == "binary":
            server.send_binary(payload)
        elif kind == "fragments":
            half = len(payload) // 2
            server.send_binary(payload[:half], fin=False)
            server.send_continuation(payload[half:], fin=True)
        else:
            server.send_ping(payload[:125])
            continue
        expected.append((payload, kind == "text"))
    return b"".join(server.data_to_send()), expected


CUTS = st.lists(st.floats(0, 1), max_size=12)


@given(plan=st.lists(messages(), max_size=10), cuts=CUTS)
def test_messages_come_out_whole_however_the_bytes_are_split(
    plan: list[tuple[str, bytes]], cuts: list[float]
) -> None:
    async def check() -> None:
        c, response = connect()
        stream, expected = play(c.server, plan)
        # The 101 and the first frames may share a read: cut points run over both.
        feed(c.conn, response + stream, cuts)
        assert c.conn.opened.done() and c.conn.open
        assert c.got == expected
        pings = [p[:125] for kind, p in plan if kind == "ping"]
        assert [bytes(f.data) for f in from_client(c) if f.opcode is Opcode.PONG] == pings

    asyncio.run(check())


@given(cuts=CUTS)
def test_messages_after_a_close_frame_are_not_read(cuts: list[float]) -> None:
    async def check() -> None:
        c, response = connect()
        c.server.send_text(b"before")
        c.server.send_close(4000, "bye")
        after = bytes((TEXT, 5)) + b"after"  # past the close: the client must not take it
        stream = b"".join(c.server.data_to_send()) + after
        feed(c.conn, response + stream, cuts)
        assert c.got == [(b"before", True)]
        assert not c.conn.open and c.conn.close_code() == 4000
        [echoed] = [f for f in from_client(c) if f.opcode is Opcode.CLOSE]
        assert echoed.data[:2] == (4000).to_bytes(2, "big")  # the close handshake answered

    asyncio.run(check())


async def test_a_message_over_the_limit_fails_the_connection_with_1009() -> None:
    c, response = connect()
    c.server.send_text(b"fits")
    c.server.send_binary(b"x" * (LIMIT + 1))
    c.server.send_text(b"never read")
    feed(c.conn, response + b"".join(c.server.data_to_send()), [0.001, 0.05])
    assert c.got == [(b"fits", True)]
    assert c.conn.close_codes() == {1009} and not c.conn.open


async def test_text_that_is_not_utf8_fails_the_connection_with_1007() -> None:
    closing: list[set[int]] = []
    c, response = connect(lambda: closing.append(c.conn.close_codes()))
    c.conn.data_received(response + bytes((TEXT, 2)) + b"\xff\xfe" + bytes((TEXT, 1)) + b"k")
    assert c.got == [] and closing == [{1007}]  # told once, at once
    [close] = [f for f in from_client(c) if f.opcode is Opcode.CLOSE]
    assert close.data[:2] == (1007).to_bytes(2, "big")


async def test_a_masked_frame_from_the_server_is_a_protocol_error() -> None:
    c, response = connect()
    c.conn.data_received(response + client_frame(TEXT, b"masked"))
    assert c.got == [] and c.conn.close_codes() == {1002}


async def test_sent_frames_are_what_a_server_reads() -> None:
    c, response = connect()
    c.conn.data_received(response)
    assert c.server.state is OPEN
    payloads = [(b"", True), (b"a" * 125, False), (b"b" * 126, True), (b"c" * 65536, False)]
    for payload, text in payloads:
        c.conn.send(payload, text)
    frames = from_client(c)
    assert [(bytes(f.data), f.opcode is Opcode.TEXT) for f in frames] == payloads


def test_frame_head_needs_the_whole_header() -> None:
    frame = client_frame(BINARY, b"z" * 70_000)  # 64-bit length, masked: 14 header bytes
    assert frame_head(frame, 0, len(frame)) == (14, 70_000)
    assert all(frame_head(frame, 0, n) is None for n in range(10))
    assert frame_head(frame, 0, 10) == (14, 70_000)  # the key need not be there yet
    short = bytes((TEXT, 5)) + b"hello"
    assert frame_head(short, 0, 1) is None and frame_head(short, 0, 2) == (2, 5)
