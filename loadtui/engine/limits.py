"""How many sockets this process may hold, and how a worker shares them out.

The budget is the file-descriptor limit, raised to its hard maximum when allowed, minus
a reserve for files, pipes and the event loop. It is spent on connections, not users:
each WebSocket stream holds one socket (a stream-only session, or a user of a class with
a websocket), while users making HTTP calls share the pool, which never holds more than
its size and makes the rest wait for a connection. So 50,000 users thinking for a
minute need no more sockets than the pool's size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

try:
    import resource
except ImportError:  # not on this platform: no limit to read
    resource = None  # type: ignore[assignment]

RESERVE = 256
HTTP_FLOOR = 64  # HTTP connections kept however many streams are asked for


def raise_fd_limit() -> int:
    """The soft limit after trying to lift it to the hard one (0: unknown)."""
    if resource is None:
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return int(soft) if soft != resource.RLIM_INFINITY else 1 << 20


def socket_budget() -> int:
    """Connections (HTTP keep-alive or WebSocket) this process can hold at once."""
    limit = raise_fd_limit()
    return max(1, limit - RESERVE) if limit else 1 << 20


@dataclass(frozen=True)
class Sockets:
    """A worker's population fitted to its budget."""

    users: int
    streams: int  # stream-only sessions
    http: int  # connections the HTTP pool may open (0: no class makes HTTP calls)

    def stream_sockets(self, share: float) -> int:
        return self.streams + user_streams(self.users, share)


def user_streams(users: int, share: float) -> int:
    """Streams that `users` hold when `share` of them are of classes with a websocket."""
    return math.ceil(users * share - 1e-9) if share > 0 else 0


def fit_sockets(
    budget: int, users: int, streams: int, *, stream_share: float, pool_size: int, http: bool
) -> Sockets:
    """`users` and `streams` within `budget` sockets. Streams may use all of it but a
    floor kept for HTTP (when `http`: some class makes HTTP calls); past that the
    stream-only sessions are cut first, then the users with streams. The pool gets what
    the streams leave, up to its own `pool_size`."""
    users, streams = max(0, users), max(0, streams)
    floor = min(pool_size, HTTP_FLOOR, budget) if http else 0
    room = max(0, budget - floor)
    over = streams + user_streams(users, stream_share) - room
    if over > 0:
        cut = min(streams, over)
        streams -= cut
        if over > cut:  # stream_share > 0 here: only users with streams are left to cut
            users = min(users, math.floor((room - streams) / stream_share + 1e-9))
    used = streams + user_streams(users, stream_share)
    pool = max(1, min(pool_size, budget - used)) if http else 0
    return Sockets(users, streams, pool)
