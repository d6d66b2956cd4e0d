"""The per-endpoint figures verdicts are built on: latencies beyond the histograms' range
counted (`clamped`, a warning once), judged responses (`checks`, `checks_failed`),
rate-limited responses, and requests cut off at stop (`unfinished`); totals sum them and
the report carries them. On an injected clock: no real waiting for a 90 s latency."""

from __future__ import annotations

import pytest
from support.clocks import FakeClock, recorder

from loadtui.metrics.histogram import HIGHEST_US
from loadtui.metrics.recorder import Recorder
from loadtui.metrics.snapshot import LoadState
from loadtui.report.build import build_report

LOAD = LoadState(state="running")
NINETY_S = 90_000_000
TWO_H = 2 * 3600 * 1_000_000


def make() -> tuple[Recorder, FakeClock]:
    return recorder(now=10.0)


def test_a_90_s_latency_is_reported_as_90_s() -> None:
    rec, clock = make()
    ep = rec.endpoint("/slow", "GET")
    ep.success(NINETY_S, 200)
    ep.success(20_000, 200)
    clock.now += 1
    snap = rec.tick(load=LOAD)
    slow = snap.endpoint("/slow")
    assert slow is not None and slow.clamped == 0
    assert slow.latency.max == pytest.approx(90_000, rel=1e-3)
    report = build_report(snap, [], info={})
    assert report["latency_ms"]["max"] == pytest.approx(90_000, rel=1e-3)
    assert report["endpoints"][0]["latency_ms"]["max"] == pytest.approx(90_000, rel=1e-3)
    assert report["clamped"] == 0
    assert not [e for e in snap.events if e.kind == "warning"]


def test_latencies_beyond_an_hour_are_clamped_counted_and_warned_once() -> None:
    rec, clock = make()
    x = rec.endpoint("/x", "GET")
    y = rec.endpoint("/y", "POST")
    x.success(TWO_H, 200)
    x.failure("unfinished", TWO_H)  # a request cut off after waiting two hours
    y.success(1_000, 200)
    clock.now += 1
    first = rec.tick(load=LOAD)
    ex = first.endpoint("/x")
    assert ex is not None and ex.clamped == 2
    assert ex.latency.max == pytest.approx(HIGHEST_US / 1000, rel=1e-3)  # at the top: 1 h
    assert first.total.clamped == 2
    warnings = [e.message for e in first.events if e.kind == "warning"]
    assert warnings == ["latencies beyond 1h on GET /x are counted as 1h"]

    x.success(TWO_H, 200)
    y.failure("read_timeout", HIGHEST_US + 1)
    clock.now += 1
    second = rec.tick(load=LOAD)
    warnings = [e.message for e in second.events if e.kind == "warning"]
    assert warnings == ["latencies beyond 1h on POST /y are counted as 1h"]  # /x: said once
    assert second.total.clamped == 4
    report = build_report(second, [], info={})
    assert report["clamped"] == 4
    assert [e["clamped"] for e in report["endpoints"]] == [3, 1]


def test_stream_latencies_beyond_an_hour_are_counted_and_warned_once() -> None:
    rec, clock = make()
    st = rec.stream("chat")
    st.connected(1_000)
    st.rtt(TWO_H)
    st.gap(TWO_H)
    clock.now += 1
    snap = rec.tick(load=LOAD)
    chat = snap.stream("chat")
    assert chat is not None and chat.clamped == 2
    assert snap.stream_total is not None and snap.stream_total.clamped == 2
    assert [e.message for e in snap.events if e.kind == "warning"] == [
        "latencies beyond 1h on stream chat are counted as 1h"
    ]
    st.rtt(TWO_H)
    clock.now += 1
    assert not [e for e in rec.tick(load=LOAD).events if e.kind == "warning"]


def test_every_judged_response_is_one_check() -> None:
    rec, clock = make()
    ep = rec.endpoint("/a", "GET")
    for _ in range(5):
        ep.success(1_000, 200)
    ep.failure("HTTP 500", 1_000, status=500)  # the implicit status < 400 check
    ep.failure("check: body_contains", 1_000, status=200)
    ep.failure("extract: token", 1_000, status=200)
    ep.failure("refused")  # no response: nothing to judge
    ep.failure("unfinished", 2_000_000)
    ep.failure("missing variable: id")
    ep.rate_limited(429, 1.0)  # refused to answer: not judged
    clock.now += 1
    snap = rec.tick(load=LOAD)
    a = snap.endpoint("/a")
    assert a is not None
    assert (a.checks, a.checks_failed) == (8, 3)
    assert a.rate_limited == 1
    assert a.errors["unfinished"] == 1 and a.requests == 11 and a.failures == 6

    b = rec.endpoint("/b", "GET")
    b.success(1_000, 201)
    b.rate_limited(503, 2.0)
    b.rate_limited(429, None)
    clock.now += 1
    snap = rec.tick(load=LOAD)
    assert (snap.total.checks, snap.total.checks_failed) == (9, 3)
    assert snap.total.rate_limited == 3 == snap.rate_limit.responses
    report = build_report(snap, [], info={})
    assert (report["checks"], report["checks_failed"]) == (9, 3)
    eps = {e["name"]: e for e in report["endpoints"]}
    assert eps["/a"]["checks_failed"] == 3 and eps["/b"]["checks"] == 1
    assert eps["/b"]["rate_limited"] == {"responses": 2}
    assert report["rate_limited"]["responses"] == 3  # the run's lane, with Retry-After
    assert report["errors"]["unfinished"] == 1


def test_count_errors_sees_what_is_not_ticked_yet() -> None:
    rec, _ = make()
    rec.endpoint("/a").failure("unfinished", 10)
    rec.endpoint("/b").failure("unfinished", 10)
    rec.endpoint("/b").failure("refused")
    assert rec.count_errors("unfinished") == 2
