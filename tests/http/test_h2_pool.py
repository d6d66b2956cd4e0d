"""The native HTTP/2 pool against a real HTTP/2 server on loopback (tests/support/
h2server.py): streams multiplexed on one connection, the server's max_concurrent_streams
respected (the rest queue), connections added only when streams are full, large bodies
both ways under flow control, TLS with ALPN, and the fall-back to HTTP/1.1."""

from __future__ import annotations

import asyncio
import ssl
from collections import Counter
from collections.abc import AsyncIterator, Callable

import pytest
from support.faulty import ModeUnavailable, _certificate
from support.h2server import H2Server
from support.waits import wait_for

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.h2pool import H2Pool, Http1Only, make_h2_ssl_context
from loadtui.engine.http.h2request import encode_h2_request

MakePool = Callable[..., H2Pool]


def req(path: str, method: str = "GET", body: bytes | None = None) -> list[tuple[bytes, bytes]]:
    return encode_h2_request(method, "http", "127.0.0.1", path, [], body)


@pytest.fixture
async def h2pool() -> AsyncIterator[MakePool]:
    made: list[H2Pool] = []

    def make(url: str, **kw: object) -> H2Pool:
        scheme, _, port = url.rpartition(":")
        scheme = scheme.split(":")[0]
        opts: dict = {"max_connections": 10, "connect_timeout": 2.0, "read_timeout": 5.0}
        opts["ssl_context"] = make_h2_ssl_context(False) if scheme == "https" else None
        opts.update(kw)
        pool = H2Pool(scheme, "127.0.0.1", int(port), **opts)
        made.append(pool)
        return pool

    yield make
    for pool in made:
        await pool.close()


def tls_context(alpn: list[str]) -> ssl.SSLContext:
    try:
        cert = _certificate()
    except ModeUnavailable as exc:
        pytest.skip(str(exc))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*cert)
    ctx.set_alpn_protocols(alpn)
    return ctx


async def test_many_concurrent_streams_share_one_connection(h2pool: MakePool) -> None:
    async with H2Server() as srv:
        pool = h2pool(srv.url)
        got = await asyncio.gather(*(pool.request(req("/slow/30")) for _ in range(50)))
        assert [r.status for r in got] == [200] * 50
        assert srv.connections == 1
        assert srv.max_open > 1  # in flight together, not one after another
        g = pool.gauges()
        assert (g["open"], g["connects"], g["idle"], g["streams"], g["waiting"]) == (1, 1, 1, 0, 0)


async def test_max_concurrent_streams_is_respected_and_the_rest_queue(h2pool: MakePool) -> None:
    async with H2Server(max_streams=4) as srv:
        pool = h2pool(srv.url, max_connections=1)
        calls = [asyncio.ensure_future(pool.request(req("/hang"))) for _ in range(10)]
        await wait_for(lambda: len(srv.requests) == 4, what="four streams open")
        g = pool.gauges()
        assert (g["streams"], g["waiting"], g["in_use"]) == (4, 6, 1)
        for call in calls:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
        # Cancelled streams were reset (the server saw it), freeing their slots.
        await wait_for(lambda: srv.open_streams == 0, what="the server saw the resets")
        assert pool.gauges()["streams"] == 0
        got = await asyncio.gather(*(pool.request(req("/slow/20")) for _ in range(12)))
        assert [r.status for r in got] == [200] * 12
        assert srv.max_open == 4 and srv.connections == 1  # h2 on the server would refuse a 5th


async def test_connections_are_added_only_when_streams_are_full(h2pool: MakePool) -> None:
    async with H2Server(max_streams=4) as srv:
        pool = h2pool(srv.url, max_connections=3)
        calls = [asyncio.ensure_future(pool.request(req("/hang"))) for _ in range(14)]
        await wait_for(lambda: len(srv.requests) == 12, what="three full connections")
        assert srv.connections == 3
        assert Counter(r.connection for r in srv.requests) == {1: 4, 2: 4, 3: 4}
        g = pool.gauges()
        assert (g["open"], g["in_use"], g["waiting"], g["connects"]) == (3, 3, 2, 3)
        for call in calls:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)


