"""HTTP/2 connection pool for one origin: streams multiplexed over few connections.

A request takes a stream slot on the oldest connection with room (a connection holds
at most the server's `max_concurrent_streams`, capped by `max_streams`). When none has
room a new connection is opened, one at a time, up to `max_connections`; meanwhile
requests queue first-in first-out, and a freed slot goes straight to the oldest. So
load ramps connections up with demand, without a connect storm.

TLS offers "h2" and "http/1.1" by ALPN; plain http:// speaks h2c by prior knowledge. A
server that picks HTTP/1.1 (or answers the h2c preface in HTTP/1.x) marks the pool
`http1`, and every request then raises `Http1Only` for its caller to send over the
HTTP/1.1 pool instead: `http2 = true` means "HTTP/2 where the server speaks it".

Timeouts work as in the HTTP/1.1 pool (`pool.py`): deadlines stored per stream, one
sweep per pool while requests are in flight, so no timer per request. A stream past
its deadline is reset (RST_STREAM) and fails. When nothing at all arrived on its
connection meanwhile, the connection is sent a PING; if no answer comes within a read
timeout it takes no new streams, and closes once its streams are over.

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

from loadtui.engine.http.errors import ErrorKind, HttpError, from_os_error
from loadtui.engine.http.h2conn import H2Conn
from loadtui.engine.http.h2state import ConnectionLost, H2Stream, Unprocessed
from loadtui.engine.http.pool import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_HEADER_SIZE,
    IDEMPOTENT,
    RETRY_KINDS,
)
from loadtui.engine.http.poolset import make_ssl_context, parse_origin
from loadtui.engine.http.protocol import INF, Response
from loadtui.scenario.model import Target
from loadtui.scenario.userinfo import split_userinfo

DEFAULT_MAX_STREAMS = 256  # per connection, when the server allows more
MIN_TICK = 0.005
MAX_TICK = 0.1

Waiter = asyncio.Future[H2Conn | None]  # a connection with a slot taken, or None: connect


class Http1Only(Exception):
    """The origin does not speak HTTP/2: send this request over HTTP/1.1 instead."""


def make_h2_ssl_context(verify: bool) -> ssl.SSLContext:
    """A client context offering h2, then http/1.1, by ALPN."""
    ctx = make_ssl_context(verify)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    return ctx


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


def _tick_for(timeout: float) -> float:
    return min(MAX_TICK, max(MIN_TICK, timeout / 20))


class H2Pool:
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
        if max_connections < 1 or max_streams < 1:
            raise ValueError("max_connections and max_streams must be >= 1")
        self.scheme, self.host, self.port = scheme, host, port
        self.origin = f"{scheme}://{host}:{port}"
        if scheme == "https" and ssl_context is None:
            ssl_context = make_h2_ssl_context(True)
        self._ssl = ssl_context if scheme == "https" else None
        self._server_hostname = host if self._ssl is not None else None
        self.max_connections = max_connections
        self.max_streams = max_streams
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_header_size = max_header_size
        self.max_body_size = max_body_size
        self.loop = loop
        self.http1 = False  # the server turned out to speak HTTP/1.1 only
        self._conns: set[H2Conn] = set()
        self._avail: dict[H2Conn, None] = {}  # usable, with a free slot; oldest first
        self._connecting = 0
        self._waiters: deque[tuple[float, Waiter]] = deque()
        self._active = 0  # requests inside request()
        self._sweeper: asyncio.TimerHandle | None = None
        self._tick = _tick_for(min(read_timeout, connect_timeout))
        self._closed = False
        self.connects = 0
        self.connect_time_total_s = 0.0
        self.connect_errors = 0
        self.retries = 0

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
        want_body: bool = False,
        want_headers: bool = False,
        total_timeout: float | None = None,
        read_timeout: float | None = None,
        connect_timeout: float | None = None,
    ) -> Response:
        """Send a request (an `encode_h2_request` header list and its body) and wait for
        the whole response. Raises HttpError, or Http1Only; an error status is a normal
        Response."""
        if self.http1:
            raise Http1Only
        loop = self.loop or self._bind()
        now = loop.time()
        deadline = INF
        if total_timeout is not None:
            deadline = now + total_timeout
            if total_timeout < self._tick * 20:
                self._tick = _tick_for(total_timeout)
        if read_timeout is None:
            read_timeout = self.read_timeout
        elif read_timeout < self._tick * 20:
            self._tick = _tick_for(read_timeout)
        self._active += 1
        if self._sweeper is None:
            self._sweeper = loop.call_later(self._tick, self._sweep)
        conn: H2Conn | None = None
        st: H2Stream | None = None
        try:
            for attempt in (0, 1):
                conn = self._take() or await self._acquire(deadline, connect_timeout)
                st = conn.send(
                    headers, body, want_body, want_headers, loop.time(), read_timeout, deadline
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
            self._active -= 1

    # -- slots and connections ------------------------------------------------------------

    def _take(self) -> H2Conn | None:
        """A slot on the oldest usable connection with room, or None."""
        avail = self._avail
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
        if self._closed:
            raise HttpError("closed", "pool closed")
        if self._connecting == 0 and len(self._conns) < self.max_connections:
            self._connecting += 1
            return await self._connect(deadline, connect_timeout)
        waiter: Waiter = self.loop.create_future()  # type: ignore[union-attr]
        self._waiters.append((deadline, waiter))
        try:
            got = await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                given = waiter.result()  # handed over just before we were cancelled
                if given is None:
                    self._connecting -= 1
                    self._dispatch()
                else:
                    self.slot_free(given)
            raise
        if got is None:
            return await self._connect(deadline, connect_timeout)
        return got

    async def _connect(self, deadline: float, connect_timeout: float | None) -> H2Conn:
        """Open a connection (`_connecting` already counts it) and take its first slot."""
        loop = self.loop
        assert loop is not None
        t0 = loop.time()
        limit = self.connect_timeout if connect_timeout is None else connect_timeout
        by_total = deadline - t0 < limit
        conn: H2Conn | None = None
        try:
            try:
                async with asyncio.timeout(min(limit, deadline - t0)):
                    _, conn = await loop.create_connection(
                        lambda: H2Conn(self, self._ssl is not None),
                        self.host,
                        self.port,
                        ssl=self._ssl,
                        server_hostname=self._server_hostname,
                    )
                    is_h2 = await conn.ready
            except TimeoutError:
                self.connect_errors += 1
                kind: ErrorKind = "timeout" if by_total else "connect_timeout"
                raise HttpError(kind, f"connecting to {self.origin}") from None
            except OSError as exc:
                self.connect_errors += 1
                raise from_os_error(exc, connecting=True) from exc
            except HttpError:
                self.connect_errors += 1
                raise
        except BaseException:
            if conn is not None:
                conn.fail_all(HttpError("closed", "connect abandoned"))
                if conn.ready.done() and not conn.ready.cancelled():
                    conn.ready.exception()  # retrieved: the caller has its own error
            self._connecting -= 1
            self._dispatch()
            raise
        self._connecting -= 1
        if not is_h2:
            self._fall_back()
            raise Http1Only
        if self._closed:
            conn.fail_all(HttpError("closed", "pool closed"))
            raise HttpError("closed", "pool closed")
        self._conns.add(conn)
        self.connects += 1
        self.connect_time_total_s += loop.time() - t0
        conn.usable = True
        conn.slots = 1
        if conn.slots < conn.limit:
            self._avail[conn] = None
        self._dispatch()
        return conn

    def _fall_back(self) -> None:
        """The server speaks HTTP/1.1: every waiter (and every later caller) goes there."""
        self.http1 = True
        while self._waiters:
            waiter = self._waiters.popleft()[1]
            if not waiter.done():
                waiter.set_exception(Http1Only())

    def _dispatch(self) -> None:
        """Hand free slots to the oldest waiters; let one connect if none is connecting."""
        waiters = self._waiters
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
                self._connecting == 0
                and len(self._conns) < self.max_connections
                and not self._closed
            ):
                waiters.popleft()
                self._connecting += 1
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
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()[1]
            if not waiter.done():
                conn.slots += 1
                waiter.set_result(conn)
                return
        self._avail[conn] = None

    def limit_changed(self, conn: H2Conn) -> None:
        """The server changed its max_concurrent_streams."""
        if not conn.usable:
            return
        if conn.slots < conn.limit:
            self._avail[conn] = None
            self._dispatch()
        else:
            self._avail.pop(conn, None)

    def unusable(self, conn: H2Conn) -> None:
        """`conn` takes no new streams (GOAWAY, stalled): waiters may need another."""
        self._avail.pop(conn, None)
        if conn.slots <= 0:
            conn.close_idle()
        self._dispatch()

    def lost(self, conn: H2Conn) -> None:
        """Called by a connection once, when it closes or breaks."""
        self._avail.pop(conn, None)
        if conn in self._conns:
            self._conns.discard(conn)
            self._dispatch()

    def _bind(self) -> asyncio.AbstractEventLoop:
        self.loop = asyncio.get_running_loop()
        return self.loop

    # -- timeouts -------------------------------------------------------------------------

    def _sweep(self) -> None:
        self._sweeper = None
        loop = self.loop
        assert loop is not None
        now = loop.time()
        for conn in list(self._conns):
            ping = conn.ping_at
            if ping is not None and conn.last_rx < ping and now - ping >= self.read_timeout:
                conn.retire()  # our PING went unanswered: the server is gone or stopped
            if not conn.streams:
                continue
            expired: list[tuple[H2Stream, HttpError]] = []
            for st in conn.streams.values():
                if now >= st.total_deadline:
                    expired.append((st, HttpError("timeout", "total time limit reached")))
                elif st.rx:
                    st.rx = False
                    st.read_deadline = now + st.read_timeout
                elif now >= st.read_deadline:
                    text = f"no data for {st.read_timeout:g}s"
                    expired.append((st, HttpError("read_timeout", text)))
                    if conn.last_rx <= st.read_deadline - st.read_timeout:
                        conn.probe(now)  # nothing at all came meanwhile: is it alive?
            for st, err in expired:
                conn.cancel(st, err)
        if self._waiters:
            keep: deque[tuple[float, Waiter]] = deque()
            for entry in self._waiters:
                if entry[1].done():
                    continue
                if now >= entry[0]:
                    entry[1].set_exception(HttpError("timeout", "no free stream in time"))
                else:
                    keep.append(entry)
            self._waiters = keep
        if self._active and not self._closed:
            streams = sum(len(c.streams) for c in self._conns)
            delay = max(self._tick, streams * 1e-6)  # a coarser tick, never a busy loop
            self._sweeper = loop.call_later(delay, self._sweep)

    # -- figures and shutdown -------------------------------------------------------------

    def gauges(self) -> dict[str, float]:
        """As the HTTP/1.1 pool's (see PoolGauges): a connection is in use while it has a
        stream; `waiting` counts requests queued for a stream slot; `streams` those open."""
        busy = sum(1 for c in self._conns if c.streams)
        return {
            "open": len(self._conns),
            "in_use": busy,
            "idle": len(self._conns) - busy,
            "waiting": sum(1 for _, w in self._waiters if not w.done()),
            "connecting": self._connecting,
            "connects": self.connects,
            "connect_time_total_s": self.connect_time_total_s,
            "connect_errors": self.connect_errors,
            "retries": self.retries,
            "streams": sum(len(c.streams) for c in self._conns),
        }

    async def close(self) -> None:
        """Fail waiting and in-flight requests with "closed" and drop every connection."""
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(HttpError("closed", "pool closed"))
        self._waiters.clear()
        for conn in list(self._conns):
            conn.fail_all(HttpError("closed", "pool closed"))
        await asyncio.sleep(0)
