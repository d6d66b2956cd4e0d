"""HTTP/2 connection pool for one origin: streams multiplexed over few connections.

A request takes a stream slot on the oldest connection with room (a connection holds
at most the server's `max_concurrent_streams`, capped by `max_streams`). When none has
room a new connection is opened, one at a time, up to `max_connections`; meanwhile
requests queue first-in first-out, and a freed slot goes straight to the oldest. So
load ramps connections up with demand, without a connect storm.

Opening a connection, and falling back to HTTP/1.1 when the server does not speak
HTTP/2 (the pool is then `http1`: requests raise `Http1Only`), is in `h2connect.py`.

Timeouts work as in the HTTP/1.1 pool (`pool.py`), by one sweep per pool while requests
are in flight: it is in `h2timeouts.py`.

Retries, once per request: a stream the server did not process (REFUSED_STREAM, or
above a GOAWAY's last stream id) is sent again whatever its method; one lost with its
connection (closed or reset, not by a GOAWAY) before any byte of its response, on a
connection that had served others, only if its method is idempotent (the keep-alive
race of `pool.py`).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.h2conn import H2Conn
from loadtui.engine.http.h2connect import Http1Only as Http1Only  # re-exported
from loadtui.engine.http.h2connect import connect
from loadtui.engine.http.h2connect import make_h2_ssl_context as make_h2_ssl_context  # re-exported
from loadtui.engine.http.h2hpack import encode_block
from loadtui.engine.http.h2state import ConnectionLost, H2Stream, Unprocessed
from loadtui.engine.http.h2timeouts import sweep, tick_for
from loadtui.engine.http.origin import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_HEADER_SIZE,
    IDEMPOTENT,
    RETRY_KINDS,
    OriginPool,
)
from loadtui.engine.http.poolset import parse_origin
from loadtui.engine.http.response import INF, Response
from loadtui.scenario.model import Target
from loadtui.scenario.userinfo import split_userinfo

DEFAULT_MAX_STREAMS = 256  # per connection, when the server allows more

Waiter = asyncio.Future[H2Conn | None]  # a connection with a slot taken, or None: connect


def _retryable(err: HttpError, st: H2Stream, headers: list[tuple[bytes, bytes]]) -> bool:
    """May the request of failed stream `st` be sent again (see the module's doc)?"""
    if isinstance(err, Unprocessed):
        return True
    return (
        isinstance(err, ConnectionLost)
        and st.reused
        and not st.got
        and err.kind in RETRY_KINDS
        and headers[0][1] in IDEMPOTENT
    )


class H2Pool(OriginPool):
    """HTTP/2 connections to one origin. Create it on (or bind it lazily to) the loop."""

    def __init__(
        self,
        scheme: str,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None,
        max_connections: int,
        connect_timeout: float,
        read_timeout: float,
        loop: asyncio.AbstractEventLoop | None = None,
        max_streams: int = DEFAULT_MAX_STREAMS,
        max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        """`ssl_context` must offer h2 by ALPN (`make_h2_ssl_context`); one is made for
        https when None. The size caps are those of the HTTP/1.1 pool ("too large")."""
        if max_streams < 1:
            raise ValueError("max_streams must be >= 1")
        super().__init__(
            scheme,
            host,
            port,
            ssl_context=ssl_context,
            default_ssl=lambda: make_h2_ssl_context(True),
            max_connections=max_connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            loop=loop,
            max_header_size=max_header_size,
            max_body_size=max_body_size,
        )
        self.max_streams = max_streams
        self.http1 = False  # the server turned out to speak HTTP/1.1 only
        self.conns: set[H2Conn] = set()
        self.avail: dict[H2Conn, None] = {}  # usable, with a free slot; oldest first
        self.connecting = 0
        self.waiters: deque[tuple[float, Waiter]] = deque()
        self.active = 0  # requests inside request()
        self.sweeper: asyncio.TimerHandle | None = None
        self.tick = tick_for(min(read_timeout, connect_timeout))
        self.closed = False

    @classmethod
    def for_target(cls, target: Target) -> H2Pool:
        """The pool of a scenario target: its origin, TLS check, limits, timeouts, caps."""
        scheme, host, port = parse_origin(split_userinfo(target.url)[0])
        return cls(
            scheme,
            host,
            port,
            ssl_context=make_h2_ssl_context(target.verify_tls) if scheme == "https" else None,
            max_connections=target.max_connections,
            connect_timeout=target.timeouts.connect,
            read_timeout=target.timeouts.read,
            max_header_size=target.max_header_size,
            max_body_size=target.max_body_size,
        )

    async def request(
        self,
        headers: list[tuple[bytes, bytes]],
        body: bytes | None = None,
        *,
        block: bytes | None = None,
        want_body: bool = False,
        want_headers: bool = False,
        total_timeout: float | None = None,
        read_timeout: float | None = None,
        connect_timeout: float | None = None,
    ) -> Response:
        """Send a request (an `encode_h2_request` header list and its body) and wait for
        the whole response. `block`: the list already encoded (`encode_block`), as a task
        keeps it. Raises HttpError, or Http1Only; an error status is a normal Response."""
        if self.http1:
            raise Http1Only
        if block is None:
            block = encode_block(headers)
        loop = self.loop or self._bind()
        now = loop.time()
        deadline = INF
        if total_timeout is not None:
            deadline = now + total_timeout
            if total_timeout < self.tick * 20:
                self.tick = tick_for(total_timeout)
        if read_timeout is None:
            read_timeout = self.read_timeout
        elif read_timeout < self.tick * 20:
            self.tick = tick_for(read_timeout)
        self.active += 1
        if self.sweeper is None:
            self.sweeper = loop.call_later(self.tick, sweep, self)
        conn: H2Conn | None = None
        st: H2Stream | None = None
        try:
            for attempt in (0, 1):
                conn = self._take() or await self._acquire(deadline, connect_timeout)
                st = conn.send(
                    block, body, want_body, want_headers, loop.time(), read_timeout, deadline
                )
                try:
                    return await st.fut
                except HttpError as err:
                    if attempt or not _retryable(err, st, headers):
                        raise
                self.retries += 1
                conn = st = None
            raise AssertionError("unreachable")
        except asyncio.CancelledError:
            if st is not None and conn is not None:
                if conn.streams.get(st.id) is st:  # in flight: tell the server we gave up
                    conn.cancel(st, HttpError("closed", "request cancelled"))
            elif conn is not None:  # a slot taken, no stream started in it
                self.slot_free(conn)
            raise
        finally:
            self.active -= 1

    # -- slots and connections ------------------------------------------------------------

    def _take(self) -> H2Conn | None:
        """A slot on the oldest usable connection with room, or None."""
        avail = self.avail
        if not avail:
            return None
        conn = next(iter(avail))
        conn.slots += 1
        if conn.slots >= conn.limit:
            del avail[conn]
        return conn

    async def _acquire(self, deadline: float, connect_timeout: float | None) -> H2Conn:
        """A slot: on a new connection if none is being opened and there is room, else
        the next one freed (or on the connection being opened), in arrival order."""
        if self.closed:
            raise HttpError("closed", "pool closed")
        if self.connecting == 0 and len(self.conns) < self.max_connections:
            self.connecting += 1
            return await connect(self, deadline, connect_timeout)
        waiter: Waiter = self.loop.create_future()  # type: ignore[union-attr]
        self.waiters.append((deadline, waiter))
        try:
            got = await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                given = waiter.result()  # handed over just before we were cancelled
                if given is None:
                    self.connecting -= 1
                    self.dispatch()
                else:
                    self.slot_free(given)
            raise
        if got is None:
            return await connect(self, deadline, connect_timeout)
        return got

    def dispatch(self) -> None:
        """Hand free slots to the oldest waiters; let one connect if none is connecting."""
        waiters = self.waiters
        while waiters:
            waiter = waiters[0][1]
            if waiter.done():
                waiters.popleft()
                continue
            conn = self._take()
            if conn is not None:
                waiters.popleft()
                waiter.set_result(conn)
                continue
            if (
                self.connecting == 0
                and len(self.conns) < self.max_connections
                and not self.closed
            ):
                waiters.popleft()
                self.connecting += 1
                waiter.set_result(None)
            return

    def slot_free(self, conn: H2Conn) -> None:
        """A stream of `conn` ended (or a slot went unused): the oldest waiter gets it."""
        conn.slots -= 1
        if not conn.usable:
            if conn.slots <= 0:
                conn.close_idle()
            return
        if conn.slots >= conn.limit:
            return
        waiters = self.waiters
        while waiters:
            waiter = waiters.popleft()[1]
            if not waiter.done():
                conn.slots += 1
                waiter.set_result(conn)
                return
        self.avail[conn] = None

    def limit_changed(self, conn: H2Conn) -> None:
        """The server changed its max_concurrent_streams."""
        if not conn.usable:
            return
        if conn.slots < conn.limit:
            self.avail[conn] = None
            self.dispatch()
        else:
            self.avail.pop(conn, None)

    def unusable(self, conn: H2Conn) -> None:
        """`conn` takes no new streams (GOAWAY, stalled): waiters may need another."""
        self.avail.pop(conn, None)
        if conn.slots <= 0:
            conn.close_idle()
        self.dispatch()

    def lost(self, conn: H2Conn) -> None:
        """Called by a connection once, when it closes or breaks."""
        self.avail.pop(conn, None)
        if conn in self.conns:
            self.conns.discard(conn)
            self.dispatch()

    # -- figures and shutdown -------------------------------------------------------------

    def gauges(self) -> dict[str, float]:
        """As the HTTP/1.1 pool's (see PoolGauges): a connection is in use while it has a
        stream; `waiting` counts requests queued for a stream slot; `streams` those open."""
        busy = sum(1 for c in self.conns if c.streams)
        return {
            "open": len(self.conns),
            "in_use": busy,
            "idle": len(self.conns) - busy,
            "waiting": sum(1 for _, w in self.waiters if not w.done()),
            "connecting": self.connecting,
            **self.counters(),
            "streams": sum(len(c.streams) for c in self.conns),
        }

    async def close(self) -> None:
        """Fail waiting and in-flight requests with "closed" and drop every connection."""
        self.closed = True
        if self.sweeper is not None:
            self.sweeper.cancel()
            self.sweeper = None
        for _, waiter in self.waiters:
            if not waiter.done():
                waiter.set_exception(HttpError("closed", "pool closed"))
        self.waiters.clear()
        for conn in list(self.conns):
            conn.fail_all(HttpError("closed", "pool closed"))
        await asyncio.sleep(0)
