"""Recorder: interval vs cumulative figures, rates on an injected clock, events, and the
rate-limit lane kept out of requests and latency."""

from __future__ import annotations

import pytest
from support.clocks import FakeClock, recorder

from loadtui.metrics import histogram as H
from loadtui.metrics.recorder import TOTAL_NAME, Recorder
from loadtui.metrics.snapshot import LoadState, PoolGauges, SystemGauges

LOAD = LoadState(state="running", users=3)


def make() -> tuple[Recorder, FakeClock]:
    return recorder(now=100.0)


def test_interval_and_cumulative_figures() -> None:
    rec, clock = make()
    a = rec.endpoint("GET /a", "GET")
    for _ in range(90):
        a.success(1000, 200, bytes_in=10, bytes_out=2)
    for _ in range(10):
        a.success(100_000, 200)
    clock.now += 2.0
    s1 = rec.tick(load=LOAD)
    e1 = s1.endpoint("GET /a")
    assert e1 is not None
    assert (e1.requests, e1.interval_requests, e1.failures) == (100, 100, 0)
    assert e1.rps == pytest.approx(50.0)
    assert e1.mean_rps == pytest.approx(50.0)
    assert e1.interval_latency.p50 == pytest.approx(1.0, rel=1e-3)
    assert e1.interval_latency.p95 == pytest.approx(100.0, rel=1e-3)
    assert e1.latency == e1.interval_latency
    assert (e1.bytes_in, e1.bytes_out) == (900, 180)
    assert s1.t == pytest.approx(2.0) and s1.interval_s == pytest.approx(2.0)

    for _ in range(50):
        a.success(5000, 201)
    clock.now += 0.5
    s2 = rec.tick(load=LOAD)
    e2 = s2.endpoint("GET /a")
    assert e2 is not None
    assert (e2.requests, e2.interval_requests) == (150, 50)
    assert e2.rps == pytest.approx(100.0)  # 50 over the real 0.5 s interval
    assert e2.mean_rps == pytest.approx(150 / 2.5)
    assert e2.interval_latency.count == 50
    assert e2.interval_latency.p50 == e2.interval_latency.max == pytest.approx(5.0, rel=1e-3)
    assert e2.latency.count == 150
    assert e2.latency.p50 == pytest.approx(1.0, rel=1e-3)
    assert e2.latency.p90 == pytest.approx(5.0, rel=1e-3)
    assert e2.latency.max == pytest.approx(100.0, rel=1e-3)
    assert e2.status_codes == {200: 100, 201: 50}
    # the carried histogram is the interval's, exact
    assert H.decode(e2.histogram).total_count == 50

    clock.now += 1.0
    s3 = rec.tick(load=LOAD)
    e3 = s3.endpoint("GET /a")
    assert e3 is not None and e3.interval_requests == 0 and e3.rps == 0.0
    assert e3.interval_latency.count == 0 and e3.latency.count == 150
    assert [s.seq for s in (s1, s2, s3)] == [0, 1, 2]
    assert s3.wall == pytest.approx(1_700_000_000.0 + clock.now)


def test_total_merges_endpoints_in_order_of_first_use() -> None:
    rec, clock = make()
    rec.endpoint("b").success(2000, 200)
    rec.endpoint("a", "POST").failure("HTTP 500", 40_000, status=500)
    rec.endpoint("b", "GET").success(3000, 200)  # method filled in later
    clock.now += 1.0
    snap = rec.tick(load=LOAD)
    assert [e.name for e in snap.endpoints] == ["b", "a"]
    assert [e.method for e in snap.endpoints] == ["GET", "POST"]
    tot = snap.total
    assert tot.name == TOTAL_NAME
    assert (tot.requests, tot.failures, tot.interval_failures) == (3, 1, 1)
    assert tot.status_codes == {200: 2, 500: 1}
    assert tot.errors == {"HTTP 500": 1}
    assert tot.latency.count == 3
    assert tot.latency.max == pytest.approx(40.0, rel=1e-3)
    assert tot.rps == pytest.approx(3.0)
    merged = H.merge(H.decode(e.histogram) for e in snap.endpoints)
    assert H.latency_of(merged) == H.latency_of(H.decode(tot.histogram)) == tot.interval_latency
    assert tot.error_rate == pytest.approx(1 / 3)


