"""Window figures are exact: what a window of ticks shows equals one histogram fed every
value of those ticks, however the window slid, was cleared or was rebuilt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loadtui.metrics.histogram import (
    HIGHEST_US,
    decode,
    encode,
    latency_of,
    merge,
    new_histogram,
    record,
)
from loadtui.metrics.snapshot import EndpointStats, Latency, LoadState, Snapshot
from loadtui.metrics.window import SlidingWindow, Stretch

TICK_S = 0.25
NAMES = ("/a", "/b")
# One tick: per endpoint, (latencies in µs, failures among them).
TickValues = tuple[tuple[list[int], int], ...]


def stats(
    name: str, values: Sequence[int], failures: int, h: HdrHistogram | None = None
) -> EndpointStats:
    if h is None:
        h = new_histogram()
        for v in values:
            record(h, v)
    return EndpointStats(
        name=name,
        interval_requests=len(values),
        interval_failures=failures,
        histogram=encode(h) if h.total_count else b"",
    )


def tick(seq: int, values: TickValues) -> Snapshot:
    """Tick `seq` (at seq × TICK_S) with the given values per endpoint."""
    endpoints = tuple(stats(n, v, f) for n, (v, f) in zip(NAMES, values, strict=True))
    every = [x for v, _ in values for x in v]
    total = stats("Total", every, sum(f for _, f in values))
    return Snapshot(
        seq=seq,
        t=seq * TICK_S,
        wall=0.0,
        interval_s=TICK_S,
        load=LoadState(),
        total=total,
        endpoints=endpoints,
    )


def fed(values: Sequence[int]) -> Latency:
    """The figures of one histogram fed every value directly."""
    h = new_histogram()
    for v in values:
        record(h, v)
    return latency_of(h)


latencies = st.lists(st.integers(min_value=1, max_value=HIGHEST_US), max_size=12)
tick_values = st.tuples(
    *(st.tuples(latencies, st.integers(min_value=0, max_value=3)) for _ in NAMES)
).map(lambda t: tuple((v, min(f, len(v))) for v, f in t))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ticks=st.lists(tick_values, min_size=1, max_size=24),
    window_ticks=st.integers(min_value=1, max_value=10),
)
def test_the_sliding_window_equals_one_histogram_fed_every_value_of_its_ticks(
    ticks: list[TickValues], window_ticks: int
) -> None:
    window = SlidingWindow(window_ticks * TICK_S)
    for i, values in enumerate(ticks):
        window.add(tick(i + 1, values))
        held = ticks[max(0, i + 1 - window_ticks) : i + 1]
        view = window.view()
        assert view is not None and view.seq == i + 1
        assert view.interval_s == pytest.approx(len(held) * TICK_S)
        for k, row in enumerate(view.endpoints):
            values_k = [x for t in held for x in t[k][0]]
            assert row.interval_latency == fed(values_k)
            assert row.interval_requests == len(values_k)
            assert row.interval_failures == sum(t[k][1] for t in held)
            assert row.rps == pytest.approx(len(values_k) / view.interval_s)
        every = [x for t in held for v, _ in t for x in v]
        assert view.total.interval_latency == fed(every)
        assert view.total.interval_requests == len(every)


@settings(max_examples=30, deadline=None)
@given(ticks=st.lists(tick_values, min_size=2, max_size=20), cut=st.integers(0, 19))
def test_a_stretch_cleared_holds_only_the_ticks_since(ticks: list[TickValues], cut: int) -> None:
    cut = min(cut, len(ticks) - 1)
    stretch = Stretch(endpoints=False)
    for i, values in enumerate(ticks[:cut]):
        stretch.add(tick(i + 1, values))
    stretch.clear()
    for i, values in enumerate(ticks[cut:], start=cut):
        stretch.add(tick(i + 1, values))
    view = stretch.view()
    assert view is not None
    since = [x for t in ticks[cut:] for v, _ in t for x in v]
    assert view.total.interval_latency == fed(since)
    assert view.total.interval_requests == len(since)
    assert view.interval_s == pytest.approx((len(ticks) - cut) * TICK_S)
    assert view.endpoints == tick(len(ticks), ticks[-1]).endpoints  # left as they came


def test_whole_run_figures_pass_through_and_the_same_tick_twice_counts_once() -> None:
    snap = tick(1, (([1000, 2000], 1), ([3000], 0)))
    snap = replace(snap, total=replace(snap.total, requests=99, failures=7, mean_rps=12.5))
    window = SlidingWindow(10.0)
    window.add(snap)
    window.add(snap)
    view = window.view()
    assert view is not None
    assert (view.total.requests, view.total.failures, view.total.mean_rps) == (99, 7, 12.5)
    assert view.total.interval_requests == 3 and view.total.histogram == b""


def test_time_going_back_starts_afresh() -> None:
    window = SlidingWindow(10.0)
    for i in range(1, 6):
        window.add(tick(i, (([5000], 0), ([], 0))))
    window.add(tick(1, (([7000], 0), ([], 0))))  # a new run on the same screen
    view = window.view()
    assert view is not None
    assert view.total.interval_requests == 1 and view.total.interval_latency == fed([7000])


def test_an_empty_window_reads_zero_without_dividing() -> None:
    window = SlidingWindow(0.5)
    window.add(tick(1, (([4000], 1), ([], 0))))
    for i in range(2, 5):
        window.add(tick(i, (([], 0), ([], 0))))
    view = window.view()
    assert view is not None
    assert view.total.interval_latency == Latency() and view.total.interval_requests == 0
    assert view.total.rps == 0.0 and view.endpoints[0].interval_failures == 0
    assert SlidingWindow(1.0).view() is None
    with pytest.raises(ValueError):
        SlidingWindow(0.0)


def test_slide_to_matches_feeding_tick_by_tick_forward_back_and_far() -> None:
    values = [(([1000 + 97 * i, 40_000 + i], i % 2), ([300 * (i + 1)], 0)) for i in range(80)]
    ticks = [tick(i + 1, v) for i, v in enumerate(values)]
    times = [s.t for s in ticks]
    moved = SlidingWindow(2.0)
    for index in (0, 3, 4, 12, 11, 2, 79, 40, 41, 45, 0):
        moved.slide_to(ticks, times, index)
        fresh = SlidingWindow(2.0)
        for s in ticks[: index + 1]:
            fresh.add(s)
        assert moved.view() == fresh.view(), index
        assert moved.ticks == fresh.ticks <= 8


def test_a_tick_in_another_layout_is_rebinned_exactly() -> None:
    """An older session's histograms (60 s range, or 2 digits): merged as `merge` does."""
    foreign = HdrHistogram(1, 60_000_000, 2)
    values = [120, 4_321, 98_765, 59_000_000]
    for v in values:
        foreign.record_value(v)
    ours = tick(2, (([2500, 7000], 0), ([], 0)))
    old = Snapshot(
        seq=1,
        t=TICK_S,
        wall=0.0,
        interval_s=TICK_S,
        load=LoadState(),
        total=stats("Total", values, 0, foreign),
    )
    window = SlidingWindow(10.0, endpoints=False)
    window.add(old)
    window.add(ours)
    view = window.view()
    assert view is not None
    expected = merge([decode(encode(foreign)), decode(ours.total.histogram)])
    assert view.total.interval_latency == latency_of(expected)


def test_a_damaged_histogram_is_a_value_error_and_leaves_nothing_half_added() -> None:
    window = SlidingWindow(10.0)
    window.add(tick(1, (([1000], 0), ([2000], 0))))
    good = tick(2, (([1500], 0), ([2500], 0)))
    bad = replace(
        good, endpoints=(good.endpoints[0], replace(good.endpoints[1], histogram=b"not one"))
    )
    with pytest.raises(ValueError, match="not an encoded HdrHistogram"):
        window.add(bad)
    assert window.view() is None and window.ticks == 0
    window.add(good)
    view = window.view()
    assert view is not None and view.total.interval_latency == fed([1500, 2500])
