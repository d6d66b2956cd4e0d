"""TLS through the pool (self-signed cert made with the openssl CLI), PoolSet, uvloop."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
import uvloop

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.pool import Pool
from loadtui.engine.http.poolset import PoolSet, parse_origin
from loadtui.engine.http.request import encode_request
from loadtui.metrics.snapshot import PoolGauges

GET = encode_request("GET", "/x", "127.0.0.1", [], None)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl CLI is not installed; cannot make a self-signed certificate")
    d = tmp_path_factory.mktemp("tls")
    crt, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(crt), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return crt, key


@pytest.fixture
async def tls_server(server, cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    return await server(ssl_context=ctx)


async def test_tls_unverified_and_verified_with_our_ca(tls_server, cert) -> None:
    pools = PoolSet(verify_tls=False, read_timeout=2.0)
    try:
        insecure = pools.pool_for(tls_server.url)
        for _ in range(3):
            resp = await insecure.request(GET, want_body=True)
            assert (resp.status, resp.body) == (200, b"ok:/x")
        assert tls_server.accepts == 1

        ctx = ssl.create_default_context(cafile=str(cert[0]))
        trusted = Pool("https", "127.0.0.1", tls_server.port, ssl_context=ctx,
                       max_connections=2, connect_timeout=2, read_timeout=2)  # fmt: skip
        assert (await trusted.request(GET)).status == 200
        await trusted.close()
    finally:
        await pools.close()


async def test_tls_untrusted_certificate_is_tls_error(tls_server) -> None:
    pools = PoolSet(verify_tls=True, connect_timeout=2.0)
    try:
        with pytest.raises(HttpError) as exc:
            await pools.pool_for(tls_server.url).request(GET)
        assert exc.value.kind == "tls"
    finally:
        await pools.close()


async def test_plain_http_to_tls_port_fails_cleanly(tls_server) -> None:
    pool = Pool("http", "127.0.0.1", tls_server.port, ssl_context=None,
                max_connections=1, connect_timeout=1, read_timeout=1)  # fmt: skip
    with pytest.raises(HttpError) as exc:
        await pool.request(GET)
    assert exc.value.kind in ("protocol", "closed", "reset")
    await pool.close()


def test_parse_origin() -> None:
    assert parse_origin("https://127.0.0.1/base") == ("https", "127.0.0.1", 443)
    assert parse_origin("http://[::1]:8080") == ("http", "::1", 8080)
    for bad in ("ftp://x", "http://", "example.com"):
        with pytest.raises(ValueError):
            parse_origin(bad)


async def test_poolset_one_pool_per_origin_and_gauges(server) -> None:
    a, b = await server(), await server()
    pools = PoolSet(max_connections=4, read_timeout=2.0)
    try:
        pa = pools.pool_for(a.url + "/api")
        assert pools.pool_for(("http", "127.0.0.1", a.port)) is pa
        assert pools.pool_for(a.url, verify_tls=False) is not pa
        assert pools.ssl_context(True) is pools.ssl_context(True)
        pb = pools.pool_for(b.url, max_connections=1)
        assert (pa.max_connections, pb.max_connections) == (4, 1)
        assert pools.gauges() == PoolGauges()  # first call: nothing yet
        await asyncio.gather(*(pa.request(GET) for _ in range(3)), pb.request(GET))
        g = pools.gauges()
        assert (g.open, g.idle, g.in_use, g.waiting, g.connects) == (4, 4, 0, 0, 4)
        assert g.connects_per_s > 0 and g.connect_ms_mean > 0
        later = pools.gauges()  # interval figures are per call
        assert (later.connects, later.connects_per_s, later.connect_ms_mean) == (4, 0.0, 0.0)
    finally:
        await pools.close()


def test_on_uvloop(tmp_path) -> None:
    """The same behaviours on uvloop, whose transports differ from asyncio's in detail."""

    async def handler(srv, reader, writer) -> None:
        while (req := await srv.read_request(reader)) is not None:
            if req.target == "/silent":
                continue
            if req.target == "/old":
                writer.write(b"HTTP/1.0 200 OK\r\n\r\nold-style")
                await writer.drain()
                return
            writer.write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            )

    async def run() -> None:
        srv = await _start(handler)
        pool = Pool("http", "127.0.0.1", srv.sockets[0].getsockname()[1], ssl_context=None,
                    max_connections=4, connect_timeout=2, read_timeout=1.0)  # fmt: skip
        try:
            for _ in range(5):
                assert (await pool.request(GET, want_body=True)).body == b"abc"
            old = await pool.request(encode_request("GET", "/old", "h", [], None), want_body=True)
            assert old.body == b"old-style"
            with pytest.raises(HttpError) as exc:
                await pool.request(encode_request("GET", "/silent", "h", [], None))
            assert exc.value.kind == "read_timeout"
            assert pool.gauges()["connects"] == 2  # /old closed the first one
        finally:
            await pool.close()
            srv.close()

    uvloop.run(run())


async def _start(handler) -> asyncio.Server:
    """A bare server for the uvloop test (the `server` fixture lives on pytest's loop)."""
    from types import SimpleNamespace

    async def read_request(reader):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        return SimpleNamespace(target=head.split(b" ", 2)[1].decode())

    srv = SimpleNamespace(read_request=read_request)

    async def client(reader, writer) -> None:
        try:
            await handler(srv, reader, writer)
        finally:
            writer.close()

    return await asyncio.start_server(client, "127.0.0.1", 0)
