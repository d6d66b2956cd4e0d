"""The pool's edge against hostile responses: head and kept-body caps (exact at the
boundary, 1xx heads included), bodies nobody keeps, 101 replies and parser errors that
never escape into the event loop, and the httpx transport's bounds (body cap, the pool
set's total timeout, CR/LF refused before anything is sent). Real loopback servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.poolset import PoolSet
from loadtui.engine.http.request import InvalidHeaderValue, encode_request
from loadtui.engine.http.transport import PoolTransport
from loadtui.scenario.model import Target, Timeouts

GET = encode_request("GET", "/x", "127.0.0.1", [], None)
CAP = 4096
UPGRADE = "unexpected upgrade"


def head_of(size: int, body: bytes = b"") -> bytes:
    """A 200 response whose head (status line to blank line) is exactly `size` bytes."""
    start = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Pad: " % len(body)
    pad = size - len(start) - 4
    assert pad >= 0
    return start + b"p" * pad + b"\r\n\r\n" + body


def replying(*replies: bytes, pieces: int = 1):
    """A handler answering successive requests with `replies` (the last one repeats),
    each written in `pieces` separate writes."""

    async def handler(srv, reader, writer) -> None:
        n = 0
        while await srv.read_request(reader) is not None:
            reply = replies[min(n, len(replies) - 1)]
            step = -(-len(reply) // pieces)
            for i in range(0, len(reply), step):
                writer.write(reply[i : i + step])
                await writer.drain()
            n += 1

    return handler


async def kind_of(coro: Any) -> str:
    with pytest.raises(HttpError) as exc:
        await coro
    return exc.value.kind


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, Any]]]:
    """What reaches the running loop's exception handler (nothing should)."""
    loop = asyncio.get_running_loop()
    seen: list[dict[str, Any]] = []
    old = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    yield seen
    loop.set_exception_handler(old)


@pytest.mark.parametrize("pieces", [1, 7])
async def test_head_cap_is_exact(server, pool_for, pieces: int) -> None:
    """A head of exactly the cap passes, one byte more is `too large`, whether it comes
    in one read with its body or in many."""
    srv = await server(replying(head_of(CAP, b"ok"), head_of(CAP + 1, b"ok"), pieces=pieces))
    pool = pool_for(srv.port, max_header_size=CAP)
    resp = await pool.request(GET, want_body=True)
    assert (resp.status, resp.body) == (200, b"ok")
    assert await kind_of(pool.request(GET, want_body=True)) == "too large"
    assert pool.gauges()["open"] == 0  # the connection was dropped


async def test_interim_heads_count_against_the_head_cap(server, pool_for) -> None:
    hint = b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
    few = hint * 3 + head_of(200)
    many = hint * (CAP // len(hint) + 1) + head_of(200)
    srv = await server(replying(few, many))
    pool = pool_for(srv.port, max_header_size=CAP)
    assert (await pool.request(GET)).status == 200
    assert await kind_of(pool.request(GET)) == "too large"


async def test_body_cap_applies_only_to_kept_bodies(server, pool_for, kit) -> None:
    at_cap, over = b"a" * CAP, b"b" * (CAP + 1)
    huge = b"c" * (CAP * 50)

    async def handler(srv, reader, writer) -> None:
        bodies = {"/at": at_cap, "/over": over, "/huge": huge}
        while (req := await srv.read_request(reader)) is not None:
            writer.write(kit.response(200, bodies[req.target], chunked=True))

    srv = await server(handler)
    pool = pool_for(srv.port, max_body_size=CAP)

    def get(path: str) -> bytes:
        return encode_request("GET", path, "h", [], None)

    assert (await pool.request(get("/at"), want_body=True)).body == at_cap
    assert await kind_of(pool.request(get("/over"), want_body=True)) == "too large"
    counted = await pool.request(get("/huge"))  # not kept: any size, only counted
    assert (counted.body, counted.body_len) == (None, len(huge))
    again = await pool.request(get("/at"), want_body=True)  # a new connection works
    assert again.body == at_cap
    assert srv.accepts == 2


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (b"HTTP/1.1 101 Go\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n", UPGRADE),
        (b"HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x05hello", UPGRADE),
        (b"\x16\x03\x01\x00\x05hello", "protocol"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", "protocol"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "protocol"),
    ],
)  # fmt: skip
async def test_upgrades_and_parser_errors_are_counted_never_raised_into_the_loop(
    server, pool_for, loop_errors, reply: bytes, kind: str
) -> None:
    srv = await server(replying(reply))
    pool = pool_for(srv.port)
    for want_headers in (False, True):  # both parsers
        assert await kind_of(pool.request(GET, want_headers=want_headers)) == kind
    await asyncio.sleep(0)  # let any stray callback error reach the handler
    assert loop_errors == []


