"""Latency histograms: HdrHistogram of microseconds, 1 µs .. 1 h, 3 significant digits.

Histograms travel as the standard compressed base64 HdrHistogram form, so merging
workers or recomputing a percentile over any window later is exact. A value beyond the
range is recorded at its top (never dropped) and the recorders count it (`is_clamped`,
inlined on their hot path), so a report can say so instead of hiding it.

`record` is the per-request hot path (~45k req/s in one process): hdrh's `record_value`
costs ~1.1 µs, mostly in generic index arithmetic through method calls. `record` does the
same arithmetic for our fixed layout inline and writes the counts array directly; the
tests prove it yields exactly the histogram `record_value` would. Percentiles and means
are read through prefix sums instead of hdrh's per-index Python loops (which walk all
23k counters and cost milliseconds per call).

Sessions written before the range grew hold 60 s histograms (1 µs .. 60 s, 17k
counters). Their counters sit at the same indexes as ours (same unit and sub-bucket
layout, fewer buckets), so `add_into` merges them exactly.
"""

from __future__ import annotations

import ctypes
import sys
from bisect import bisect_left
from collections.abc import Iterable
from functools import lru_cache
from itertools import accumulate, islice
from operator import mul

from hdrh.histogram import HdrHistogram
from pyhdrh import add_array

from loadtui.metrics.snapshot import PERCENTILES, Latency

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # 1 h: larger latencies are recorded as 1 h and counted
SIGNIFICANT_FIGURES = 3
RANGE_LABEL = "1h"  # HIGHEST_US as people write it, for messages

# Layout of HdrHistogram(1, 3_600_000_000, 3): unit_magnitude 0,
# sub_bucket_half_count_magnitude 10, 22 buckets (23,552 counters), so sub_bucket_mask
# 2047 and counts index = (b << 10) + (v >> b) with b = bit_length(v | 2047) - 11.
# Checked against a real histogram at import. The 60 s layout of older sessions differs
# only in its bucket count (16, 17,408 counters).
_MASK = 2047
_SHIFT = 11
_HALF_MAG = 10


def new_histogram() -> HdrHistogram:
    """An empty latency histogram (µs)."""
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)


def _check_layout() -> None:
    h = new_histogram()
    if (
        h.unit_magnitude != 0
        or h.sub_bucket_mask != _MASK
        or h.sub_bucket_half_count_magnitude != _HALF_MAG
    ):  # pragma: no cover - guards against an hdrh change
        raise RuntimeError("unexpected HdrHistogram layout; fast record would be wrong")


_check_layout()


def same_layout(a: HdrHistogram, b: HdrHistogram) -> bool:
    return bool(a.counts_len == b.counts_len) and same_indexes(a, b)


def same_indexes(a: HdrHistogram, b: HdrHistogram) -> bool:
    """Each value lands at the same counts index in both (they may differ in range)."""
    # bool(): hdrh is untyped, so its attributes (and these comparisons) are Any to mypy.
    return bool(
        a.unit_magnitude == b.unit_magnitude
        and a.sub_bucket_half_count_magnitude == b.sub_bucket_half_count_magnitude
        and a.word_size == b.word_size == 8  # hdrh's counters; decoded ones always are
    )


def is_clamped(value: int) -> bool:
    """True for a latency (µs) that `record` can only keep as HIGHEST_US."""
    return value > HIGHEST_US


def record(h: HdrHistogram, value: int) -> None:
    """Record one latency (µs, int); same result as `h.record_value(clamp(value))`.

    Values above 1 h count as 1 h (callers count them: `is_clamped`) and negative ones as
    0 (a clock step must not lose a sample). Only for histograms made by `new_histogram`
    or decoded from one of them.
    """
    if value > HIGHEST_US:
        value = HIGHEST_US
    elif value < 0:
        value = 0
    b = (value | _MASK).bit_length() - _SHIFT
    h.counts[(b << _HALF_MAG) + (value >> b)] += 1
    h.total_count += 1
    if value < h.min_value:
        h.min_value = value
    if value > h.max_value:
        h.max_value = value


def record_corrected(h: HdrHistogram, value: int, expected_interval: int) -> None:
    """`h.record_corrected_value(clamp(value), expected_interval)`, done directly.

    Coordinated-omission correction for paced users: a response that took k intervals
    also stands for the k-1 starts the user could not make meanwhile, recorded as
    value - interval, value - 2*interval, ... down to the first value <= interval.
    """
    if value > HIGHEST_US:
        value = HIGHEST_US
    elif value < 0:
        value = 0
    if expected_interval <= 0 or value <= expected_interval:
        record(h, value)
        return
    counts = h.counts
    v = value
    n = 0
    while True:
        b = (v | _MASK).bit_length() - _SHIFT
        counts[(b << _HALF_MAG) + (v >> b)] += 1
        n += 1
        if v <= expected_interval:
            break
        v -= expected_interval
    h.total_count += n
    if v < h.min_value:
        h.min_value = v
    if value > h.max_value:
        h.max_value = value


