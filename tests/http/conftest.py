"""Tiny scripted HTTP servers on 127.0.0.1 for the pool tests, and pools aimed at them.

A test passes a handler `async (srv, reader, writer)` that plays one connection; the
server counts accepts and concurrently open connections so tests can assert reuse.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from support.loopback import refusing_port

from loadtui.engine.http.h2pool import H2Pool
from loadtui.engine.http.pool import Pool

Handler = Callable[["Srv", asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Req:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Srv:
    handler: Handler
    ssl_context: ssl.SSLContext | None = None
    accepts: int = 0
    open: int = 0
    max_open: int = 0
    requests: list[Req] = field(default_factory=list)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    async def start(self) -> Srv:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0, ssl=self.ssl_context)
        return self

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepts += 1
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        self.writers.append(writer)
        try:
            await self.handler(self, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            self.open -= 1
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader) -> Req | None:
        """The next request on this connection, or None at EOF."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        line, *lines = head.decode("latin-1").split("\r\n")
        method, target, _ = line.split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines if x)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        req = Req(method, target, headers, body)
        self.requests.append(req)
        return req

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for w in self.writers:
            w.transport.abort()
        if self.server is not None:
            await self.server.wait_closed()


def response(
    status: int = 200,
    body: bytes = b"",
    headers: tuple[tuple[str, str], ...] = (),
    *,
    chunked: bool = False,
    version: str = "1.1",
    length: bool = True,
) -> bytes:
    """Response bytes; `length=False` leaves the body delimited by connection close."""
    lines = [f"HTTP/{version} {status} X"]
    lines += [f"{k}: {v}" for k, v in headers]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        payload = b"".join(
            b"%x\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7])
            for i in range(0, len(body), 7)
        )
        payload += b"0\r\n\r\n"
    else:
        if length:
            lines.append(f"Content-Length: {len(body)}")
        payload = body
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def serve_ok(srv: Srv, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Keep-alive server answering every request with 200 and a small body."""
    while (req := await srv.read_request(reader)) is not None:
        writer.write(response(200, b"ok:" + req.target.encode()))


def hard_reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST instead of FIN (SO_LINGER 0)."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@pytest.fixture
async def server() -> AsyncIterator[Callable[..., Awaitable[Srv]]]:
    started: list[Srv] = []

    async def make(handler: Handler = serve_ok, ssl_context: ssl.SSLContext | None = None) -> Srv:
        srv = await Srv(handler, ssl_context).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        await srv.close()


@pytest.fixture
def free_port() -> Iterator[int]:
    """A loopback port with nothing listening on it, for as long as the test runs (a port
    merely closed could be taken by a parallel test's server, which would answer)."""
    with refusing_port() as port:
        yield port


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for test modules (importlib mode cannot import conftest)."""
    return SimpleNamespace(response=response, serve_ok=serve_ok, hard_reset=hard_reset)


@pytest.fixture
async def pool_for() -> AsyncIterator[Callable[..., Pool]]:
    made: list[Pool] = []

    def make(port: int, **kw: object) -> Pool:
        opts: dict = {"max_connections": 10, "connect_timeout": 2.0, "read_timeout": 2.0}
        opts.update(kw)
        pool = Pool("http", "127.0.0.1", port, ssl_context=None, **opts)
        made.append(pool)
        return pool

    yield make
    for pool in made:
        await pool.close()


@pytest.fixture
async def h2c_pool() -> AsyncIterator[Callable[..., H2Pool]]:
    """HTTP/2 pools (h2c, prior knowledge) to a loopback port, closed after the test."""
    made: list[H2Pool] = []

    def make(port: int, **kw: object) -> H2Pool:
        opts: dict = {"max_connections": 10, "connect_timeout": 2.0, "read_timeout": 5.0}
        opts.update(kw)
        pool = H2Pool("http", "127.0.0.1", port, ssl_context=None, **opts)
        made.append(pool)
        return pool

    yield make
    for pool in made:
        await pool.close()
