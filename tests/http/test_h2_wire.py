"""The HTTP/2 client connection's frame layer (engine/http/h2conn.py) against h2's own
server state machine, in memory: however the server's bytes are split into reads, every
stream gets its own status, headers and body (through interim 1xx heads, padding,
trailers, bodies over several frames and the server's HPACK dynamic table), what the
client writes back (SETTINGS ACK, WINDOW_UPDATEs, PING ACKs) keeps h2's server in step,
and a server that reads none of it is dropped. No sockets: the bytes are handed over as
an asyncio transport hands them to a BufferedProtocol."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

import pytest
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import RequestReceived, WindowUpdated
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.h2conn import H2Conn
from loadtui.engine.http.h2hpack import encode_block
from loadtui.engine.http.h2pool import H2Pool
from loadtui.engine.http.h2request import encode_h2_request
from loadtui.engine.http.h2state import CONN_WINDOW, STREAM_WINDOW, H2Stream
from loadtui.engine.http.response import INF, Response


@dataclass
class Wire:
    """The transport end of a connection fed by hand: keeps what the client writes."""

    out: bytearray = field(default_factory=bytearray)
    closed: bool = False
    unread: int = 0  # bytes the peer has not read yet, as the transport would buffer them

    def write(self, data: bytes) -> None:
        assert not self.closed, "a write after close"
        self.out += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return self.unread

    def take(self) -> bytes:
        data = bytes(self.out)
        self.out.clear()
        return data


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    size: int  # of the body
    interim: bool  # a 103 before the final head
    trailers: bool
    pad: int  # padding on each DATA frame
    chunk: int  # body bytes per DATA frame

    @property
    def body(self) -> bytes:
        return bytes(range(256)) * (self.size // 256) + bytes(range(self.size % 256))


names = st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).map(lambda s: "x-" + s)
# h2's server strips a value's outer whitespace: none is generated.
values = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40).map(str.strip)
answers = st.builds(
    Answer,
    status=st.sampled_from([200, 201, 204, 301, 404, 429, 500, 503]),
    headers=st.lists(st.tuples(names, values), max_size=6),
    size=st.integers(0, 3000) | st.just(20_000),
    interim=st.booleans(),
    trailers=st.booleans(),
    pad=st.integers(0, 255),
    # At least 64 bytes a frame: the padding stays within the window (1 MiB) the client
    # gives before it hears of what it read; and a padded frame within 16 KiB.
    chunk=st.integers(64, 16_384 - 256),
)


def feed(conn: H2Conn, data: bytes, cuts: list[int]) -> None:
    """Hand `data` to the connection in reads split at `cuts`, as a transport does."""
    bounds = [0, *sorted({c % (len(data) + 1) for c in cuts}), len(data)]
    for a, b in itertools.pairwise(bounds):
        chunk = data[a:b]
        while chunk:
            buf = conn.get_buffer(len(chunk))
            n = min(len(buf), len(chunk))
            buf[:n] = chunk[:n]
            conn.buffer_updated(n)
            chunk = chunk[n:]


def serve(server: H2Connection, sid: int, answer: Answer) -> None:
    if answer.interim:
        server.send_headers(sid, [(":status", "103"), ("link", "</a>; rel=preload")])
    head = [(":status", str(answer.status)), *answer.headers]
    body = answer.body
    server.send_headers(sid, head, end_stream=not body and not answer.trailers)
    for i in range(0, len(body), answer.chunk):
        last = i + answer.chunk >= len(body) and not answer.trailers
        server.send_data(sid, body[i : i + answer.chunk], end_stream=last, pad_length=answer.pad)
    if answer.trailers:
        server.send_headers(sid, [("x-trailer", "t")], end_stream=True)


async def connected() -> tuple[H2Conn, Wire, H2Connection]:
    """A client connection whose preface h2's server read and answered."""
    loop = asyncio.get_running_loop()
    pool = H2Pool(
        "http",
        "127.0.0.1",
        1,
        ssl_context=None,
        max_connections=1,
        connect_timeout=1.0,
        read_timeout=5.0,
        loop=loop,
        max_body_size=1 << 20,
    )
    conn = H2Conn(pool, tls=False)
    wire = Wire()
    conn.connection_made(wire)
    server = H2Connection(H2Configuration(client_side=False, header_encoding="utf-8"))
    server.initiate_connection()
    server.receive_data(wire.take())
    feed(conn, server.data_to_send(), [])
    server.receive_data(wire.take())  # the client's SETTINGS ACK
    assert conn.ready.result() is True
    conn.usable = True
    return conn, wire, server


