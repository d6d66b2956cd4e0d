"""The fast paths of loadtui.metrics.histogram must give exactly what hdrh gives."""

from __future__ import annotations

import sys

import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loadtui.metrics import histogram as H
from loadtui.metrics.snapshot import Latency

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Latencies as they occur (µs), around the 1 h top, and out-of-range ones to clamp.
values = st.one_of(
    st.integers(0, 3000),
    st.integers(0, 70_000_000),
    st.integers(3_500_000_000, 3_700_000_000),
    st.integers(-1000, 10**12),
)
PCTS = [0.001, 1.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0]


def clamp(v: int) -> int:
    return min(max(v, 0), H.HIGHEST_US)


def assert_same(a: HdrHistogram, b: HdrHistogram) -> None:
    assert a.total_count == b.total_count
    assert a.min_value == b.min_value
    assert a.max_value == b.max_value
    assert list(a.counts) == list(b.counts)


@SETTINGS
@given(st.lists(values, max_size=300))
def test_record_matches_record_value(vs: list[int]) -> None:
    fast, ref = H.new_histogram(), H.new_histogram()
    for v in vs:
        H.record(fast, v)
        assert ref.record_value(clamp(v))
    assert_same(fast, ref)
    assert H.encode(fast) == H.encode(ref)


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.integers(-100, 70_000_000),
            st.one_of(st.sampled_from([-5, 0, 1]), st.integers(200_000, 5_000_000)),
        ),
        max_size=40,
    )
)
def test_record_corrected_matches_hdrh(pairs: list[tuple[int, int]]) -> None:
    fast, ref = H.new_histogram(), H.new_histogram()
    for v, interval in pairs:
        if interval == 1:  # keep loops short: interval 1 only with small values
            v = v % 5000
        H.record_corrected(fast, v, interval)
        ref.record_corrected_value(clamp(v), interval)
    assert_same(fast, ref)


def test_record_corrected_fills_the_missed_starts() -> None:
    h = H.new_histogram()
    H.record_corrected(h, 1_000_000, 250_000)  # 1 s response, paced every 250 ms
    assert h.total_count == 4
    assert H.percentiles_us(h, [1.0])[0] == h.get_highest_equivalent_value(250_000)


def test_values_above_range_are_clamped_not_dropped() -> None:
    h = H.new_histogram()
    H.record(h, 10**10)
    H.record(h, -7)
    assert h.total_count == 2
    lat = H.latency_of(h)
    assert lat.max == pytest.approx(3_600_000, rel=1e-3)  # 1 h, in ms
    assert lat.min == 0.0
    assert H.is_clamped(10**10) and H.is_clamped(H.HIGHEST_US + 1)
    assert not H.is_clamped(H.HIGHEST_US) and not H.is_clamped(-7)


def test_an_hour_fits_and_90_s_is_90_s() -> None:
    h = H.new_histogram()
    H.record(h, 90_000_000)
    H.record(h, 3_599_000_000)
    assert H.latency_of(h).min == pytest.approx(90_000, rel=1e-3)
    assert H.latency_of(h).max == pytest.approx(3_599_000, rel=1e-3)


def test_tables_match_hdrh_for_every_index() -> None:
    h = H.new_histogram()
    high, median = H._tables(h.unit_magnitude, h.sub_bucket_half_count_magnitude, h.counts_len)
    for i in range(h.counts_len):
        v = h.get_value_from_index(i)
        assert high[i] == h.get_highest_equivalent_value(v)
        assert median[i] == h._hdr_median_equiv_value(v)


@settings(SETTINGS, max_examples=60)
@given(st.lists(values, min_size=1, max_size=300))
def test_percentiles_and_mean_match_hdrh(vs: list[int]) -> None:
    h = H.new_histogram()
    for v in vs:
        H.record(h, v)
    by_dict = h.get_percentile_to_value_dict(PCTS)
    assert H.percentiles_us(h, PCTS) == [by_dict[p] for p in PCTS]
    assert H.percentiles_us(h, [99.9])[0] == h.get_value_at_percentile(99.9)
    assert H.mean_us(h) == h.get_mean_value()
    lat = H.latency_of(h)
    assert lat.count == len(vs)
    assert lat.p999 == h.get_value_at_percentile(99.9) / 1000
    assert lat.max == h.get_max_value() / 1000
    assert lat.min == h.get_min_value() / 1000
    assert lat.min <= lat.p50 <= lat.p90 <= lat.p99 <= lat.p999 <= lat.max


def test_empty_histogram_is_all_zero() -> None:
    assert H.latency_of(H.new_histogram()) == Latency()
    assert H.percentiles_us(H.new_histogram(), [50.0, 99.0]) == [0, 0]
    assert H.mean_us(H.new_histogram()) == 0.0


