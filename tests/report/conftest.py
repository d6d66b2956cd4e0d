"""A final Snapshot with known figures, produced by the real Recorder on a fake clock."""

from __future__ import annotations

import pytest
from support.clocks import recorder

from loadtui.metrics.snapshot import LoadState, Snapshot


def run_snapshot() -> Snapshot:
    """10 s run.

    - "GET /a": 99 x 10 ms (200) + 1 failure "HTTP 500" at 100 ms (500)
    - "b | pipe": only rate-limited (429), so no requests
    - "c": 2 connection failures without latency
    Whole run: 102 requests, 3 failures, 10.2 req/s.
    """
    rec, clock = recorder(now=1000.0, epoch=1_750_000_000.0 - 1000.0)
    a = rec.endpoint("/a", "GET")
    b = rec.endpoint("b | pipe", "POST")
    c = rec.endpoint("c")
    for _ in range(99):
        a.success(10_000, 200, bytes_in=100, bytes_out=10)
    a.failure("HTTP 500", 100_000, status=500)
    b.rate_limited(429, 2.0)
    b.honoured(2.0)
    c.failure("refused")
    c.failure("refused")
    clock.now += 4.0
    rec.tick(load=LoadState(state="running"))
    clock.now += 6.0
    return rec.tick(
        load=LoadState(state="stopped", model="open", late_starts=3, dropped=1, rate=5.0)
    )


@pytest.fixture
def final() -> Snapshot:
    return run_snapshot()
