"""The HTTP/2 pool's timeouts: stream deadlines, queued requests, unanswered PINGs.

Split out of `H2Pool` (`h2pool.py`), which starts the sweep when a request comes in and
none is scheduled; `sweep` works on the pool's own state, as its method did.

Timeouts work as in the HTTP/1.1 pool (`pool.py`): deadlines stored per stream, one
sweep per pool while requests are in flight, so no timer per request. A stream past
its deadline is reset (RST_STREAM) and fails. When nothing at all arrived on its
connection meanwhile, the connection is sent a PING; if no answer comes within a read
timeout it takes no new streams, and closes once its streams are over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.h2state import H2Stream
from loadtui.engine.http.sweep import expire_waiters

if TYPE_CHECKING:
    from loadtui.engine.http.h2pool import H2Pool

MIN_TICK = 0.005
MAX_TICK = 0.1


def tick_for(timeout: float) -> float:
    return min(MAX_TICK, max(MIN_TICK, timeout / 20))


def sweep(pool: H2Pool) -> None:
    """One pass over the pool's streams and waiters; again in a tick while requests run."""
    pool.sweeper = None
    loop = pool.loop
    assert loop is not None
    now = loop.time()
    for conn in list(pool.conns):
        ping = conn.ping_at
        if ping is not None and conn.last_rx < ping and now - ping >= pool.read_timeout:
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
    if pool.waiters:
        pool.waiters = expire_waiters(pool.waiters, now, "stream")
    if pool.active and not pool.closed:
        streams = sum(len(c.streams) for c in pool.conns)
        delay = max(pool.tick, streams * 1e-6)  # a coarser tick, never a busy loop
        pool.sweeper = loop.call_later(delay, sweep, pool)
