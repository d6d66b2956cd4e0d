"""Keep-alive HTTP/1.1 connection pool for one origin (scheme, host, port).

How connections are handed out, opened and ramped up is `connections.py`.

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

from loadtui.engine.http.connections import Connections
from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.origin import (
    IDEMPOTENT,
    RETRY_KINDS,
)
from loadtui.engine.http.protocol import HttpConn
from loadtui.engine.http.response import INF, Response, Sink
from loadtui.engine.http.sweep import expire_requests, expire_waiters, tick_for

LAG_S = 0.005  # a sweep this late means the loop itself lags: the pool grows slowly


def may_retry(conn: HttpConn, err: HttpError, raw: bytes) -> bool:
    """The retry rule (module doc): `raw` failed with `err` on `conn` in the keep-alive
    race, and may be sent again once on a new connection."""
    return bool(
        conn.uses
        and not conn.got
        and err.kind in RETRY_KINDS
        and raw[: raw.find(b" ")] in IDEMPOTENT
    )


class Pool(Connections):
    """Requests to one origin. Create it on (or bind it lazily to) the engine's loop."""

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
            **self.counters(),
        }

    async def close(self) -> None:
        """Fail waiting and in-flight requests with "closed" and drop every connection."""
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        if self._refill is not None:
            self._refill.cancel()
            self._refill = None
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(HttpError("closed", "pool closed"))
        self._waiters.clear()
        for conn in list(self._conns):
            conn.fail(HttpError("closed", "pool closed"))
        await asyncio.sleep(0)
