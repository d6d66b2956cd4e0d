"""How many sockets this process may hold: the file-descriptor limit, raised to its
hard maximum when allowed, minus a reserve for files, pipes and the event loop."""

from __future__ import annotations

try:
    import resource
except ImportError:  # not on this platform: no limit to read
    resource = None  # type: ignore[assignment]

RESERVE = 256


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
