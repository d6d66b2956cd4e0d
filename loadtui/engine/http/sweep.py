"""What the HTTP/1.1 pool's sweep does: fail the requests and waiters past their deadlines.

Timeouts cost no timer per request (a uvloop timer handle costs ~2 µs, 10 % of the
budget): one sweep per pool runs every `tick` while requests are in flight, so a read
or total timeout fires up to about two ticks late.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from loadtui.engine.http.errors import HttpError

if TYPE_CHECKING:
    from loadtui.engine.http.protocol import HttpConn

MIN_TICK = 0.005
MAX_TICK = 0.1

W = TypeVar("W", bound="asyncio.Future[Any]")


def tick_for(timeout: float) -> float:
    """The sweep's period for the shortest timeout seen: a twentieth, within 5-100 ms."""
    return min(MAX_TICK, max(MIN_TICK, timeout / 20))


def expire_requests(conns: Iterable[HttpConn], now: float) -> None:
    """Fail each request in flight past its total deadline, or silent past its read
    timeout; a connection that heard from the server since the last sweep has its read
    deadline moved on instead."""
    expired: list[tuple[HttpConn, HttpError]] = []
    for conn in conns:
        if not conn.inflight:
            continue
        if now >= conn.total_deadline:
            expired.append((conn, HttpError("timeout", "total time limit reached")))
        elif conn.rx:
            conn.rx = False
            conn.read_deadline = now + conn.read_timeout
        elif now >= conn.read_deadline:
            expired.append((conn, HttpError("read_timeout", f"no data for {conn.read_timeout:g}s")))
    for conn, err in expired:  # failing drops a connection: not while iterating the set
        conn.fail(err)


def expire_waiters(
    waiters: deque[tuple[float, W]], now: float, what: str = "connection"
) -> deque[tuple[float, W]]:
    """The (deadline, future) waiters still waiting and within their deadline; the others
    fail "timeout" (no free `what` in time). Shared by the HTTP/1.1 and HTTP/2 pools."""
    keep: deque[tuple[float, W]] = deque()
    for entry in waiters:
        if entry[1].done():
            continue
        if now >= entry[0]:
            entry[1].set_exception(HttpError("timeout", f"no free {what} in time"))
        else:
            keep.append(entry)
    return keep