def test_failures_without_latency_are_counted_not_recorded() -> None:
    rec, clock = make()
    ep = rec.endpoint("x")
    ep.failure("refused")
    ep.failure("timeout", 30_000_000)
    ep.failure("check: body", 1200, status=200, bytes_in=50)
    clock.now += 1
    e = rec.tick(load=LOAD).endpoint("x")
    assert e is not None
    assert (e.requests, e.failures) == (3, 3)
    assert e.errors == {"refused": 1, "timeout": 1, "check: body": 1}
    assert e.status_codes == {200: 1}
    assert e.latency.count == 2
    assert e.latency.max == pytest.approx(30_000.0, rel=1e-3)
    assert e.bytes_in == 50
    assert e.error_rate == 1.0


def test_rate_limit_lane_is_kept_apart() -> None:
    rec, clock = make()
    ep = rec.endpoint("x")
    ep.success(1000, 200)
    ep.rate_limited(429, 2.0, latency_us=300)
    ep.rate_limited(503, 1.5)
    ep.rate_limited(429, None)
    ep.honoured(2.0)
    ep.honoured(1.5)
    clock.now += 1
    snap = rec.tick(load=LOAD)
    e = snap.endpoint("x")
    assert e is not None
    assert (e.requests, e.failures, e.errors) == (1, 0, {})
    assert e.latency.count == 1 and e.latency.min == pytest.approx(1.0, rel=1e-3)
    assert e.status_codes == {200: 1, 429: 2, 503: 1}
    rl = snap.rate_limit
    assert (rl.responses, rl.with_retry_after, rl.honoured) == (3, 2, 2)
    assert rl.waited_s == pytest.approx(3.5)
    assert snap.total.requests == 1


def test_events_are_delivered_once_with_run_time() -> None:
    rec, clock = make()
    clock.now += 1.25
    ev = rec.add_event("operator", "users set to 10", users=10)
    assert ev.t == pytest.approx(1.25) and ev.data == {"users": 10}
    rec.add_event("stage", "stage 2/3")
    s1 = rec.tick(load=LOAD)
    assert [e.message for e in s1.events] == ["users set to 10", "stage 2/3"]
    assert s1.events[0] is ev
    assert rec.tick(load=LOAD).events == ()


def test_snapshots_share_no_mutable_state() -> None:
    rec, clock = make()
    ep = rec.endpoint("x")
    ep.success(1000, 200)
    ep.failure("timeout")
    clock.now += 1
    s1 = rec.tick(load=LOAD)
    e1 = s1.endpoint("x")
    assert e1 is not None
    e1.status_codes[999] = 1  # a careless consumer
    e1.errors.clear()
    s1.total.status_codes.clear()
    ep.success(1000, 200)
    ep.failure("timeout")
    clock.now += 1
    e2 = rec.tick(load=LOAD).endpoint("x")
    assert e2 is not None
    assert e2.status_codes == {200: 2}
    assert e2.errors == {"timeout": 2}
    assert e1.status_codes == {200: 1, 999: 1}


def test_expected_interval_turns_on_correction() -> None:
    rec, clock = make()
    ep = rec.endpoint("paced")
    ep.expected_interval_us = 250_000.7  # type: ignore[assignment]
    assert ep.expected_interval_us == 250_000
    ep.success(1_000_000, 200)  # stalled for 4 pacing intervals
    ep.failure("timeout", 500_000)
    ep.expected_interval_us = -3
    assert ep.expected_interval_us == 0
    ep.success(1_000_000, 200)
    clock.now += 1
    e = rec.tick(load=LOAD).endpoint("paced")
    assert e is not None
    assert e.requests == 3
    assert e.latency.count == 4 + 2 + 1
    assert e.latency.min == pytest.approx(250.0, rel=1e-3)


def test_gauges_warnings_and_degenerate_intervals() -> None:
    rec, _clock = make()
    pool, system = PoolGauges(open=4), SystemGauges(rss_bytes=123)
    snap = rec.tick(load=LOAD, pool=pool, system=system, warnings=("saturated",))
    assert snap.pool is pool and snap.system is system and snap.warnings == ("saturated",)
    assert snap.load is LOAD
    # no time passed, nothing recorded: rates are 0, not a ZeroDivisionError
    assert snap.interval_s == 0.0 and snap.total.rps == 0.0 and snap.total.mean_rps == 0.0
    assert snap.endpoints == () and snap.total.latency.count == 0
    assert H.decode(snap.total.histogram).total_count == 0
    rec.endpoint("x").success(10, 200)
    snap = rec.tick(load=LOAD)
    assert snap.total.requests == 1 and snap.total.rps == 0.0


def test_default_clock_runs() -> None:
    rec = Recorder()
    rec.start()
    rec.endpoint("x").success(1, 200)
    snap = rec.tick(load=LoadState())
    assert snap.t >= 0 and snap.wall > 1_600_000_000
