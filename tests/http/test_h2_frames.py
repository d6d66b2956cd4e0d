"""The native HTTP/2 client's frame layer against a server that writes raw frames on
loopback (tests/support/h2raw.py): what HTTP/2 allows and h2's server never sends
(padding, priority, interim heads, trailers, unknown frames, pings, long request heads)
is read right; what it forbids fails as "protocol", on the stream when the fault is the
stream's (the connection serves on) and on the connection when it is the connection's;
a header block that never ends or grows past the cap is "too large" without being kept."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from hyperframe.frame import ContinuationFrame, HeadersFrame, PingFrame, PushPromiseFrame
from support.h2raw import RawConn, RawServer
from support.waits import wait_for

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.h2pool import H2Pool
from loadtui.engine.http.h2request import encode_h2_request

MakePool = Callable[..., H2Pool]
OK = [(":status", "200")]


def req(path: str, headers: list[tuple[str, str]] | None = None) -> list[tuple[bytes, bytes]]:
    return encode_h2_request("GET", "http", "127.0.0.1", path, headers or [], None)


async def kind_of(pool: H2Pool, path: str, **kw: object) -> str:
    with pytest.raises(HttpError) as exc:
        await pool.request(req(path), **kw)  # type: ignore[arg-type]
    return exc.value.kind


def raw_frame(ftype: int, flags: int, sid: int, payload: bytes, length: int | None = None) -> bytes:
    """A frame as bytes, its length field `length` when given (whatever the payload)."""
    size = len(payload) if length is None else length
    return size.to_bytes(3) + bytes((ftype, flags)) + sid.to_bytes(4) + payload


async def test_padding_priority_interim_heads_and_trailers_are_read(h2c_pool: MakePool) -> None:
    def padded(conn: RawConn, sid: int) -> None:
        conn.write(
            conn.head(sid, [(":status", "200"), ("x-a", "1")], pad=17, priority=True),
            conn.data(sid, b"hel", end_stream=False, pad=0),
            conn.data(sid, b"lo", pad=200),
        )

    def interim(conn: RawConn, sid: int) -> None:
        conn.write(
            conn.head(sid, [(":status", "100")]),
            conn.head(sid, [(":status", "103"), ("link", "</s>")]),
            conn.head(sid, [(":status", "201"), ("x-b", "2")]),
            conn.data(sid, b"body", end_stream=False),
            conn.head(sid, [("x-trailer", "t")], end_stream=True),
        )

    async with RawServer({"/padded": padded, "/interim": interim}) as srv:
        pool = h2c_pool(srv.port)
        resp = await pool.request(req("/padded"), want_body=True, want_headers=True)
        assert (resp.status, resp.body, resp.headers) == (200, b"hello", [(b"x-a", b"1")])
        resp = await pool.request(req("/interim"), want_body=True, want_headers=True)
        assert (resp.status, resp.body, resp.headers) == (201, b"body", [(b"x-b", b"2")])
        assert srv.connections == 1


async def test_pings_are_answered_and_unknown_frames_ignored(h2c_pool: MakePool) -> None:
    def chatty(conn: RawConn, sid: int) -> None:
        conn.write(
            PingFrame(0, b"12345678").serialize(),
            raw_frame(0x2, 0, sid, b"\0\0\0\0\x10"),  # PRIORITY
            raw_frame(0xFA, 0x3, sid, b"what is this"),  # a type nobody defined
            raw_frame(0xFA, 0, 0, b""),
            conn.head(sid, OK),
            conn.data(sid, b"ok"),
        )

    async with RawServer({"/": chatty}) as srv:
        pool = h2c_pool(srv.port)
        assert (await pool.request(req("/"), want_body=True)).body == b"ok"
        await wait_for(lambda: bool(srv.got("PING")), what="the PING answered")
        (pong,) = srv.got("PING")
        assert pong.flags == {"ACK"} and pong.frame.opaque_data == b"12345678"


async def test_a_long_request_head_goes_out_in_continuation_frames(h2c_pool: MakePool) -> None:
    async with RawServer() as srv:
        pool = h2c_pool(srv.port)
        headers = [("x-long", "v" * 40_000)]  # past the 16 KiB frame size the server takes
        assert (await pool.request(req("/long", headers))).status == 200
        assert [f.kind for f in srv.frames if f.sid == 1] == [
            "HEADERS",
            "CONTINUATION",
            "CONTINUATION",
        ]
        assert srv.paths == ["/long"]


async def test_stream_faults_fail_their_stream_and_the_connection_serves_on(
    h2c_pool: MakePool,
) -> None:
    def data_first(conn: RawConn, sid: int) -> None:
        conn.write(conn.data(sid, b"x"))

    def no_status(conn: RawConn, sid: int) -> None:
        conn.write(conn.head(sid, [("x-a", "1")], end_stream=True))

    def early_end(conn: RawConn, sid: int) -> None:
        conn.write(conn.head(sid, [(":status", "100")], end_stream=True))

    def second_head(conn: RawConn, sid: int) -> None:
        conn.write(conn.head(sid, OK), conn.head(sid, OK, end_stream=True))

    scripts = {"/data": data_first, "/nostatus": no_status, "/end": early_end, "/two": second_head}
    async with RawServer(scripts) as srv:
        pool = h2c_pool(srv.port)
        for path in scripts:
            assert await kind_of(pool, path) == "protocol", path
        assert (await pool.request(req("/ok"))).status == 200
        assert srv.connections == 1
        # Each faulty stream was reset with PROTOCOL_ERROR.
        await wait_for(lambda: len(srv.got("RST_STREAM")) == 4, what="four resets")
        assert {f.frame.error_code for f in srv.got("RST_STREAM")} == {1}


# Answers that break HTTP/2 for the whole connection, by what they break.
CONNECTION_FAULTS: dict[str, Callable[[RawConn, int], None]] = {
    "frame too long": lambda c, s: c.write(raw_frame(0x0, 0, s, b"", length=1 << 20)),
    "padding past its frame": lambda c, s: c.write(raw_frame(0x0, 0x8, s, b"\x05abc")),
    "push": lambda c, s: c.write(PushPromiseFrame(s, promised_stream_id=2).serialize()),
    "HEADERS on an even stream": lambda c, s: c.write(raw_frame(0x1, 0x4, 2, b"\x88")),
    "DATA on an unopened stream": lambda c, s: c.write(raw_frame(0x0, 0, 99, b"x")),
    "WINDOW_UPDATE of 0": lambda c, s: c.write(raw_frame(0x8, 0, 0, b"\0\0\0\0")),
    "PING of 4 bytes": lambda c, s: c.write(raw_frame(0x6, 0, 0, b"1234")),
    "max frame size 1": lambda c, s: c.write(raw_frame(0x4, 0, 0, b"\0\x05\0\0\0\x01")),
    "HPACK index 0": lambda c, s: c.write(raw_frame(0x1, 0x4, s, b"\x80")),
    "CONTINUATION alone": lambda c, s: c.write(raw_frame(0x9, 0x4, s, b"")),
}


@pytest.mark.parametrize("why", CONNECTION_FAULTS)
async def test_connection_faults_fail_it_with_a_goaway(h2c_pool: MakePool, why: str) -> None:
    async with RawServer({"/": CONNECTION_FAULTS[why]}) as srv:
        pool = h2c_pool(srv.port)
        assert await kind_of(pool, "/") == "protocol"
        await wait_for(lambda: srv.closed == 1, what="the connection dropped")
        (goaway,) = srv.got("GOAWAY")
        assert goaway.frame.error_code != 0
        assert pool.gauges()["open"] == 0


async def test_a_header_block_that_never_ends_is_too_large_and_not_kept(
    h2c_pool: MakePool,
) -> None:
    """Endless empty CONTINUATION frames, and a block growing past the cap: the
    connection gives up at 64 frames or at the cap, long before the server's end."""

    def endless(conn: RawConn, sid: int) -> None:
        conn.write(HeadersFrame(sid, b"\x88").serialize())
        conn.write(ContinuationFrame(sid, b"").serialize() * 10_000)

    def growing(conn: RawConn, sid: int) -> None:
        conn.write(HeadersFrame(sid, b"\x88\x00\x05x-big\x7f\x81\x7f").serialize())
        conn.write(ContinuationFrame(sid, b"y" * 16_000).serialize() * 500)  # 8 MB

    async with RawServer({"/endless": endless, "/growing": growing}) as srv:
        pool = h2c_pool(srv.port, max_header_size=8192)
        assert await kind_of(pool, "/endless") == "too large"
        assert await kind_of(pool, "/growing") == "too large"
        await wait_for(lambda: srv.closed == 2, what="both connections dropped")