async def test_trailers_are_not_taken_for_headers(server, pool_for) -> None:
    reply = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
        b"2\r\nok\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    srv = await server(replying(reply))
    resp = await pool_for(srv.port).request(GET, want_headers=True, want_body=True)
    assert resp.body == b"ok"
    assert resp.headers == [(b"Transfer-Encoding", b"chunked"), (b"X-A", b"1")]


def test_crlf_nul_in_values_is_invalid_header_value() -> None:
    for value in ("a\r\nX-Evil: 1", "a\nb", "a\x00b"):
        with pytest.raises(InvalidHeaderValue):
            encode_request("GET", "/", "h", [("X-Token", value)], None)
    with pytest.raises(InvalidHeaderValue):
        encode_request("GET", "/a\r\nX-Evil: 1", "h", [], None)
    assert issubclass(InvalidHeaderValue, ValueError)


def test_poolset_for_target_carries_caps_and_timeouts() -> None:
    target = Target(
        "t",
        "http://127.0.0.1:1",
        timeouts=Timeouts(connect=1.0, read=2.0, total=3.0),
        max_header_size=2048,
        max_body_size=10,
    )
    pools = PoolSet.for_target(target)
    pool = pools.pool_for(target.url)
    assert (pool.max_header_size, pool.max_body_size) == (2048, 10)
    assert (pool.connect_timeout, pool.read_timeout, pools.total_timeout) == (1.0, 2.0, 3.0)


async def test_transport_bounds_kept_bodies_and_total_time(server, kit) -> None:
    async def handler(srv, reader, writer) -> None:
        while (req := await srv.read_request(reader)) is not None:
            if req.target == "/drip":  # a byte every 0.1 s: the read timeout never fires
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n")
                for _ in range(50):
                    writer.write(b"x")
                    await writer.drain()
                    await asyncio.sleep(0.1)
            else:
                writer.write(kit.response(200, b"z" * (CAP + 1)))

    srv = await server(handler)
    pools = PoolSet(read_timeout=2.0, total_timeout=0.5, max_body_size=CAP)
    async with httpx.AsyncClient(transport=PoolTransport(pools), base_url=srv.url) as client:
        with pytest.raises(httpx.RemoteProtocolError) as big:
            await client.get("/big")
        assert isinstance(big.value.__cause__, HttpError)
        assert big.value.__cause__.kind == "too large"
        with pytest.raises(httpx.TimeoutException) as slow:
            await client.get("/drip")
        assert isinstance(slow.value.__cause__, HttpError)
        assert slow.value.__cause__.kind == "timeout"
    await pools.close()


async def test_transport_refuses_crlf_before_sending(server) -> None:
    srv = await server()
    async with httpx.AsyncClient(transport=PoolTransport(), base_url=srv.url) as client:
        with pytest.raises(httpx.LocalProtocolError) as exc:
            await client.get("/x", headers={"X-Token": "t\r\nX-Evil: 1"})
    assert isinstance(exc.value.__cause__, HttpError)
    assert exc.value.__cause__.kind == "invalid header value"
    assert srv.accepts == 0
