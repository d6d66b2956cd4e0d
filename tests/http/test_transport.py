"""httpx.AsyncClient on PoolTransport: normal httpx behaviour over the engine's pool."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.poolset import PoolSet
from loadtui.engine.http.transport import PoolTransport


async def echo(srv, reader, writer) -> None:
    """Answers JSON describing the request it got."""
    while (req := await srv.read_request(reader)) is not None:
        out = {"method": req.method, "target": req.target, "headers": req.headers}
        out["json"] = json.loads(req.body) if req.body else None
        body = json.dumps(out).encode()
        if req.method == "HEAD":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
            continue
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Seen: 1\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )


async def test_get_and_post_json(server) -> None:
    srv = await server(echo)
    async with httpx.AsyncClient(transport=PoolTransport(), base_url=srv.url) as client:
        r = await client.get("/items", params={"q": "a b"}, headers={"X-Trace": "t1"})
        assert r.status_code == 200
        assert r.headers["x-seen"] == "1"
        assert r.http_version == "HTTP/1.1"
        got = r.json()
        assert got["method"] == "GET"
        assert got["target"] == "/items?q=a+b"
        assert got["headers"]["x-trace"] == "t1"
        assert got["headers"]["host"] == f"127.0.0.1:{srv.port}"
        assert "content-length" not in got["headers"]

        r = await client.post("/items", json={"name": "x", "n": [1, 2]})
        got = r.json()
        assert got["method"] == "POST"
        assert got["json"] == {"name": "x", "n": [1, 2]}
        assert got["headers"]["content-type"] == "application/json"
        assert int(got["headers"]["content-length"]) > 0

        r = await client.head("/items")
        assert (r.status_code, r.content) == (200, b"")
        assert int(r.headers["content-length"]) > 0
    assert srv.accepts == 1


async def test_shared_poolset_and_hook(server) -> None:
    srv = await server(echo)
    pools = PoolSet(read_timeout=2.0)
    seen: list[tuple[str, int | None, str | None, float]] = []

    def hook(request, response, error, elapsed) -> None:
        status = response.status_code if response is not None else None
        seen.append((request.url.path, status, error.kind if error else None, elapsed))

    transport = PoolTransport(pools, on_response=hook)
    async with httpx.AsyncClient(transport=transport) as client:
        await asyncio.gather(*(client.get(f"{srv.url}/p{i}") for i in range(6)))
    assert sorted(s[0] for s in seen) == [f"/p{i}" for i in range(6)]
    assert all(s[1] == 200 and s[2] is None and s[3] > 0 for s in seen)
    # The client's close does not close pools it was given.
    pool = pools.pool_for(srv.url)
    assert pool.gauges()["idle"] == 6
    await pools.close()


async def test_errors_map_to_httpx_exceptions(server, free_port) -> None:
    async def silent(srv, reader, writer) -> None:
        while await srv.read_request(reader) is not None:
            pass

    async def garbage(srv, reader, writer) -> None:
        await srv.read_request(reader)
        writer.write(b"NOT HTTP\r\n\r\n")
        await asyncio.sleep(1)

    quiet, bad = await server(silent), await server(garbage)
    errors: list[str] = []
    transport = PoolTransport(on_response=lambda _q, _r, e, _t: errors.append(e.kind))
    async with httpx.AsyncClient(transport=transport, timeout=0.3) as client:
        with pytest.raises(httpx.ConnectError) as refused:
            await client.get(f"http://127.0.0.1:{free_port}/")
        assert isinstance(refused.value.__cause__, HttpError)
        assert refused.value.__cause__.kind == "refused"

        with pytest.raises(httpx.ReadTimeout) as slow:
            await client.get(quiet.url)
        assert slow.value.__cause__.kind == "read_timeout"

        with pytest.raises(httpx.RemoteProtocolError) as proto:
            await client.get(bad.url)
        assert proto.value.__cause__.kind == "protocol"

        with pytest.raises(httpx.UnsupportedProtocol):
            await client.get("ftp://127.0.0.1/")
    assert errors == ["refused", "read_timeout", "protocol"]


async def test_header_injection_is_a_local_error(server) -> None:
    srv = await server(echo)
    async with httpx.AsyncClient(transport=PoolTransport()) as client:
        with pytest.raises(httpx.LocalProtocolError):
            await client.get(srv.url, headers={"X-A": "1\r\nX-Injected: yes"})
    assert srv.requests == []


async def test_streamed_request_body_is_sent_with_length(server) -> None:
    srv = await server(echo)

    async def parts():
        yield b'{"a":'
        yield b" 1}"

    async with httpx.AsyncClient(transport=PoolTransport()) as client:
        r = await client.post(srv.url, content=parts())
    got = r.json()
    assert got["json"] == {"a": 1}
    assert got["headers"]["content-length"] == "8"
    assert "transfer-encoding" not in got["headers"]
