"""Shares of a run for its workers: deterministic, exact for small counts.

3 users on 2 workers is 2 + 1 (the first workers take the remainder), never 1.5 each;
rates are split in proportion to the users each worker holds, so every worker reaches
its share at the same moment of a ramp.
"""

from __future__ import annotations

from collections.abc import Sequence


def split(total: int, parts: int) -> list[int]:
    """`total` as `parts` whole numbers that differ by at most one, largest first."""
    if parts <= 0:
        return []
    base, extra = divmod(max(0, total), parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def split_rate(rate: float, shares: Sequence[int]) -> list[float]:
    """`rate` in proportion to `shares` (evenly when they are all zero)."""
    if not shares:
        return []
    whole = sum(shares)
    if whole <= 0:
        return [rate / len(shares)] * len(shares)
    return [rate * s / whole for s in shares]
