"""Breach events: once when a threshold breaks, once when it recovers, never on no data."""

from __future__ import annotations

from loadtui.metrics.snapshot import EndpointStats, Latency, LoadState, Snapshot
from loadtui.report.breaches import BreachWatch
from loadtui.scenario.model import Threshold


def snap(seq: int, p95: float, requests: int = 10) -> Snapshot:
    lat = Latency(count=requests, p95=p95, max=p95)
    ep = EndpointStats("a", requests=requests, latency=lat)
    total = EndpointStats("Aggregated", requests=requests, latency=lat)
    return Snapshot(seq, seq * 0.5, 0.0, 0.5, LoadState(), total, (ep,))


def test_breach_and_recovery_are_single_events() -> None:
    watch = BreachWatch(
        [
            Threshold("p95", "<", 100.0, text="< 100ms"),
            Threshold("p95", "<", 50.0, endpoint="a", text="< 50ms"),
        ]
    )
    assert watch.check(snap(0, 0.0, requests=0)) == []  # no data: neither side
    assert watch.check(snap(1, 40.0)) == []
    broke = watch.check(snap(2, 70.0))
    assert [e.kind for e in broke] == ["breach"]
    assert "a: p95 < 50ms" in broke[0].message and "70" in broke[0].message
    assert watch.check(snap(3, 75.0)) == []  # still broken: no repeat
    assert [r.name for r in watch.breached("a")] == ["a: p95 < 50ms"]
    assert watch.breached(None) == []
    both = watch.check(snap(4, 150.0))
    assert [e.kind for e in both] == ["breach"] and "p95 < 100ms" in both[0].message
    back = watch.check(snap(5, 10.0))
    assert sorted(e.kind for e in back) == ["info", "info"]
    assert watch.breached("a") == [] and watch.breached(None) == []


def test_no_thresholds_no_work() -> None:
    watch = BreachWatch([])
    assert watch.check(snap(1, 1e6)) == [] and watch.results == []
