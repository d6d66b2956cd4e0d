"""Hand-built Snapshots for console tests: fixed figures, no clocks, so screens render
the same every run (snapshot tests) and assertions can name exact values.

Window (interval) and whole-run figures deliberately differ, so a test can tell which
one a pane shows. Each endpoint carries a real encoded interval histogram shaped like
its interval latency (the console's window merges those); a total's histogram is its
endpoints' merged, while its `interval_latency` stays the worst endpoint's shape.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import pairwise

from loadtui.metrics.histogram import decode, encode, merge, new_histogram, record
from loadtui.metrics.snapshot import (
    EndpointStats,
    Event,
    Latency,
    LoadState,
    PoolGauges,
    RateLimit,
    RunState,
    Snapshot,
    StreamStats,
    SystemGauges,
)

WALL0 = 1_700_000_000.0
MiB = 1024 * 1024


def latency(p50: float, count: int = 100) -> Latency:
    """A plausible latency shape scaled from p50 (ms); empty when count is 0."""
    if count == 0:
        return Latency()
    return Latency(
        count=count,
        min=round(p50 * 0.2, 3),
        mean=round(p50 * 1.2, 3),
        p50=p50,
        p75=round(p50 * 1.4, 3),
        p90=round(p50 * 2.0, 3),
        p95=round(p50 * 2.5, 3),
        p99=round(p50 * 4.0, 3),
        p999=round(p50 * 6.0, 3),
        max=round(p50 * 8.0, 3),
    )


def encoded(values_us: Iterable[int]) -> bytes:
    """An encoded interval histogram of these latencies (µs); b"" when there are none."""
    h = new_histogram()
    for v in values_us:
        record(h, v)
    return encode(h) if h.total_count else b""


def shaped_values(lat: Latency) -> list[int]:
    """`lat.count` latencies (µs) whose percentiles are `lat`'s, to a histogram's
    precision: spread evenly between the shape's points (min, p50 ... p99.9, max)."""
    points = [
        (0.0, lat.min),
        (0.5, lat.p50),
        (0.75, lat.p75),
        (0.9, lat.p90),
        (0.95, lat.p95),
        (0.99, lat.p99),
        (0.999, lat.p999),
        (1.0, lat.max),
    ]
    values = []
    for i in range(1, lat.count + 1):
        q = i / lat.count
        for (q0, v0), (q1, v1) in pairwise(points):
            if q <= q1:
                values.append(round((v0 + (v1 - v0) * (q - q0) / (q1 - q0)) * 1000))
                break
    return values


def endpoint(
    name: str,
    method: str = "GET",
    *,
    requests: int = 10_000,
    failures: int = 0,
    interval_requests: int = 500,
    interval_failures: int = 0,
    rps: float = 1000.0,
    mean_rps: float = 950.0,
    p50: float = 4.0,
    interval_p50: float = 5.0,
    status_codes: dict[int, int] | None = None,
    errors: dict[str, int] | None = None,
    histogram: bytes | None = None,
) -> EndpointStats:
    """`histogram` defaults to one shaped like the interval latency."""
    codes = {200: requests - failures} if status_codes is None else status_codes
    window = latency(interval_p50, interval_requests)
    return EndpointStats(
        name=name,
        method=method,
        requests=requests,
        failures=failures,
        interval_requests=interval_requests,
        interval_failures=interval_failures,
        rps=rps,
        mean_rps=mean_rps,
        latency=latency(p50, requests),
        interval_latency=window,
        status_codes=codes,
        errors=dict(errors or {}),
        histogram=encoded(shaped_values(window)) if histogram is None else histogram,
    )


def total_of(endpoints: Sequence[EndpointStats]) -> EndpointStats:
    """A Total row: counts summed, percentiles taken as the worst endpoint's."""
    codes: dict[int, int] = {}
    errors: dict[str, int] = {}
    for e in endpoints:
        for code, n in e.status_codes.items():
            codes[code] = codes.get(code, 0) + n
        for kind, n in e.errors.items():
            errors[kind] = errors.get(kind, 0) + n
    requests = sum(e.requests for e in endpoints)
    interval = sum(e.interval_requests for e in endpoints)
    p50 = max((e.latency.p50 for e in endpoints), default=0.0)
    ip50 = max((e.interval_latency.p50 for e in endpoints), default=0.0)
    return EndpointStats(
        name="Total",
        requests=requests,
        failures=sum(e.failures for e in endpoints),
        interval_requests=interval,
        interval_failures=sum(e.interval_failures for e in endpoints),
        rps=sum(e.rps for e in endpoints),
        mean_rps=sum(e.mean_rps for e in endpoints),
        latency=latency(p50, requests),
        interval_latency=latency(ip50, interval),
        status_codes=codes,
        errors=errors,
        histogram=_merged(e.histogram for e in endpoints),
    )


def _merged(histograms: Iterable[bytes]) -> bytes:
    h = merge(decode(b) for b in histograms if b)
    return encode(h) if h.total_count else b""