async def test_a_head_past_the_cap_only_by_the_table_fails_its_stream_alone(
    h2c_pool: MakePool,
) -> None:
    """A 3 KB field goes into the client's table; then 10 bytes name it five times: 15 KB
    decoded, past the 8 KiB cap. That stream is "too large"; the table stays in step, so
    the connection serves on and reads the field by index again."""

    def store(conn: RawConn, sid: int) -> None:
        conn.write(conn.head(sid, [(":status", "200"), ("x-big", "y" * 3000)], end_stream=True))

    def bomb(conn: RawConn, sid: int) -> None:
        conn.write(conn.head(sid, [(":status", "200"), *[("x-big", "y" * 3000)] * 5]))
        conn.write(conn.data(sid, b"never read"))

    async with RawServer({"/store": store, "/bomb": bomb}) as srv:
        pool = h2c_pool(srv.port, max_header_size=8192)
        assert (await pool.request(req("/store"))).status == 200
        assert await kind_of(pool, "/bomb") == "too large"
        again = await pool.request(req("/store"), want_headers=True)
        assert again.headers == [(b"x-big", b"y" * 3000)]
        assert srv.connections == 1


async def test_a_server_that_lowers_its_stream_limit_is_followed(h2c_pool: MakePool) -> None:
    """Mid-connection SETTINGS: max_concurrent_streams 2, then a larger initial window
    for a body that waited on the old one."""
    async with RawServer(settings={0x4: 10}) as srv:  # a 10-byte window for our bodies
        pool = h2c_pool(srv.port, max_connections=1)
        assert (await pool.request(req("/"))).status == 200
        (conn,) = srv._conns
        conn.write(raw_frame(0x4, 0, 0, b"\0\x03\0\0\0\x02"))  # max_concurrent_streams 2
        # Ours, our ACK of its first, our ACK of this one.
        await wait_for(lambda: len(srv.got("SETTINGS")) == 3, what="the settings acknowledged")
        body = b"b" * 50
        headers = encode_h2_request("POST", "http", "127.0.0.1", "/up", [], body)
        posting = asyncio.ensure_future(pool.request(headers, body))
        await wait_for(lambda: len(srv.got("DATA")) == 1, what="the first 10 bytes")
        conn.write(raw_frame(0x4, 0, 0, b"\0\x04\0\x01\0\0"))  # initial window 65536
        assert (await posting).status == 200
        assert srv.bodies[-1] == body and len(srv.got("DATA")) == 2
        hangs = [asyncio.ensure_future(pool.request(req("/hang"))) for _ in range(3)]
        await wait_for(lambda: pool.gauges()["waiting"] == 1, what="two streams, one queued")
        assert pool.gauges()["streams"] == 2
        for call in hangs:
            call.cancel()
        await asyncio.gather(*hangs, return_exceptions=True)