@SETTINGS
@given(st.lists(values, max_size=300))
def test_encode_decode_round_trip(vs: list[int]) -> None:
    h = H.new_histogram()
    for v in vs:
        H.record(h, v)
    data = H.encode(h)
    assert isinstance(data, bytes)
    data.decode("ascii")  # base64: safe to put in JSON as text
    back = H.decode(data)
    assert back.total_count == h.total_count
    assert list(back.counts) == list(h.counts)
    assert H.latency_of(back) == H.latency_of(h)
    assert H.decode(data.decode("ascii")).total_count == h.total_count
    assert H.encode(back) == data


def test_decode_empty_and_garbage() -> None:
    assert H.decode(b"").total_count == 0
    assert H.decode(H.encode(H.new_histogram())).total_count == 0
    for bad in (b"not base64 at all!", b"SGVsbG8gd29ybGQ=", H.encode(H.new_histogram())[:-6]):
        with pytest.raises(ValueError):
            H.decode(bad)


@SETTINGS
@given(st.lists(st.lists(values, max_size=80), max_size=6), st.booleans())
def test_merge_is_exact(groups: list[list[int]], through_codec: bool) -> None:
    parts = []
    whole = H.new_histogram()
    for g in groups:
        h = H.new_histogram()
        for v in g:
            H.record(h, v)
            H.record(whole, v)
        parts.append(H.decode(H.encode(h)) if through_codec else h)
    merged = H.merge(parts)
    assert list(merged.counts) == list(whole.counts)
    assert merged.total_count == whole.total_count
    assert H.percentiles_us(merged, PCTS) == H.percentiles_us(whole, PCTS)
    assert H.latency_of(merged) == H.latency_of(whole)


def test_merge_keeps_min_when_one_side_is_empty() -> None:
    # hdrh's own `add` would report min 0 here.
    a = H.new_histogram()
    H.record(a, 5000)
    merged = H.merge([H.new_histogram(), a, H.new_histogram()])
    assert merged.get_min_value() == a.get_min_value() > 0
    into = H.new_histogram()
    H.add_into(into, a)
    assert H.latency_of(into).min == pytest.approx(5.0, rel=1e-3)


def test_merge_of_foreign_layout_rerecords_values() -> None:
    other = HdrHistogram(1, 10**13, 2)
    other.record_value(1500, 3)
    other.record_value(5_000_000_000, 1)  # beyond our range: clamped
    merged = H.merge([other])
    assert merged.total_count == 4
    assert H.latency_of(merged).max == pytest.approx(3_600_000, rel=1e-3)


def old_60s(vs: list[int]) -> bytes:
    """An interval histogram as sessions encoded it before the range grew to 1 h."""
    h = HdrHistogram(1, 60_000_000, 3)
    for v in vs:
        assert h.record_value(min(max(v, 0), 60_000_000))
    return bytes(h.encode())


@SETTINGS
@given(
    st.lists(st.lists(st.integers(-5, 70_000_000), max_size=60), min_size=1, max_size=5),
    st.lists(values, max_size=60),
)
def test_old_60s_histograms_decode_and_merge_exactly(olds: list[list[int]], new: list[int]) -> None:
    whole = H.new_histogram()
    parts = []
    for g in olds:
        parts.append(H.decode(old_60s(g)))
        for v in g:
            H.record(whole, min(v, 60_000_000))
    fresh = H.new_histogram()
    for v in new:
        H.record(fresh, v)
        H.record(whole, v)
    parts.insert(len(parts) // 2, fresh)
    merged = H.merge(parts)
    # Decoding keeps buckets, not exact extremes: compare what the buckets give.
    assert merged.total_count == whole.total_count
    assert list(merged.counts) == list(whole.counts)
    assert H.latency_of(merged) == H.latency_of(whole)
    assert H.percentiles_us(merged, PCTS) == H.percentiles_us(whole, PCTS)
    alone = H.decode(old_60s(olds[0]))  # read on its own, as an old session's replay does
    ref = H.new_histogram()
    for v in olds[0]:
        H.record(ref, min(v, 60_000_000))
    assert H.latency_of(alone) == H.latency_of(ref)


def test_reset_empties_in_place() -> None:
    h = H.new_histogram()
    for v in (1, 1000, 50_000_000):
        H.record(h, v)
    H.reset(h)
    assert h.total_count == 0 and h.max_value == 0 and h.min_value == sys.maxsize
    assert not any(h.counts)
    H.record(h, 42)
    assert H.latency_of(h).p50 == 0.042
