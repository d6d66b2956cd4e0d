"""One Pool per origin, created on first use, and the pools' gauges summed per tick."""

from __future__ import annotations

import asyncio
import ssl
import time
from urllib.parse import urlsplit

from loadtui.engine.http.pool import Pool
from loadtui.engine.http.request import DEFAULT_PORTS
from loadtui.metrics.snapshot import PoolGauges

Origin = tuple[str, str, int]


def parse_origin(url: str) -> Origin:
    """("https", "example.com", 443) from a URL; the path is ignored."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"unsupported scheme in {url!r} (http or https)")
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    return scheme, parts.hostname, parts.port or DEFAULT_PORTS[scheme]


def make_ssl_context(verify: bool) -> ssl.SSLContext:
    """Client context offering only http/1.1 by ALPN (HTTP/2 goes through httpx)."""
    ctx = ssl.create_default_context()
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class PoolSet:
    """Pools keyed by (scheme, host, port, verify_tls); one SSLContext per verify flag.

    Defaults given here apply to pools created later; `pool_for` may override them for
    a pool it creates (the first caller for an origin decides its settings).
    """

    def __init__(
        self,
        *,
        max_connections: int = 10_000,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        verify_tls: bool = True,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.verify_tls = verify_tls
        self.loop = loop
        self._pools: dict[tuple[str, str, int, bool], Pool] = {}
        self._ssl: dict[bool, ssl.SSLContext] = {}
        self._last: tuple[float, int, float] | None = None  # (time, connects, connect time)

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
            pool = self._pools[key] = Pool(
                scheme,
                host,
                port,
                ssl_context=self.ssl_context(verify) if scheme == "https" else None,
                max_connections=max_connections or self.max_connections,
                connect_timeout=connect_timeout or self.connect_timeout,
                read_timeout=read_timeout or self.read_timeout,
                loop=self.loop,
            )
        return pool

    @property
    def pools(self) -> tuple[Pool, ...]:
        return tuple(self._pools.values())

    def totals(self) -> dict[str, float]:
        """Every pool's `gauges()` summed (cumulative counters stay cumulative)."""
        out: dict[str, float] = {}
        for pool in self._pools.values():
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
        for pool in self._pools.values():
            await pool.close()
        self._pools.clear()
