"""Keep-alive HTTP/1.1 connection pool for one origin (scheme, host, port).

Idle connections are reused last-in first-out (warm ones first, cold ones age out at
the server). At `max_connections`, requests queue first-in first-out; a released
connection goes straight to the oldest waiter, a lost one gives it a slot to connect.

New connections ramp up rather than storm: at most max(MIN_CONNECTING, open
connections) connects are under way at once, so a pool at most doubles per connect
time, and a request that finds that many connecting waits in line, where a released
connection or a finished connect serves it. Without the cap, an open-model run whose
connects a busy loop slowed opened a connection for nearly every request due meanwhile.
While the event loop itself lags (the pool's sweep runs over LAG_S late) at most
LAGGING_CONNECTS connects are under way at once: a queue that the generator's own lag
built is not the target's doing, more connections cannot drain it, and every connect
costs CPU on both ends, which deepens the lag (at 40k req/s in the open model, a loaded
machine grew the pool to 2,600-7,000 connections for a target that needed ~100). Not
none at all: on a machine busy for long, a slow target still gets the connections it
holds.
`warm(n)` opens connections ahead of the load (a profile's `warmup`).

Timeouts cost no timer per request: one sweep per pool (`sweep.py`) runs every tick
while requests are in flight and fails the ones past their deadlines, up to about two
ticks late (tick = the shortest timeout seen / 20, clamped to 5-100 ms). Connect
timeouts use asyncio.timeout, as connecting is off the hot path.

Retry rule (the keep-alive race): a request is sent again, once, on a new connection
only when (1) it went out on a *reused* connection, (2) that connection then closed or
was reset before any byte of a response arrived, and (3) its method is idempotent
(RFC 9110 §9.2.2: GET HEAD OPTIONS TRACE PUT DELETE). A written request cannot be
proven unprocessed, so POST/PATCH are never re-sent. Idle connections the server
closes are dropped as soon as the close is seen, so they are never used at all.

Callback-driven users (engine/driven.py) send with `send_now` on an idle connection
and hear back through a `Sink`, without a Future; `settle` ends such a request the
way `request` ends its own, and one that met the keep-alive race is sent again through
`request(..., retry_until=...)`, so the rules above hold for both.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from time import perf_counter

from loadtui.engine.http.errors import ErrorKind, HttpError, from_os_error
from loadtui.engine.http.protocol import HttpConn
from loadtui.engine.http.response import INF, Response, Sink
from loadtui.engine.http.sweep import expire_requests, expire_waiters, tick_for

DEFAULT_MAX_HEADER_SIZE = 64 * 1024
DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024
MIN_CONNECTING = 32  # connects under way at once at least (see the module doc)
WARM_CONCURRENCY = 64  # connects under way at once while warming up
LAG_S = 0.005  # a sweep this late means the loop itself lags: the pool grows slowly
LAGGING_CONNECTS = 4  # connects under way at once while the loop lags
IDEMPOTENT = frozenset({b"GET", b"HEAD", b"OPTIONS", b"TRACE", b"PUT", b"DELETE"})
RETRY_KINDS = frozenset({"closed", "reset"})


def may_retry(conn: HttpConn, err: HttpError, raw: bytes) -> bool:
    """The retry rule (module doc): `raw` failed with `err` on `conn` in the keep-alive
    race, and may be sent again once on a new connection."""
    return bool(
        conn.uses
        and not conn.got
        and err.kind in RETRY_KINDS
        and raw[: raw.find(b" ")] in IDEMPOTENT
    )


class Pool:
    """Connections to one origin. Create it on (or bind it lazily to) the engine's loop."""

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
        max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        """`max_header_size` caps a response head and `max_body_size` a body kept for
        the caller (`want_body`); past either the request fails with kind "too large"."""
        if max_connections < 1:
            raise ValueError("max_connections must be >= 1")
        self.scheme, self.host, self.port = scheme, host, port
        self.origin = f"{scheme}://{host}:{port}"
        if scheme == "https" and ssl_context is None:
            ssl_context = ssl.create_default_context()
        self._ssl = ssl_context if scheme == "https" else None
        self._server_hostname = host if self._ssl is not None else None
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_header_size = max_header_size
        self.max_body_size = max_body_size
        self.loop = loop
        self._idle: dict[HttpConn, None] = {}  # insertion-ordered; popitem() is LIFO
        self._conns: set[HttpConn] = set()
        self._connecting = 0
        self._reserved = 0  # slots granted to woken waiters that have not connected yet
        self._waiters: deque[tuple[float, asyncio.Future[HttpConn | None]]] = deque()
        self._active = 0  # requests inside request() or sent with send_now()
        self._sweeper: asyncio.TimerHandle | None = None
        self._sweep_due = 0.0  # loop time the pending sweep was asked for
        self._lagging = False  # the last sweep ran more than LAG_S late
        self._tick = tick_for(min(read_timeout, connect_timeout))
        self._closed = False
        self.connects = 0
        self.connect_time_total_s = 0.0
        self.connect_errors = 0
        self.retries = 0

    async def request(
        self,
        raw: bytes,
        *,
        want_body: bool = False,
        want_headers: bool = False,
        head: bool = False,
        total_timeout: float | None = None,
        read_timeout: float | None = None,
        connect_timeout: float | None = None,
        retry_until: float | None = None,
    ) -> Response:
        """Send pre-encoded request bytes and wait for the whole response.

        `head` must be True for HEAD requests (their responses carry no body). Raises
        HttpError; an HTTP error status is a normal Response. `retry_until`: the request
        already went out once (`send_now`) and met the keep-alive race; it is sent again,
        counted as the retry, on a fresh connection and by that (loop time) deadline
        instead of `total_timeout`'s, and never again.
        """
        loop = self.loop or self._bind()
        now = loop.time()
        deadline = INF
        if retry_until is not None:
            deadline = retry_until
        elif total_timeout is not None:
            deadline = now + total_timeout
            if total_timeout < self._tick * 20:
                self._tick = tick_for(total_timeout)
        if read_timeout is None:
            read_timeout = self.read_timeout
        elif read_timeout < self._tick * 20:
            self._tick = tick_for(read_timeout)
        self._active += 1
        if self._sweeper is None:
            self._start_sweeps(loop)
        conn: HttpConn | None = None
        fut: asyncio.Future[Response] | None = None
        try:
            if retry_until is not None:
                self.retries += 1
                conn = await self._acquire(deadline, connect_timeout, True)
                now = loop.time()
            elif self._idle:
                conn = self._idle.popitem()[0]
            else:
                conn = await self._acquire(deadline, connect_timeout, False)
                now = loop.time()
            fut = conn.send(raw, want_body, want_headers, head, now, read_timeout, deadline)
            try:
                resp = await fut
            except HttpError as err:
                if retry_until is not None or not may_retry(conn, err, raw):
                    raise
                self.retries += 1
                conn = await self._acquire(deadline, connect_timeout, True)
                fut = conn.send(
                    raw, want_body, want_headers, head, loop.time(), read_timeout, deadline
                )
                resp = await fut
            if conn.alive:
                self._release(conn)
            return resp
        except asyncio.CancelledError:
            if conn is not None and fut is not None:
                if conn.fut is fut:  # still waiting: the connection's state is unknown
                    conn.fail(HttpError("closed", "request cancelled"))
                elif conn.alive and conn.fut is None:  # answered just before the cancel
                    self._release(conn)
            raise
        finally:
            self._active -= 1

    def send_now(
        self,
        raw: bytes,
        sink: Sink,
        *,
        want_body: bool,
        want_headers: bool,
        head: bool,
        total_timeout: float | None,
    ) -> HttpConn | None:
        """Send on an idle connection at once, the outcome going to `sink` (then call
        `settle`); None when none is idle (use `request`, which connects or queues)."""
        idle = self._idle
        if not idle or self._closed:
            return None
        loop = self.loop
        assert loop is not None  # idle connections exist, so the pool is bound
        now = loop.time()
        deadline = INF
        if total_timeout is not None:
            deadline = now + total_timeout
            if total_timeout < self._tick * 20:
                self._tick = tick_for(total_timeout)
        self._active += 1
        if self._sweeper is None:
            self._start_sweeps(loop)
        conn = idle.popitem()[0]
        conn.send_to(sink, raw, want_body, want_headers, head, now, self.read_timeout, deadline)
        return conn

    def settle(self, conn: HttpConn) -> None:
        """A request sent with `send_now` has ended (its sink was told): keep the
        connection for the next request, or the oldest waiter, if it is still good."""
        self._active -= 1
        if conn.alive:
            self._release(conn)

    # -- connections --------------------------------------------------------------------

    async def _acquire(
        self, deadline: float, connect_timeout: float | None, fresh: bool
    ) -> HttpConn:
        """An idle connection, a new one if below the cap, else wait in line.

        `fresh` (the retry) prefers a new connection over an idle one when there is room.
        """
        while True:
            if self._closed:
                raise HttpError("closed", "pool closed")
            room = len(self._conns) + self._connecting + self._reserved < self.max_connections
            if self._idle and not (fresh and room):
                return self._idle.popitem()[0]
            if room and self._connecting + self._reserved < self._connect_cap():
                return await self._connect(deadline, connect_timeout)
            waiter: asyncio.Future[HttpConn | None] = self.loop.create_future()  # type: ignore[union-attr]
            self._waiters.append((deadline, waiter))
            try:
                got = await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    given = waiter.result()  # handed over just before we were cancelled
                    if given is None:
                        self._reserved -= 1
                        self._slot_freed()
                    elif given.alive:
                        self._release(given)
                raise
            if got is None:
                self._reserved -= 1
                return await self._connect(deadline, connect_timeout)
            if got.alive:
                return got

    async def _connect(self, deadline: float, connect_timeout: float | None) -> HttpConn:
        loop = self.loop
        assert loop is not None
        self._connecting += 1
        t0 = loop.time()
        began = perf_counter()  # loop.time() is in whole ms on uvloop: too coarse here
        limit = self.connect_timeout if connect_timeout is None else connect_timeout
        by_total = deadline - t0 < limit
        ok = False
        try:
            try:
                async with asyncio.timeout(min(limit, deadline - t0)):
                    _, conn = await loop.create_connection(
                        lambda: HttpConn(self),
                        self.host,
                        self.port,
                        ssl=self._ssl,
                        server_hostname=self._server_hostname,
                    )
            except TimeoutError:
                self.connect_errors += 1
                kind: ErrorKind = "timeout" if by_total else "connect_timeout"
                raise HttpError(kind, f"connecting to {self.origin}") from None
            except OSError as exc:
                self.connect_errors += 1
                raise from_os_error(exc, connecting=True) from exc
            if not conn.alive:
                self.connect_errors += 1
                raise HttpError("closed", "server closed the new connection at once")
            if self._closed:
                conn.fail(HttpError("closed", "pool closed"))
                raise HttpError("closed", "pool closed")
            ok = True
        finally:
            self._connecting -= 1
            if not ok:
                self._slot_freed()
        self._conns.add(conn)
        self.connects += 1
        self.connect_time_total_s += perf_counter() - began
        if self._waiters:
            self._slot_freed()  # a connect slot is free (and the cap may have grown)
        return conn

    def _connect_cap(self) -> int:
        """Connects allowed under way at once: the pool at most doubles per connect, and
        grows a few connects at a time while the loop lags (module doc)."""
        if self._lagging:
            return LAGGING_CONNECTS
        return max(MIN_CONNECTING, len(self._conns))

    async def warm(self, count: int, timeout: float) -> tuple[int, str | None]:
        """Open up to `count` idle connections ahead of the load (within the pool's size),
        WARM_CONCURRENCY at a time, all within `timeout` s. Stops at the first failure.
        Returns how many opened and that failure's kind (None: none failed)."""
        loop = self.loop or self._bind()
        deadline = loop.time() + timeout
        taken = len(self._conns) + self._connecting + self._reserved
        left = max(0, min(count, self.max_connections - taken))
        opened = 0
        error: str | None = None

        async def opener() -> None:
            nonlocal left, opened, error
            while left > 0 and error is None:
                left -= 1
                try:
                    conn = await self._connect(deadline, None)
                except HttpError as exc:
                    error = error or exc.kind
                    return
                opened += 1
                if conn.alive:
                    self._release(conn)

        await asyncio.gather(*(opener() for _ in range(min(WARM_CONCURRENCY, left))))
        return opened, error

    def _release(self, conn: HttpConn) -> None:
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()[1]
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._idle[conn] = None

    def _slot_freed(self) -> None:
        """A connection or connect slot opened: let the oldest waiters connect, as many
        as the pool's size and the connect cap allow."""
        waiters = self._waiters
        while (
            waiters
            and len(self._conns) + self._connecting + self._reserved < self.max_connections
            and self._connecting + self._reserved < self._connect_cap()
        ):
            waiter = waiters.popleft()[1]
            if not waiter.done():
                self._reserved += 1
                waiter.set_result(None)

    def lost(self, conn: HttpConn) -> None:
        """Called by a connection once, when it closes or breaks."""
        if conn in self._conns:
            self._conns.discard(conn)
            self._idle.pop(conn, None)
            self._slot_freed()

    def _bind(self) -> asyncio.AbstractEventLoop:
        self.loop = asyncio.get_running_loop()
        return self.loop

    # -- timeouts -------------------------------------------------------------------------

    def _start_sweeps(self, loop: asyncio.AbstractEventLoop) -> None:
        """The first sweep after a quiet spell; what the last spell saw of lag is stale."""
        self._lagging = False
        self._sweep_due = loop.time() + self._tick
        self._sweeper = loop.call_later(self._tick, self._sweep)

    def _sweep(self) -> None:
        self._sweeper = None
        loop = self.loop
        assert loop is not None
        now = loop.time()
        was_lagging = self._lagging
        self._lagging = now - self._sweep_due > LAG_S
        if was_lagging and not self._lagging and self._waiters:
            self._slot_freed()  # growth may resume: waiters can connect again
        expire_requests(self._conns, now)
        if self._waiters:
            self._waiters = expire_waiters(self._waiters, now)
        # A sink told of a failure above may have sent (and scheduled a sweep) already.
        if self._active and not self._closed and self._sweeper is None:
            # At most ~2 µs of sweeping per connection per tick: thousands of connections
            # with very short timeouts get a coarser tick rather than a busy loop.
            delay = max(self._tick, len(self._conns) * 2e-6)
            self._sweep_due = loop.time() + delay
            self._sweeper = loop.call_later(delay, self._sweep)

    # -- figures and shutdown -------------------------------------------------------------

    def gauges(self) -> dict[str, float]:
        """Current and cumulative figures; see PoolGauges for their meaning."""
        idle = len(self._idle)
        return {
            "open": len(self._conns),
            "in_use": len(self._conns) - idle,
            "idle": idle,
            "waiting": sum(1 for _, w in self._waiters if not w.done()),
            "connecting": self._connecting,
            "connects": self.connects,
            "connect_time_total_s": self.connect_time_total_s,
            "connect_errors": self.connect_errors,
            "retries": self.retries,
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
            conn.fail(HttpError("closed", "pool closed"))
        await asyncio.sleep(0)
