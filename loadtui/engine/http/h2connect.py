"""Opening an HTTP/2 connection for a pool, and finding out the server speaks HTTP/2.

Split out of `H2Pool` (`h2pool.py`), which keeps the slots, the queue, the timeouts and
the figures; `connect` works on the pool's own state, as its method did.

TLS offers "h2" and "http/1.1" by ALPN; plain http:// speaks h2c by prior knowledge. A
server that picks HTTP/1.1 (or answers the h2c preface in HTTP/1.x) marks the pool
`http1`, and every request then raises `Http1Only` for its caller to send over the
HTTP/1.1 pool instead: `http2 = true` means "HTTP/2 where the server speaks it".
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING

from loadtui.engine.http.errors import ErrorKind, HttpError, from_os_error
from loadtui.engine.http.h2conn import H2Conn
from loadtui.engine.http.poolset import make_ssl_context

if TYPE_CHECKING:
    from loadtui.engine.http.h2pool import H2Pool


class Http1Only(Exception):
    """The origin does not speak HTTP/2: send this request over HTTP/1.1 instead."""


def make_h2_ssl_context(verify: bool) -> ssl.SSLContext:
    """A client context offering h2, then http/1.1, by ALPN."""
    ctx = make_ssl_context(verify)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    return ctx


async def connect(pool: H2Pool, deadline: float, connect_timeout: float | None) -> H2Conn:
    """Open a connection (the pool's `_connecting` already counts it) and take its first
    slot."""
    loop = pool.loop
    assert loop is not None
    t0 = loop.time()
    limit = pool.connect_timeout if connect_timeout is None else connect_timeout
    by_total = deadline - t0 < limit
    conn: H2Conn | None = None
    try:
        try:
            async with asyncio.timeout(min(limit, deadline - t0)):
                _, conn = await loop.create_connection(
                    lambda: H2Conn(pool, pool.ssl is not None),
                    pool.host,
                    pool.port,
                    ssl=pool.ssl,
                    server_hostname=pool.server_hostname,
                )
                is_h2 = await conn.ready
        except TimeoutError:
            pool.connect_errors += 1
            kind: ErrorKind = "timeout" if by_total else "connect_timeout"
            raise HttpError(kind, f"connecting to {pool.origin}") from None
        except OSError as exc:
            pool.connect_errors += 1
            raise from_os_error(exc, connecting=True) from exc
        except HttpError:
            pool.connect_errors += 1
            raise
    except BaseException:
        if conn is not None:
            conn.fail_all(HttpError("closed", "connect abandoned"))
            if conn.ready.done() and not conn.ready.cancelled():
                conn.ready.exception()  # retrieved: the caller has its own error
        pool.connecting -= 1
        pool.dispatch()
        raise
    pool.connecting -= 1
    if not is_h2:
        _fall_back(pool)
        raise Http1Only
    if pool.closed:
        conn.fail_all(HttpError("closed", "pool closed"))
        raise HttpError("closed", "pool closed")
    pool.conns.add(conn)
    pool.connects += 1
    pool.connect_time_total_s += loop.time() - t0
    conn.usable = True
    conn.slots = 1
    if conn.slots < conn.limit:
        pool.avail[conn] = None
    pool.dispatch()
    return conn


def _fall_back(pool: H2Pool) -> None:
    """The server speaks HTTP/1.1: every waiter (and every later caller) goes there."""
    pool.http1 = True
    while pool.waiters:
        waiter = pool.waiters.popleft()[1]
        if not waiter.done():
            waiter.set_exception(Http1Only())
