"""Shares for a fleet: whole numbers, exact sums, small counts kept exact, rates in
proportion (so every worker ends a ramp together)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from loadtui.engine.split import split, split_rate


def test_small_counts_stay_exact() -> None:
    assert split(3, 2) == [2, 1]
    assert split(1, 4) == [1, 0, 0, 0]
    assert split(0, 3) == [0, 0, 0]
    assert split(7, 1) == [7]
    assert split(5, 0) == []


@given(st.integers(0, 10**9), st.integers(1, 512))
def test_shares_sum_to_the_whole_and_differ_by_one_at_most(total: int, parts: int) -> None:
    shares = split(total, parts)
    assert len(shares) == parts and sum(shares) == total
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)  # deterministic: the first take the rest


@given(st.floats(0, 1e7), st.lists(st.integers(0, 10_000), min_size=1, max_size=64))
def test_rates_follow_the_shares(rate: float, shares: list[int]) -> None:
    rates = split_rate(rate, shares)
    assert len(rates) == len(shares)
    assert abs(sum(rates) - rate) <= 1e-9 * max(1.0, rate)
    if sum(shares):
        assert all(r == 0 for r, s in zip(rates, shares, strict=True) if s == 0)
