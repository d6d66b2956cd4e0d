"""Pool failure paths: each error kind from a real misbehaving loopback peer."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator

import pytest
from support.waits import wait_for

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.pool import Pool
from loadtui.engine.http.request import encode_request
from loadtui.engine.http.response import Response

GET = encode_request("GET", "/x", "127.0.0.1", [], None)
POST = encode_request("POST", "/x", "127.0.0.1", [], b"data")


async def kind_of(coro: object) -> str:
    with pytest.raises(HttpError) as exc:
        await coro  # type: ignore[misc]
    return exc.value.kind


async def silent(srv, reader, writer) -> None:
    """Reads requests and never answers."""
    while await srv.read_request(reader) is not None:
        pass


async def test_refused(pool_for, free_port) -> None:
    pool = pool_for(free_port)
    assert await kind_of(pool.request(GET)) == "refused"
    g = pool.gauges()
    assert (g["connect_errors"], g["connects"], g["open"]) == (1, 0, 0)


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A port whose listen backlog is full, so a new connect hangs (Linux behaviour)."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(0)
    port = lsock.getsockname()[1]
    held = []
    for _ in range(4):
        s = socket.socket()
        s.settimeout(0.05)
        with contextlib.suppress(TimeoutError):
            s.connect(("127.0.0.1", port))
        held.append(s)
    probe = socket.socket()
    probe.settimeout(0.05)
    try:
        probe.connect(("127.0.0.1", port))
        pytest.skip("this kernel accepts connects beyond the listen backlog")
    except TimeoutError:
        pass
    finally:
        probe.close()
    yield port
    for s in [*held, lsock]:
        s.close()


async def test_connect_timeout(pool_for, full_backlog) -> None:
    pool = pool_for(full_backlog, connect_timeout=0.3)
    t0 = time.monotonic()
    assert await kind_of(pool.request(GET)) == "connect_timeout"
    assert time.monotonic() - t0 >= 0.25  # it waited out the connect limit first
    # The total limit, when shorter, is what expires: kind "timeout".
    assert await kind_of(pool.request(GET, total_timeout=0.1)) == "timeout"
    assert pool.gauges()["connect_errors"] == 2


async def test_read_timeout(server, pool_for) -> None:
    srv = await server(silent)
    pool = pool_for(srv.port, read_timeout=0.3)
    t0 = time.monotonic()
    assert await kind_of(pool.request(GET)) == "read_timeout"
    assert time.monotonic() - t0 >= 0.28  # a silent peer: only the read limit ends it
    assert pool.gauges()["open"] == 0  # a timed-out connection is never reused


async def test_total_timeout_while_body_trickles(server, pool_for) -> None:
    async def trickle(srv, reader, writer) -> None:
        await srv.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(100):  # a byte every 40 ms: never idle long enough for a read timeout
            writer.write(b"x")
            await asyncio.sleep(0.04)

    srv = await server(trickle)
    # The read limit is what a busy machine must not hold this loop (the server's too) for:
    # 0.3 s and 0.6 s were within reach of one.
    pool = pool_for(srv.port, read_timeout=1.5)
    t0 = time.monotonic()
    assert await kind_of(pool.request(GET, total_timeout=2.0)) == "timeout"
    # The total limit, not the read limit (1.5 s) and not the end of the 4 s trickle.
    assert 1.98 <= time.monotonic() - t0 < 100 * 0.04


async def test_reset_mid_response(server, pool_for, kit) -> None:
    async def rst(srv, reader, writer) -> None:
        await srv.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\npart")
        await writer.drain()
        await asyncio.sleep(0.05)
        kit.hard_reset(writer)

    srv = await server(rst)
    pool = pool_for(srv.port)
    assert await kind_of(pool.request(GET)) == "reset"


async def test_closed_without_response(server, pool_for) -> None:
    async def hang_up(srv, reader, writer) -> None:
        await srv.read_request(reader)

    srv = await server(hang_up)
    pool = pool_for(srv.port)
    with pytest.raises(HttpError) as exc:
        await pool.request(GET)
    assert exc.value.kind == "closed"
    assert "without a response" in str(exc.value)
    assert pool.gauges()["retries"] == 0  # a fresh connection is never retried


@pytest.mark.parametrize(
    "reply",
    [b"HTPT/1.1 200 OK\r\n\r\n", b"hello\r\n\r\n", b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"],
)
async def test_malformed_response_is_protocol(server, pool_for, reply: bytes) -> None:
    async def garbage(srv, reader, writer) -> None:
        await srv.read_request(reader)
        writer.write(reply)
        await asyncio.sleep(1)

    srv = await server(garbage)
    pool = pool_for(srv.port)
    assert await kind_of(pool.request(GET)) == "protocol"


async def test_keep_alive_race_retries_idempotent_once(server, pool_for, kit) -> None:
    """Second request on each connection: the server reads it and hangs up."""

    async def one_then_drop(srv, reader, writer) -> None:
        await srv.read_request(reader)
        writer.write(kit.response(200, b"first"))
        await srv.read_request(reader)

    srv = await server(one_then_drop)
    pool = pool_for(srv.port)
    assert (await pool.request(GET, want_body=True)).body == b"first"
    assert (await pool.request(GET, want_body=True)).body == b"first"  # retried
    assert pool.gauges()["retries"] == 1
    assert srv.accepts == 2
    # A POST is never re-sent: the server may have acted on it.
    assert await kind_of(pool.request(POST)) == "closed"
    assert pool.gauges()["retries"] == 1
    assert srv.accepts == 2


async def test_cap_queues_waiters_fifo(server, pool_for, kit) -> None:
    async def slow(srv, reader, writer) -> None:
        while (req := await srv.read_request(reader)) is not None:
            await asyncio.sleep(0.03)
            writer.write(kit.response(200, req.target.encode()))

    srv = await server(slow)
    pool = pool_for(srv.port, max_connections=2)
    raws = [encode_request("GET", f"/{i}", "h", [], None) for i in range(10)]
    tasks = [asyncio.create_task(pool.request(r, want_body=True)) for r in raws]
    await asyncio.sleep(0.01)
    mid = pool.gauges()
    assert mid["waiting"] == 8
    assert mid["open"] + mid["connecting"] <= 2
    bodies = [r.body for r in await asyncio.gather(*tasks)]
    assert bodies == [f"/{i}".encode() for i in range(10)]
    assert srv.max_open <= 2
    assert srv.accepts == 2
    assert [r.target for r in srv.requests] == [f"/{i}" for i in range(10)]  # FIFO
    assert pool.gauges()["waiting"] == 0


async def test_waiter_total_timeout_and_cancel(server, pool_for, kit) -> None:
    async def slow(srv, reader, writer) -> None:
        while await srv.read_request(reader) is not None:
            # Long past the waiter's 0.15 s, counted from when the test saw the request
            # arrive: a busy machine may hold the loop a while between the two.
            await asyncio.sleep(0.8)
            writer.write(kit.response(200, b"late"))

    srv = await server(slow)
    pool = pool_for(srv.port, max_connections=1)
    first = asyncio.create_task(pool.request(GET, want_body=True))
    await wait_for(lambda: len(srv.requests) == 1, what="the first request holds the slot")
    cancelled = asyncio.create_task(pool.request(GET))
    assert await kind_of(pool.request(GET, total_timeout=0.15)) == "timeout"
    assert not first.done()  # it expired while waiting, not after the slot came free
    cancelled.cancel()
    assert (await first).body == b"late"
    assert (await pool.request(GET, want_body=True)).body == b"late"
    assert srv.accepts == 1
    assert pool.gauges()["waiting"] == 0


InFlight = tuple[Pool, asyncio.Task[Response]]


@pytest.fixture
async def in_flight(server, pool_for) -> InFlight:
    """A pool and its one request, which the peer has read and will never answer."""
    srv = await server(silent)
    pool = pool_for(srv.port)
    task = asyncio.create_task(pool.request(GET))
    await wait_for(lambda: len(srv.requests) == 1, what="the request reached the peer")
    return pool, task


async def test_cancel_in_flight_drops_the_connection(in_flight: InFlight) -> None:
    pool, task = in_flight
    assert pool.gauges()["in_use"] == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert pool.gauges()["open"] == 0


async def test_close_fails_in_flight_and_later_requests(in_flight: InFlight) -> None:
    pool, task = in_flight
    await pool.close()
    assert await kind_of(task) == "closed"
    assert await kind_of(pool.request(GET)) == "closed"


async def test_unsolicited_bytes_kill_an_idle_connection(server, pool_for, kit) -> None:
    async def chatty(srv, reader, writer) -> None:
        await srv.read_request(reader)
        writer.write(kit.response(200, b"ok"))
        await asyncio.sleep(0.05)
        writer.write(kit.response(408, b""))  # e.g. a server-side idle timeout notice
        await srv.read_request(reader)

    srv = await server(chatty)
    pool = pool_for(srv.port)
    await pool.request(GET)
    await wait_for(lambda: pool.gauges()["open"] == 0, what="the chatty connection dropped")


async def test_cancel_just_after_the_answer_keeps_the_connection(in_flight: InFlight) -> None:
    """The response lands, then the caller is cancelled before it resumes: the healthy
    connection must go back to the pool, not leak as "in use"."""
    pool, task = in_flight
    (conn,) = pool._conns
    conn.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")  # as if from the socket
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    g = pool.gauges()
    assert (g["open"], g["idle"], g["in_use"]) == (1, 1, 0)
