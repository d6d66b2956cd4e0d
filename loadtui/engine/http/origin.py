"""What the HTTP/1.1 and HTTP/2 pools share: one origin, its limits and its counters.

Both pools are built from the same target fields (origin, TLS, pool size, timeouts,
response size caps) and report the same cumulative figures (PoolGauges), so they share
this base rather than two copies of a constructor that must stay in step.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

DEFAULT_MAX_HEADER_SIZE = 64 * 1024
DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024
# RFC 9110 §9.2.2: the methods a request of which may be sent again (the keep-alive race)
IDEMPOTENT = frozenset({b"GET", b"HEAD", b"OPTIONS", b"TRACE", b"PUT", b"DELETE"})
RETRY_KINDS = frozenset({"closed", "reset"})


class OriginPool:
    """Connections to one origin: where, how many, how long, how large; what it did."""

    def __init__(
        self,
        scheme: str,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None,
        default_ssl: Callable[[], ssl.SSLContext],
        max_connections: int,
        connect_timeout: float,
        read_timeout: float,
        loop: asyncio.AbstractEventLoop | None,
        max_header_size: int,
        max_body_size: int,
    ) -> None:
        """`default_ssl()` makes the context for https when `ssl_context` is None.
        `max_header_size` caps a response head and `max_body_size` a body kept for the
        caller; past either a request fails with kind "too large"."""
        if max_connections < 1:
            raise ValueError("max_connections must be >= 1")
        self.scheme, self.host, self.port = scheme, host, port
        self.origin = f"{scheme}://{host}:{port}"
        if scheme == "https" and ssl_context is None:
            ssl_context = default_ssl()
        self.ssl = ssl_context if scheme == "https" else None
        self.server_hostname = host if self.ssl is not None else None
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_header_size = max_header_size
        self.max_body_size = max_body_size
        self.loop = loop
        self.connects = 0
        self.connect_time_total_s = 0.0
        self.connect_errors = 0
        self.retries = 0

    def _bind(self) -> asyncio.AbstractEventLoop:
        self.loop = asyncio.get_running_loop()
        return self.loop

    def counters(self) -> dict[str, float]:
        """The cumulative figures of PoolGauges."""
        return {
            "connects": self.connects,
            "connect_time_total_s": self.connect_time_total_s,
            "connect_errors": self.connect_errors,
            "retries": self.retries,
        }
