"""Small arithmetic on counts by key (status codes, error kinds, close codes) and rates,
shared by the recorders and the fold."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

K = TypeVar("K")


def add_counts(into: dict[K, int], more: dict[K, int]) -> None:
    """into += more, key by key."""
    for key, n in more.items():
        into[key] = into.get(key, 0) + n


def merged(counts: Iterable[dict[K, int]]) -> dict[K, int]:
    """The sum of several counts by key, as a new table."""
    out: dict[K, int] = {}
    for c in counts:
        add_counts(out, c)
    return out


def since(now: dict[K, int], before: dict[K, int]) -> dict[K, int]:
    """Counts by key added since `before` (both cumulative)."""
    return {k: n - before.get(k, 0) for k, n in now.items() if n != before.get(k, 0)}


def rate(count: float, seconds: float) -> float:
    """Per second; 0 over no time."""
    return count / seconds if seconds > 0 else 0.0