def stream(
    name: str = "chat",
    *,
    sessions_open: int = 950,
    connecting: int = 50,
    opened: int = 1_010,
    failed: int = 3,
    closed: int = 60,
    disconnects: int = 4,
    reconnects: int = 2,
    sent: int = 120_000,
    received: int = 119_000,
    sent_per_s: float = 9_500.0,
    received_per_s: float = 9_480.0,
    rtt_p50: float = 1.2,
    interval_rtt_p50: float = 1.5,
    handshake_p50: float = 3.0,
    gap_p50: float = 0.0,
    handshake_failures: dict[str, int] | None = None,
    close_codes: dict[int, int] | None = None,
    errors: dict[str, int] | None = None,
) -> StreamStats:
    """One stream's figures; window RTT differs from the whole run's, as for endpoints.
    `gap_p50` 0 means an echo stream (no gaps timed)."""
    return StreamStats(
        name=name,
        open=sessions_open,
        connecting=connecting,
        opened=opened,
        failed=failed,
        closed=closed,
        disconnects=disconnects,
        reconnects=reconnects,
        messages_sent=sent,
        messages_received=received,
        bytes_sent=sent * 16,
        bytes_received=received * 16,
        sent_per_s=sent_per_s,
        received_per_s=received_per_s,
        handshake=latency(handshake_p50, opened),
        first_message=latency(handshake_p50 * 2, opened),
        rtt=latency(rtt_p50, received if rtt_p50 else 0),
        gap=latency(gap_p50, received if gap_p50 else 0),
        interval_rtt=latency(interval_rtt_p50, 4_000 if interval_rtt_p50 else 0),
        handshake_failures={"401": 2, "refused": 1}
        if handshake_failures is None
        else handshake_failures,
        close_codes={1000: 56, 1006: 4} if close_codes is None else close_codes,
        errors=dict(errors or {}),
    )


def default_endpoints() -> tuple[EndpointStats, ...]:
    return (
        endpoint("/api/items", requests=12_000, interval_requests=600, rps=1200.0, p50=3.1),
        endpoint(
            "login",
            "",
            requests=3_000,
            failures=30,
            interval_requests=150,
            interval_failures=3,
            rps=300.0,
            mean_rps=280.0,
            p50=22.0,
            interval_p50=25.5,
            status_codes={200: 2_970, 503: 30},
            errors={"status 503": 30},
        ),
    )


def snapshot(
    seq: int = 1,
    *,
    t: float | None = None,
    interval_s: float = 0.5,
    state: RunState = "running",
    model: str = "closed",
    profile: str = "ramp",
    users: int = 20,
    users_target: int = 20,
    rate: float = 0.0,
    inflight: int = 7,
    stage: int = 1,
    stages: int = 3,
    stage_left_s: float = 42.0,
    run_left_s: float | None = None,
    following: bool = True,
    endpoints: Sequence[EndpointStats] | None = None,
    pool: PoolGauges | None = None,
    system: SystemGauges | None = None,
    rate_limit: RateLimit | None = None,
    events: Iterable[Event] = (),
    warnings: Iterable[str] = (),
    streams: Sequence[StreamStats] = (),
    streams_now: int = 0,
    streams_target: int = 0,
) -> Snapshot:
    eps = default_endpoints() if endpoints is None else tuple(endpoints)
    when = seq * interval_s if t is None else t
    return Snapshot(
        seq=seq,
        t=when,
        wall=WALL0 + when,
        interval_s=interval_s,
        load=LoadState(
            state=state,
            model=model,  # type: ignore[arg-type]
            profile=profile,
            users=users,
            users_target=users_target,
            rate=rate,
            inflight=inflight,
            stage=stage,
            stages=stages,
            stage_left_s=stage_left_s,
            run_left_s=run_left_s,
            following_profile=following,
            streams=streams_now,
            streams_target=streams_target,
        ),
        total=total_of(eps),
        endpoints=eps,
        streams=tuple(streams),
        pool=pool
        if pool is not None
        else PoolGauges(
            open=24,
            in_use=20,
            idle=4,
            waiting=2,
            connects=31,
            connects_per_s=0.5,
            connect_ms_mean=0.8,
        ),
        system=system
        if system is not None
        else SystemGauges(cpu_percent=37.0, rss_bytes=96 * MiB, loop_lag_ms=1.4, fds=41),
        rate_limit=rate_limit if rate_limit is not None else RateLimit(),
        events=tuple(events),
        warnings=tuple(warnings),
    )


def run_of(count: int, *, interval_s: float = 0.5, **kwargs: object) -> list[Snapshot]:
    """`count` snapshots with a smooth, fixed wave in rate and latency (for charts)."""
    snaps = []
    for i in range(1, count + 1):
        wave = 1 + 0.5 * math.sin(i / 6)
        eps = (
            endpoint(
                "/api/items",
                requests=600 * i,
                interval_requests=round(300 * wave),
                rps=round(600 * wave, 1),
                p50=3.0,
                interval_p50=round(3.0 * wave, 2),
            ),
        )
        snaps.append(snapshot(i, interval_s=interval_s, endpoints=eps, **kwargs))  # type: ignore[arg-type]
    return snaps
