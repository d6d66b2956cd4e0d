"""One Pool per origin, created on first use, and the pools' gauges summed per tick."""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import Protocol
from urllib.parse import urlsplit

from loadtui.engine.http.origin import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_HEADER_SIZE
from loadtui.engine.http.pool import Pool
from loadtui.engine.http.request import DEFAULT_PORTS
from loadtui.metrics.snapshot import PoolGauges
from loadtui.scenario.model import Target
from loadtui.scenario.userinfo import redact_url

Origin = tuple[str, str, int]


class Gauged(Protocol):
    """A pool whose gauges the set sums and which it closes (see `adopt`)."""

    def gauges(self) -> dict[str, float]: ...

    async def close(self) -> None: ...


def parse_origin(url: str) -> Origin:
    """("https", "example.com", 443) from a URL; the path is ignored."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"unsupported scheme in {redact_url(url)!r} (http or https)")
    if not parts.hostname:
        raise ValueError(f"no host in {redact_url(url)!r}")
    try:
        port = parts.port
    except ValueError:  # urllib's message quotes the text, which may hold a password
        raise ValueError(f"bad port in {redact_url(url)!r}") from None
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme]


def make_ssl_context(verify: bool) -> ssl.SSLContext:
    """Client context offering only http/1.1 by ALPN (h2pool.py offers h2 too)."""
    ctx = ssl.create_default_context()
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class PoolSet:
    """Pools keyed by (scheme, host, port, verify_tls); one SSLContext per verify flag.

    Defaults given here apply to pools created later; `pool_for` may override them for
    a pool it creates (the first caller for an origin decides its settings). The size
    caps apply to every pool; `total_timeout` is not a pool setting but the default
    limit for callers that have none of their own (the httpx transport of Python tasks).
    """

    def __init__(
        self,
        *,
        max_connections: int = 10_000,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        verify_tls: bool = True,
        total_timeout: float | None = None,
        max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.verify_tls = verify_tls
        self.total_timeout = total_timeout
        self.max_header_size = max_header_size
        self.max_body_size = max_body_size
        self.loop = loop
        self._pools: dict[tuple[str, str, int, bool], Pool] = {}
        self._ssl: dict[bool, ssl.SSLContext] = {}
        self._last: tuple[float, int, float] | None = None  # (time, connects, connect time)
        self._adopted: list[Gauged] = []  # other pools counted and closed with these
        self._limit: int | None = None  # connections per pool the fd budget allows
        self._sizes: dict[Pool, int] = {}  # each pool's own size, before that limit
        self.connect_rate: float | None = None  # new pools' pace (connections.py)

    @classmethod
    def for_target(cls, target: Target) -> PoolSet:
        """Pools with a scenario target's limits: TLS check, connections, timeouts, caps."""
        return cls(
            verify_tls=target.verify_tls,
            max_connections=target.max_connections,
            connect_timeout=target.timeouts.connect,
            read_timeout=target.timeouts.read,
            total_timeout=target.timeouts.total,
            max_header_size=target.max_header_size,
            max_body_size=target.max_body_size,
        )

    def ssl_context(self, verify: bool) -> ssl.SSLContext:
        ctx = self._ssl.get(verify)
        if ctx is None:
            ctx = self._ssl[verify] = make_ssl_context(verify)
        return ctx

    def pool_for(
        self,
        origin: str | Origin,
        *,
        verify_tls: bool | None = None,
        max_connections: int | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
    ) -> Pool:
        scheme, host, port = parse_origin(origin) if isinstance(origin, str) else origin
        verify = self.verify_tls if verify_tls is None else verify_tls
        key = (scheme, host.lower(), port, verify)
        pool = self._pools.get(key)
        if pool is None:
            size = max_connections or self.max_connections
            pool = self._pools[key] = Pool(
                scheme,
                host,
                port,
                ssl_context=self.ssl_context(verify) if scheme == "https" else None,
                max_connections=self._capped(size),
                connect_timeout=connect_timeout or self.connect_timeout,
                read_timeout=read_timeout or self.read_timeout,
                loop=self.loop,
                max_header_size=self.max_header_size,
                max_body_size=self.max_body_size,
            )
            pool.connect_rate = self.connect_rate
            self._sizes[pool] = size
        return pool

    def _capped(self, wanted: int) -> int:
        return wanted if self._limit is None else max(1, min(wanted, self._limit))

    def limit(self, connections: int | None) -> None:
        """Hold every pool (and those made later) to `connections` at most, below its own
        size (None: their own sizes): what the file-descriptor budget leaves for HTTP.
        Connections beyond it are not closed; requests wait until they are gone."""
        self._limit = connections
        for pool, size in self._sizes.items():
            pool.max_connections = self._capped(size)

    def mark(self) -> None:
        """Start the interval of the next `gauges()` now (t = 0 of a run): connects made
        before, a warm-up's, are not folded into the first tick's connect rate and time."""
        t = self.totals()
        self._last = (
            time.monotonic(),
            int(t.get("connects", 0)),
            float(t.get("connect_time_total_s", 0.0)),
        )

    @property
    def pools(self) -> tuple[Pool, ...]:
        return tuple(self._pools.values())

    def adopt(self, pool: Gauged) -> None:
        """Count another kind of pool (HTTP/2's, `h2pool.py`) in the gauges, and close it
        with these."""
        self._adopted.append(pool)

    def totals(self) -> dict[str, float]:
        """Every pool's `gauges()` summed (cumulative counters stay cumulative)."""
        out: dict[str, float] = {}
        for pool in (*self._pools.values(), *self._adopted):
            for k, v in pool.gauges().items():
                out[k] = out.get(k, 0) + v
        return out

    def gauges(self) -> PoolGauges:
        """Summed gauges, with connects_per_s and connect_ms_mean over the interval since
        the previous call: call it once per tick, from one place (the recorder)."""
        t = self.totals()
        now = time.monotonic()
        connects = int(t.get("connects", 0))
        ctime = float(t.get("connect_time_total_s", 0.0))
        rate = mean_ms = 0.0
        if self._last is not None:
            dt = now - self._last[0]
            d_conn = connects - self._last[1]
            if dt > 0:
                rate = d_conn / dt
            if d_conn > 0:
                mean_ms = (ctime - self._last[2]) / d_conn * 1000.0
        self._last = (now, connects, ctime)
        return PoolGauges(
            open=int(t.get("open", 0)),
            in_use=int(t.get("in_use", 0)),
            idle=int(t.get("idle", 0)),
            waiting=int(t.get("waiting", 0)),
            connects=connects,
            connects_per_s=rate,
            connect_ms_mean=mean_ms,
            connect_errors=int(t.get("connect_errors", 0)),
        )

    async def close(self) -> None:
        for pool in (*self._pools.values(), *self._adopted):
            await pool.close()
        self._pools.clear()
        self._sizes.clear()
        self._adopted.clear()