async def test_large_response_body_flows_under_flow_control(h2pool: MakePool) -> None:
    """3 MB is three times the stream window we advertise: it only arrives whole if the
    client hands the window back as it reads."""
    async with H2Server() as srv:
        pool = h2pool(srv.url, max_body_size=4_000_000)
        resp = await pool.request(req("/bytes/3000000"), want_body=True)
        assert resp.status == 200 and resp.body == b"x" * 3_000_000
        counted = await pool.request(req("/bytes/3000000"))  # not kept: only counted
        assert (counted.body, counted.body_len) == (None, 3_000_000)


async def test_large_request_body_waits_for_the_servers_window(h2pool: MakePool) -> None:
    async with H2Server(window=16_384) as srv:
        pool = h2pool(srv.url)
        body = bytes(range(256)) * 4096  # 1 MiB: 64 windows of the server's size
        resp = await pool.request(req("/echo", "POST", body), body, want_headers=True)
        assert resp.status == 200
        assert dict(resp.headers or [])[b"x-length"] == b"1048576"
        assert srv.seen("/echo")[0].body == body


async def test_request_headers_on_the_wire(h2pool: MakePool) -> None:
    async with H2Server() as srv:
        pool = h2pool(srv.url)
        user = [("X-Tenant", "a"), ("Connection", "x")]
        headers = encode_h2_request("post", "http", "127.0.0.1:1", "/p?q=1 2", user, b"{}")
        await pool.request(headers, b"{}")
        (seen,) = srv.requests
        assert (seen.method, seen.path, seen.body) == ("POST", "/p?q=1%202", b"{}")
        assert seen.headers[":authority"] == "127.0.0.1:1"
        assert seen.headers["x-tenant"] == "a" and "connection" not in seen.headers
        assert seen.headers["content-length"] == "2"


async def test_status_codes_are_responses_not_errors(h2pool: MakePool) -> None:
    async with H2Server() as srv:
        pool = h2pool(srv.url)
        for code in (204, 404, 503):
            resp = await pool.request(req(f"/status/{code}"), want_body=True, want_headers=True)
            assert resp.status == code
        limited = await pool.request(req("/status/429"))
        assert limited.headers is not None  # kept unasked, for Retry-After


async def test_tls_with_alpn_h2(h2pool: MakePool) -> None:
    async with H2Server(tls=tls_context(["h2"])) as srv:
        resp = await h2pool(srv.url).request(req("/json"), want_body=True)
        assert (resp.status, resp.body) == (200, b'{"ok": true}')
        checked = h2pool(srv.url, ssl_context=make_h2_ssl_context(True))
        with pytest.raises(HttpError) as exc:  # a self-signed certificate, checked
            await checked.request(req("/json"))
        assert exc.value.kind == "tls"


async def test_alpn_http1_falls_back_to_http1(h2pool: MakePool, server, kit) -> None:
    ctx = tls_context(["http/1.1"])
    srv = await server(kit.serve_ok, ssl_context=ctx)
    pool = h2pool(srv.url)
    with pytest.raises(Http1Only):
        await pool.request(req("/x"))
    assert pool.http1
    with pytest.raises(Http1Only):  # known now: no connection tried
        await pool.request(req("/x"))
    assert pool.gauges()["open"] == 0


async def test_h2c_to_an_http1_server_falls_back(h2pool: MakePool, server) -> None:
    """An HTTP/1.1 server answers the prior-knowledge preface in HTTP/1.x; callers
    waiting meanwhile are all told to use HTTP/1.1."""
    srv = await server()
    pool = h2pool(srv.url)
    outcomes = await asyncio.gather(
        *(pool.request(req("/x")) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(o, Http1Only) for o in outcomes), outcomes
    assert pool.http1 and srv.accepts == 1
