"""WebSocket stream figures: gauges derived from the engine's calls, interval vs
cumulative histograms, rates over the real interval, close-code accounting, and exact
totals over streams."""

from __future__ import annotations

import random

import pytest
from support.clocks import FakeClock, recorder

from loadtui.metrics import histogram as H
from loadtui.metrics.recorder import TOTAL_NAME, Recorder
from loadtui.metrics.snapshot import Latency, LoadState, StreamStats
from loadtui.metrics.streams import combine

LOAD = LoadState(state="running", streams=3, streams_target=4)


def make() -> tuple[Recorder, FakeClock]:
    return recorder(now=50.0)


def test_no_streams_no_figures() -> None:
    rec, clock = make()
    rec.endpoint("x").success(1000, 200)
    clock.now += 1
    snap = rec.tick(load=LOAD)
    assert snap.streams == () and snap.stream_total is None


def test_gauges_follow_the_calls() -> None:
    rec, clock = make()
    s = rec.stream("chat")
    for _ in range(4):
        s.connect_started()
    s.connected(2_000)
    s.connected(4_000)
    s.connect_failed("401")
    clock.now += 1
    st = rec.tick(load=LOAD).stream("chat")
    assert st is not None
    assert (st.open, st.connecting, st.opened, st.failed) == (2, 1, 2, 1)
    assert st.handshake_failures == {"401": 1}
    assert st.handshake.count == 2
    assert st.handshake.min == pytest.approx(2.0, rel=1e-3)
    assert st.handshake.max == pytest.approx(4.0, rel=1e-3)

    s.connect_failed("refused")  # the last connecting one
    s.connect_failed("timeout")  # a failure without a start: never a negative gauge
    s.closed(1000, abnormal=False)
    s.closed(None, abnormal=True)
    s.closed(1000, abnormal=False)  # more closes than opens: open stays at 0
    clock.now += 1
    st = rec.tick(load=LOAD).stream("chat")
    assert st is not None
    assert (st.open, st.connecting, st.failed, st.closed) == (0, 0, 3, 3)
    assert st.handshake_failures == {"401": 1, "refused": 1, "timeout": 1}
    assert st.close_codes == {1000: 2, 1006: 1}
    assert st.disconnects == 1


def test_close_codes_and_disconnects() -> None:
    rec, clock = make()
    s = rec.stream("x")
    for code, abnormal in [
        (1000, False),  # normal closure
        (1001, False),  # going away
        (1000, True),  # a clean code the engine still calls abnormal (closed mid-stream)
        (1011, False),  # server error
        (4001, False),  # application code
        (None, True),  # dropped: no close frame
        (None, False),
    ]:
        s.connect_started()
        s.connected(1000)
        s.closed(code, abnormal)
    clock.now += 1
    st = rec.tick(load=LOAD).streams[0]
    assert st.close_codes == {1000: 2, 1001: 1, 1011: 1, 4001: 1, 1006: 2}
    assert st.disconnects == 5
    assert (st.closed, st.open) == (7, 0)


def test_interval_and_cumulative_figures_and_rates() -> None:
    rec, clock = make()
    s = rec.stream("echo")
    s.connect_started()
    s.connected(3_000)
    s.first_message(5_000)
    for _ in range(100):
        s.sent(10)
        s.received(12)
        s.rtt(1_000)
    s.gap(100_000)
    s.reconnect()
    s.error("message too big")
    clock.now += 2.0
    snap = rec.tick(load=LOAD)
    st = snap.stream("echo")
    assert st is not None
    assert (st.messages_sent, st.messages_received) == (100, 100)
    assert (st.bytes_sent, st.bytes_received) == (1000, 1200)
    assert st.sent_per_s == pytest.approx(50.0) and st.received_per_s == pytest.approx(50.0)
    assert st.rtt == st.interval_rtt and st.rtt.count == 100
    assert st.rtt.p50 == pytest.approx(1.0, rel=1e-3)
    assert st.first_message.count == 1 and st.first_message.p50 == pytest.approx(5.0, rel=1e-3)
    assert st.gap.max == pytest.approx(100.0, rel=1e-3)
    assert (st.reconnects, st.errors) == (1, {"message too big": 1})
    assert sorted(st.histograms) == ["first_message", "gap", "handshake", "rtt"]
    assert H.decode(st.histograms["rtt"]).total_count == 100

    for _ in range(30):
        s.received(12)  # a push stream: no sends, no rtt
    s.gap(50_000)
    clock.now += 0.5
    st = rec.tick(load=LOAD).stream("echo")
    assert st is not None
    assert st.sent_per_s == 0.0
    assert st.received_per_s == pytest.approx(60.0)  # 30 over the real 0.5 s
    assert st.messages_received == 130
    assert st.interval_rtt.count == 0 and st.rtt.count == 100  # cumulative kept
    assert st.gap.count == 2 and st.gap.min == pytest.approx(50.0, rel=1e-3)
    assert list(st.histograms) == ["gap"]  # empty figures are left out
    assert H.decode(st.histograms["gap"]).total_count == 1

    clock.now += 1.0
    st = rec.tick(load=LOAD).stream("echo")
    assert st is not None and st.histograms == {} and st.received_per_s == 0.0


