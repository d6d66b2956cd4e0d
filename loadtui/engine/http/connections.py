"""The HTTP/1.1 pool's connections: handed out, opened, ramped up, given back.

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

On loopback a connect completes within a turn of the loop, so a cap on connects under
way bounds how many at once, not how many a second, and each costs the loop ~0.1 ms.
An open-model run (`connect_rate`) therefore also paces them, CONNECT_RATE a second
after a burst of CONNECT_BURST: at 40,000 req/s against nginx, 100 warm connections
otherwise doubled in steps a few hundred ms apart to 1,700-4,400, each step a loop
stall of 40-200 ms and thousands of dropped arrivals, where 1,000 warm connections never
grew and dropped none. A target that needs 1,000 connections more (1,000/s at 1 s) has
them within the first half second; a profile's `warmup` opens more before t = 0.

The request side (sending, timeouts, the retry rule) is `pool.Pool`, built on this.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from time import perf_counter

from loadtui.engine.http.errors import ErrorKind, HttpError, from_os_error
from loadtui.engine.http.origin import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_HEADER_SIZE, OriginPool
from loadtui.engine.http.protocol import HttpConn
from loadtui.engine.http.sweep import tick_for

MIN_CONNECTING = 32  # connects under way at once at least (see the module doc)
WARM_CONCURRENCY = 64  # connects under way at once while warming up
LAGGING_CONNECTS = 4  # connects under way at once while the loop lags
# An open-model run paces its connects: at most CONNECT_RATE a second after a burst of
# CONNECT_BURST (module doc).
CONNECT_RATE = 2_000.0
CONNECT_BURST = 64


class Connections(OriginPool):
    """The connections of one origin, and the requests waiting for one."""

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
        super().__init__(
            scheme,
            host,
            port,
            ssl_context=ssl_context,
            default_ssl=ssl.create_default_context,
            max_connections=max_connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            loop=loop,
            max_header_size=max_header_size,
            max_body_size=max_body_size,
        )
        self._idle: dict[HttpConn, None] = {}  # insertion-ordered; popitem() is LIFO
        self._conns: set[HttpConn] = set()
        self._connecting = 0
        self._reserved = 0  # slots granted to woken waiters that have not connected yet
        self._waiters: deque[tuple[float, asyncio.Future[HttpConn | None]]] = deque()
        self._lagging = False  # the loop lags (the request side's sweep ran late)
        self._closed = False
        # The request side's (pool.py): requests in flight, its timeout sweep.
        self._active = 0  # requests inside request() or sent with send_now()
        self._sweeper: asyncio.TimerHandle | None = None
        self._sweep_due = 0.0  # loop time the pending sweep was asked for
        self._tick = tick_for(min(read_timeout, connect_timeout))
        # New connects per second, None: unpaced (an open-model run paces them).
        self.connect_rate: float | None = None
        self._tokens = float(CONNECT_BURST)
        self._tokens_t = 0.0  # loop time the tokens were last counted
        self._refill: asyncio.TimerHandle | None = None

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
            if room and self._may_connect():
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
                        ssl=self.ssl,
                        server_hostname=self.server_hostname,
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

    def _may_connect(self) -> bool:
        """Whether one more connect may begin now: under the cap on connects under way,
        and (when paced) with a token left; else a timer wakes the waiters when the
        next token is due."""
        if self._connecting + self._reserved >= self._connect_cap():
            return False
        rate = self.connect_rate
        if rate is None:
            return True
        loop = self.loop
        assert loop is not None
        now = loop.time()
        self._tokens = min(CONNECT_BURST, self._tokens + (now - self._tokens_t) * rate)
        self._tokens_t = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        if self._refill is None:
            self._refill = loop.call_later((1.0 - self._tokens) / rate, self._refilled)
        return False

    def _refilled(self) -> None:
        self._refill = None
        if not self._closed:
            self._slot_freed()

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
            and self._may_connect()
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