def send(conn: H2Conn, path: str, keep: bool = True) -> H2Stream:
    """A GET on a slot of `conn`; `keep`: its body and headers are kept."""
    conn.slots += 1
    block = encode_block(encode_h2_request("GET", "http", "t", path, [], None))
    return conn.send(block, None, keep, keep, 0.0, 5.0, INF)


@settings(max_examples=40)
@given(st.lists(answers, min_size=1, max_size=6), st.lists(st.integers(0, 1 << 20), max_size=40))
async def test_every_stream_gets_its_answer_however_the_reads_split(
    plan: list[Answer], cuts: list[int]
) -> None:
    conn, wire, server = await connected()
    streams = [send(conn, f"/{i}") for i in range(len(plan))]
    conn._flush()
    events = server.receive_data(wire.take())
    sids = [ev.stream_id for ev in events if isinstance(ev, RequestReceived)]
    assert sids == [s.id for s in streams]
    for sid, answer in zip(sids, plan, strict=True):
        serve(server, sid, answer)
    feed(conn, server.data_to_send(), cuts)
    server.receive_data(wire.take())  # window updates, if any: h2 accepts them
    for stream, answer in zip(streams, plan, strict=True):
        resp: Response = stream.fut.result()
        assert resp.status == answer.status
        want = [(n.encode(), v.encode()) for n, v in answer.headers]
        assert (resp.headers or [])[: len(want)] == want
        assert resp.body == answer.body and resp.body_len == len(answer.body)
    assert not conn.streams and conn.alive and conn.uses == len(plan)


async def test_received_data_is_handed_back_in_batches() -> None:
    """Six 3 MB bodies, each three times a stream's window (1 MiB) and together past the
    connection's (16 MiB): h2's server, which counts every window, can send them whole
    only if the client hands both windows back as it reads."""
    conn, wire, server = await connected()
    body = b"z" * 3_000_000
    updates: list[int] = []  # the streams of the client's WINDOW_UPDATEs (0: connection)
    for n in range(6):
        stream = send(conn, f"/big/{n}", keep=False)  # counted, not kept
        conn._flush()
        events = server.receive_data(wire.take())
        (sid,) = [e.stream_id for e in events if isinstance(e, RequestReceived)]
        server.send_headers(sid, [(":status", "200")])
        sent = 0
        while sent < len(body):
            room = min(server.local_flow_control_window(sid), server.max_outbound_frame_size)
            assert room > 0, f"the client held its window back at {sent} bytes of body {n}"
            end = sent + room >= len(body)
            server.send_data(sid, body[sent : sent + room], end_stream=end)
            sent += room
            feed(conn, server.data_to_send(), [])
            events = server.receive_data(wire.take())
            updates += [e.stream_id for e in events if isinstance(e, WindowUpdated)]
        assert stream.fut.result().body_len == len(body)
        # Handed back in batches, each half a window: not an update per frame.
        assert updates.count(sid) == len(body) // (STREAM_WINDOW // 2)
    assert updates.count(0) == 6 * len(body) // (CONN_WINDOW // 2)
    assert conn.alive and not conn.streams


async def test_a_server_that_reads_none_of_its_answers_is_dropped() -> None:
    """PINGs are answered while the server reads what we write; once 4 MiB of our
    writes lie unread, another PING fails the connection instead of growing that pile."""
    conn, wire, server = await connected()
    stream = send(conn, "/")
    conn._flush()
    server.receive_data(wire.take())
    server.ping(b"12345678")
    feed(conn, server.data_to_send(), [])
    assert [type(e).__name__ for e in server.receive_data(wire.take())] == ["PingAckReceived"]
    wire.unread = 5 << 20
    server.ping(b"87654321")
    feed(conn, server.data_to_send(), [])
    assert not conn.alive and wire.closed
    with pytest.raises(HttpError) as exc:
        stream.fut.result()
    assert exc.value.kind == "protocol"
    (goaway,) = server.receive_data(bytes(wire.out))
    assert goaway.error_code == ErrorCodes.ENHANCE_YOUR_CALM