def test_streams_keep_order_and_the_total_is_an_exact_merge() -> None:
    rng = random.Random(7)
    rec, clock = make()
    names = ["push", "echo", "chat"]
    assert rec.stream("push") is rec.stream("push")
    reference = {f: H.new_histogram() for f in ("rtt", "handshake")}
    interval_rtt = H.new_histogram()
    for tick in range(3):
        H.reset(interval_rtt)
        for name in names:
            s = rec.stream(name)
            for _ in range(rng.randint(1, 5)):
                us = rng.randint(200, 90_000)
                s.connect_started()
                s.connected(us)
                reference["handshake"].record_value(us)
            for _ in range(rng.randint(20, 200)):
                us = rng.randint(50, 2_000_000) if name != "push" else rng.randint(10, 500)
                s.sent(8)
                s.received(8)
                s.rtt(us)
                reference["rtt"].record_value(us)
                interval_rtt.record_value(us)
        s.closed(4000 + tick, abnormal=False)
        clock.now += 1
        snap = rec.tick(load=LOAD)
    assert [st.name for st in snap.streams] == names
    tot = snap.stream_total
    assert tot is not None and tot.name == TOTAL_NAME
    assert tot.rtt == H.latency_of(reference["rtt"])
    assert tot.handshake == H.latency_of(reference["handshake"])
    assert tot.interval_rtt == H.latency_of(interval_rtt)
    assert tot.messages_sent == sum(st.messages_sent for st in snap.streams)
    assert tot.opened == sum(st.opened for st in snap.streams) == tot.open + 3
    assert tot.received_per_s == pytest.approx(sum(st.received_per_s for st in snap.streams))
    assert tot.close_codes == {4000: 1, 4001: 1, 4002: 1}
    assert tot.histograms == {}
    # the interval histograms the streams carry add up to the total's last interval
    merged = H.merge(H.decode(st.histograms["rtt"]) for st in snap.streams)
    assert H.latency_of(merged) == tot.interval_rtt


def test_snapshots_share_no_mutable_state() -> None:
    rec, clock = make()
    s = rec.stream("x")
    s.connect_failed("503")
    s.closed(1000, False)
    s.error("unmatched reply")
    clock.now += 1
    first = rec.tick(load=LOAD)
    st = first.stream("x")
    assert st is not None and first.stream_total is not None
    st.close_codes[9999] = 1
    st.handshake_failures.clear()
    first.stream_total.errors.clear()
    clock.now += 1
    again = rec.tick(load=LOAD).stream("x")
    assert again is not None
    assert again.close_codes == {1000: 1}
    assert again.handshake_failures == {"503": 1}
    assert again.errors == {"unmatched reply": 1}


def test_extreme_values_are_clamped_not_lost() -> None:
    rec, _clock = make()
    s = rec.stream("x")
    s.rtt(-5)  # a clock step
    s.rtt(10**12)  # far beyond 1 h
    s.gap(90_000_000)  # 90 s: within the range
    st = rec.tick(load=LOAD).streams[0]  # no time passed
    assert st.rtt.count == 2
    assert st.rtt.min == 0.0 and st.rtt.max == pytest.approx(3_600_000.0, rel=1e-3)
    assert st.gap.max == pytest.approx(90_000.0, rel=1e-3)
    assert st.clamped == 1  # counted, not hidden
    assert st.sent_per_s == 0.0  # no time passed: no division by zero


def _stream(name: str, p50: float, count: int, **kw: object) -> StreamStats:
    lat = Latency(count=count, min=p50 / 2, mean=p50, p50=p50, p95=p50 * 2, max=p50 * 3)
    return StreamStats(name=name, rtt=lat, interval_rtt=lat, **kw)  # type: ignore[arg-type]


def test_combine_without_a_recorded_total() -> None:
    one = _stream("a", 2.0, 10, open=3, close_codes={1000: 2}, histograms={"rtt": b"x"})
    alone = combine("Aggregated", [one])
    assert alone.name == "Aggregated" and alone.rtt == one.rtt and alone.open == 3
    assert alone.histograms == {}
    two = _stream("b", 5.0, 30, open=1, close_codes={1000: 1, 1006: 4}, errors={"e": 1})
    both = combine("Aggregated", [one, two])
    assert (both.open, both.close_codes, both.errors) == (4, {1000: 3, 1006: 4}, {"e": 1})
    assert both.rtt.count == 40
    assert both.rtt.p95 == 10.0 and both.rtt.min == 1.0  # worst p95, lowest min
    assert both.rtt.mean == pytest.approx((2.0 * 10 + 5.0 * 30) / 40)
    assert both.handshake == Latency()  # nothing measured anywhere