def reset(h: HdrHistogram) -> None:
    """Empty `h` in place (hdrh's reset loops over every counter in Python)."""
    ctypes.memset(h.counts, 0, ctypes.sizeof(h.counts))
    h.total_count = 0
    h.min_value = sys.maxsize
    h.max_value = 0


def encode(h: HdrHistogram) -> bytes:
    """Standard HdrHistogram V2 compressed, base64 form (ASCII bytes)."""
    return bytes(h.encode())


def decode(data: bytes | str) -> HdrHistogram:
    """Inverse of `encode`; an empty input gives an empty histogram.

    Raises ValueError on anything malformed (hdrh raises base64, zlib, cookie and
    length errors of its own), so log readers have one thing to catch.
    """
    if not data:
        return new_histogram()
    try:
        return HdrHistogram.decode(data)
    except Exception as exc:
        raise ValueError(f"not an encoded HdrHistogram: {exc}") from exc


def add_into(dst: HdrHistogram, src: HdrHistogram) -> None:
    """dst += src, exactly when `src` shares dst's indexes and fits in it (ours, or a 60 s
    one from an older session). hdrh's `add` sets min to 0 when either side is empty."""
    if not src.total_count:
        return
    if same_indexes(dst, src) and src.counts_len <= dst.counts_len:
        # C loop over src's counters, which sit at the same indexes in dst
        add_array(ctypes.addressof(dst.counts), ctypes.addressof(src.counts), src.counts_len, 8)
        dst.total_count += src.total_count
    else:  # a foreign layout: re-record every bucket at its lowest value
        for i in range(src.counts_len):
            c = src.get_count_at_index(i)
            if c:
                v = min(src.get_value_from_index(i), HIGHEST_US)
                dst.record_value(v, c)
        return
    if src.min_value < dst.min_value:
        dst.min_value = src.min_value
    if src.max_value > dst.max_value:
        dst.max_value = src.max_value


def merge(hists: Iterable[HdrHistogram]) -> HdrHistogram:
    """A new histogram holding the sum of `hists`."""
    out = new_histogram()
    for h in hists:
        add_into(out, h)
    return out


@lru_cache(maxsize=8)
def _tables(unit_magnitude: int, half_mag: int, counts_len: int) -> tuple[list[int], list[int]]:
    """Per counts index: highest equivalent value and median equivalent value (hdrh's)."""
    half = 1 << half_mag
    high: list[int] = []
    median: list[int] = []
    for i in range(counts_len):
        bucket = (i >> half_mag) - 1
        sub = (i & (half - 1)) + half
        if bucket < 0:
            sub -= half
            bucket = 0
        low = sub << (bucket + unit_magnitude)
        size = 1 << (unit_magnitude + bucket)
        high.append(low + size - 1)
        median.append(low + (size >> 1))
    return high, median


def _span(h: HdrHistogram) -> tuple[int, list[int]]:
    """(first index, counts from the lowest to the highest recorded index), as a list.

    Slicing only the recorded span keeps reads proportional to the latency spread, not to
    the 23k slots of the full range.
    """
    hi = h.get_counts_array_index(h.max_value) + 1
    lo = h.get_counts_array_index(h.min_value) if h.min_value <= h.max_value else 0
    lo = max(0, min(lo, hi - 1))
    return lo, h.counts[lo : min(hi, h.counts_len)]


def _read(h: HdrHistogram, percentiles: Iterable[float]) -> tuple[list[int], float]:
    """hdrh's `get_value_at_percentile` for each percentile (> 0) and `get_mean_value`."""
    ps = list(percentiles)
    total = h.total_count
    if not total:
        return [0] * len(ps), 0.0
    high, median = _tables(h.unit_magnitude, h.sub_bucket_half_count_magnitude, h.counts_len)
    lo, counts = _span(h)
    cum = list(accumulate(counts))
    values: list[int] = []
    for p in ps:
        target = max(int(min(p, 100.0) * total / 100 + 0.5), 1)
        i = bisect_left(cum, target)
        values.append(high[lo + i] if i < len(cum) else 0)
    mean = float(sum(map(mul, counts, islice(median, lo, None)))) / total
    return values, mean


def percentiles_us(h: HdrHistogram, percentiles: Iterable[float]) -> list[int]:
    """hdrh's `get_value_at_percentile` for each percentile (> 0), in one pass."""
    return _read(h, percentiles)[0]


def mean_us(h: HdrHistogram) -> float:
    """hdrh's `get_mean_value` (median-equivalent weighting), without its iterator."""
    return _read(h, ())[1]


def latency_of(h: HdrHistogram) -> Latency:
    """Percentiles in milliseconds; all zeros when `h` is empty."""
    if not h.total_count:
        return Latency()
    names = ["p999" if name == "p99.9" else name for name, _ in PERCENTILES]
    values, mean = _read(h, [p for _, p in PERCENTILES])
    return Latency(
        count=h.total_count,
        min=h.get_min_value() / 1000,
        mean=mean / 1000,
        max=h.get_max_value() / 1000,
        **{name: v / 1000 for name, v in zip(names, values, strict=True)},
    )
