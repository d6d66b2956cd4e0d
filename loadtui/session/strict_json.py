"""JSON as a session file must hold it: finite numbers and bounded nesting.

Python's `json` reads `NaN`, `Infinity` and `1e999` (as inf) without a word, and a line of
100,000 `[` ends in a RecursionError. A session is data a user may have been handed, so
each of these is a ValueError with one line to show, never a float that poisons every
figure after it or a traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 64  # tables within tables: a session's deepest part (a scenario) needs ~10


def _constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON can hold")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is beyond the range of a number")
    return value


_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_finite)


def loads(text: str) -> Any:
    """One JSON value; ValueError (one line) for anything a strict reader refuses."""
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply lists and tables nest in `value` (a scalar is 0), counted without
    recursion and given up past `limit` (then limit + 1)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        children: Iterator[Any]
        if isinstance(item, dict):
            children = iter(item.values())
        elif isinstance(item, list):
            children = iter(item)
        else:
            continue
        level += 1
        if level > limit:
            return limit + 1
        deepest = max(deepest, level)
        stack.extend((child, level) for child in children)
    return deepest
