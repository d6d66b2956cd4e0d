"""Pool against real loopback servers: reuse, body framing, connection close."""

from __future__ import annotations

import asyncio

import pytest

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.request import encode_request

GET = encode_request("GET", "/x", "127.0.0.1", [], None)
HEAD = encode_request("HEAD", "/x", "127.0.0.1", [], None)


async def test_keep_alive_reuses_one_connection(server, pool_for) -> None:
    srv = await server()
    pool = pool_for(srv.port)
    for _ in range(25):
        resp = await pool.request(GET, want_body=True)
        assert resp.status == 200
        assert resp.body == b"ok:/x"
        assert resp.keep_alive
    assert srv.accepts == 1
    assert len(srv.requests) == 25
    g = pool.gauges()
    assert (g["open"], g["idle"], g["in_use"], g["connects"]) == (1, 1, 0, 1)
    assert g["connect_time_total_s"] > 0


async def test_body_counted_not_kept_unless_asked(server, pool_for, kit) -> None:
    big = bytes(range(256)) * 400

    async def handler(srv, reader, writer) -> None:
        while (req := await srv.read_request(reader)) is not None:
            writer.write(kit.response(200, big, chunked=req.target == "/chunked"))

    srv = await server(handler)
    pool = pool_for(srv.port)
    chunked = encode_request("GET", "/chunked", "h", [], None)
    for raw in (GET, chunked):
        counted = await pool.request(raw)
        assert (counted.body, counted.headers, counted.body_len) == (None, None, len(big))
        kept = await pool.request(raw, want_body=True)
        assert kept.body == big
        assert kept.body_len == len(big)
    assert srv.accepts == 1


async def test_headers_returned_when_asked(server, pool_for, kit) -> None:
    async def handler(srv, reader, writer) -> None:
        while await srv.read_request(reader) is not None:
            writer.write(kit.response(201, b"{}", (("X-Id", "7"), ("Set-Cookie", "a=1"))))

    srv = await server(handler)
    pool = pool_for(srv.port)
    plain = await pool.request(GET)
    assert plain.headers is None
    resp = await pool.request(GET, want_headers=True)
    assert resp.status == 201
    assert resp.headers is not None
    assert (b"X-Id", b"7") in resp.headers
    assert (b"Content-Length", b"2") in resp.headers
    again = await pool.request(GET)  # the lean parser is used again afterwards
    assert again.headers is None and again.status == 201


async def test_head_and_204_have_no_body_and_keep_the_connection(server, pool_for) -> None:
    async def handler(srv, reader, writer) -> None:
        while (req := await srv.read_request(reader)) is not None:
            if req.method == "HEAD":  # announces a body it does not send
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n")
            elif req.target == "/empty":
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            else:
                writer.write(
                    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
                )

    srv = await server(handler)
    pool = pool_for(srv.port)
    for want_headers in (False, True):
        head = await pool.request(HEAD, head=True, want_body=True, want_headers=want_headers)
        assert (head.status, head.body, head.body_len, head.keep_alive) == (200, b"", 0, True)
    empty = await pool.request(encode_request("GET", "/empty", "h", [], None), want_body=True)
    assert (empty.status, empty.body) == (204, b"")
    final = await pool.request(GET, want_body=True)  # after a 100 Continue
    assert (final.status, final.body) == (200, b"hi")
    head = await pool.request(HEAD, head=True)
    assert head.status == 200
    assert srv.accepts == 1
    assert len(srv.requests) == 5


async def test_server_connection_close_opens_a_new_connection(server, pool_for, kit) -> None:
    async def handler(srv, reader, writer) -> None:
        await srv.read_request(reader)
        writer.write(kit.response(200, b"bye", (("Connection", "close"),)))
        await writer.drain()

    srv = await server(handler)
    pool = pool_for(srv.port)
    for _ in range(3):
        resp = await pool.request(GET, want_body=True)
        assert (resp.body, resp.keep_alive) == (b"bye", False)
    assert srv.accepts == 3
    assert pool.gauges()["open"] == 0


async def test_http10_body_delimited_by_close(server, pool_for, kit) -> None:
    async def handler(srv, reader, writer) -> None:
        await srv.read_request(reader)
        writer.write(kit.response(200, b"x" * 70_000, version="1.0", length=False))
        await writer.drain()

    srv = await server(handler)
    pool = pool_for(srv.port)
    resp = await pool.request(GET, want_body=True)
    assert resp.status == 200
    assert resp.body == b"x" * 70_000
    assert not resp.keep_alive
    counted = await pool.request(GET)
    assert counted.body_len == 70_000
    assert srv.accepts == 2


async def test_http10_keep_alive_with_content_length(server, pool_for, kit) -> None:
    async def handler(srv, reader, writer) -> None:
        while await srv.read_request(reader) is not None:
            writer.write(
                kit.response(200, b"ten bytes!", (("Connection", "keep-alive"),), version="1.0")
            )

    srv = await server(handler)
    pool = pool_for(srv.port)
    for _ in range(3):
        assert (await pool.request(GET, want_body=True)).body == b"ten bytes!"
    assert srv.accepts == 1


async def test_truncated_body_is_an_error_not_a_short_success(server, pool_for) -> None:
    async def handler(srv, reader, writer) -> None:
        await srv.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
        await writer.drain()

    srv = await server(handler)
    pool = pool_for(srv.port)
    with pytest.raises(HttpError) as exc:
        await pool.request(GET, want_body=True)
    assert exc.value.kind == "closed"
    assert "mid-response" in str(exc.value)


async def test_stale_idle_connection_is_dropped_before_use(server, pool_for, kit) -> None:
    async def handler(srv, reader, writer) -> None:  # keep-alive response, then hang up
        await srv.read_request(reader)
        writer.write(kit.response(200, b"ok"))
        await writer.drain()

    srv = await server(handler)
    pool = pool_for(srv.port)
    assert (await pool.request(GET)).keep_alive
    for _ in range(50):  # the pool sees the FIN while the connection is idle
        if pool.gauges()["idle"] == 0:
            break
        await asyncio.sleep(0.01)
    assert pool.gauges()["open"] == 0
    assert (await pool.request(GET, want_body=True)).body == b"ok"
    assert srv.accepts == 2
    assert pool.gauges()["retries"] == 0


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nuntil-close", b"until-close"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw-to-close", b"raw-to-close"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc", "closed"),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab", "closed"),
    ],
)
async def test_eof_framing(server, pool_for, reply: bytes, outcome: bytes | str) -> None:
    """At EOF mid-body, only a body without length or chunking counts as complete."""

    async def handler(srv, reader, writer) -> None:
        await srv.read_request(reader)
        writer.write(reply)
        await writer.drain()

    srv = await server(handler)
    pool = pool_for(srv.port)
    if isinstance(outcome, bytes):
        assert (await pool.request(GET, want_body=True)).body == outcome
    else:
        with pytest.raises(HttpError) as exc:
            await pool.request(GET, want_body=True, want_headers=True)
        assert exc.value.kind == outcome
