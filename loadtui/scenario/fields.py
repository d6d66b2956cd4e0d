"""Typed reads from a parsed TOML table that report problems instead of raising.

Each table is read through a `Section` that knows its allowed keys, so a typo is an
error with a did-you-mean hint rather than a setting silently ignored. A failed read
reports once and returns the default, letting validation carry on to the next field.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from loadtui.scenario.bounds import number_problem
from loadtui.scenario.errors import Collector, FieldPath, did_you_mean
from loadtui.scenario.units import parse_duration

T = TypeVar("T")
D = TypeVar("D")
_MISSING: Any = object()
_LIMIT = 1e15  # numbers beyond this are typos, and keep float() exact enough

TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    int: "an integer",
    float: "a number",
    dict: "a table",
    list: "an array",
}


def type_name(value: object) -> str:
    for kind, name in TYPE_NAMES.items():
        if isinstance(value, kind):
            return name.removeprefix("a ").removeprefix("an ")
    return type(value).__name__


class Section:
    """One TOML table being validated at `path`."""

    def __init__(
        self, out: Collector, data: Mapping[str, Any], path: FieldPath, allowed: Iterable[str]
    ) -> None:
        self.out = out
        self.data = data
        self.path = path
        self.allowed = tuple(allowed)
        for key in data:
            if key not in self.allowed:
                out.add((*path, key), "unknown key", did_you_mean(key, self.allowed))

    def has(self, key: str) -> bool:
        return key in self.data

    def at(self, key: str | int) -> FieldPath:
        return (*self.path, key)

    def error(self, key: str, message: str, hint: str | None = None) -> None:
        self.out.add(self.at(key), message, hint)

    def _typed(self, key: str, kinds: tuple[type[T], ...], expected: str, default: D) -> T | D:
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            return default
        if isinstance(value, bool) and bool not in kinds:
            value = _MISSING
        if value is _MISSING or not isinstance(value, kinds):
            got = type_name(self.data[key])
            self.error(key, f"expected {expected}, got {got}")
            return default
        return value

    def require(self, key: str, what: str, hint: str | None = None) -> bool:
        if key in self.data:
            return True
        self.out.add(self.at(key), f"missing {what}", hint)
        return False

    def string(self, key: str, default: Any = None, *, nonempty: bool = False) -> Any:
        value = self._typed(key, (str,), "a string", default)
        if nonempty and value is not default and not value.strip():
            self.error(key, "must not be empty")
            return default
        return value

    def boolean(self, key: str, default: bool) -> bool:
        return self._typed(key, (bool,), "true or false", default)

    def table(self, key: str) -> dict[str, Any] | None:
        return self._typed(key, (dict,), "a table", None)

    def array(self, key: str) -> list[Any] | None:
        return self._typed(key, (list,), "an array", None)

    def number(
        self,
        key: str,
        default: Any = None,
        *,
        minimum: float | None = None,
        above: float | None = None,
        integer: bool = False,
        maximum: float | None = None,
        unit: str = "",
        hint: str | None = None,
    ) -> Any:
        """An int (or float unless `integer`) within bounds; `above` is exclusive. Past
        `maximum` (in `unit`) the problem carries `hint`."""
        kinds: tuple[type, ...] = (int,) if integer else (int, float)
        value = self._typed(key, kinds, "an integer" if integer else "a number", _MISSING)
        if value is _MISSING:
            return default
        if maximum is not None:
            low = above if above is not None else minimum
            problem = number_problem(
                value, maximum, minimum=low or 0.0, above=above is not None, unit=unit
            )
            if problem is not None:
                self.error(key, problem, hint if value > maximum else None)
                return default
        if not math.isfinite(value) or abs(value) > _LIMIT:
            self.error(key, f"{value} is out of range")
            return default
        if minimum is not None and value < minimum:
            self.error(key, f"must be at least {minimum:g}, got {value:g}")
            return default
        if above is not None and value <= above:
            self.error(key, f"must be greater than {above:g}, got {value:g}")
            return default
        return value if integer else float(value)

    def duration(self, key: str, default: Any = None, *, positive: bool = False) -> Any:
        return self.parsed(key, default, lambda v: _duration(v, positive))

    def parsed(self, key: str, default: Any, parse: Callable[[Any], T]) -> T | Any:
        """A value read by a units parser; its ValueError becomes the problem text."""
        if key not in self.data:
            return default
        try:
            return parse(self.data[key])
        except ValueError as exc:
            self.error(key, str(exc))
            return default

    def choice(self, key: str, choices: tuple[str, ...], default: Any) -> Any:
        value = self.string(key, _MISSING)
        if value is _MISSING:
            return default
        if value not in choices:
            listed = ", ".join(f'"{c}"' for c in choices)
            self.error(key, f"{value!r} is not one of {listed}", did_you_mean(value, choices))
            return default
        return value


def _duration(value: Any, positive: bool) -> float:
    seconds = parse_duration(value)
    if positive and seconds <= 0:
        raise ValueError("must be a positive duration")
    return seconds


def sections(
    out: Collector, items: Any, path: FieldPath, allowed: Iterable[str], what: str
) -> list[tuple[int, Section]]:
    """The tables of an array of tables; a non-table element is reported and skipped."""
    if not isinstance(items, list):
        out.add(path, f"expected an array of {what} tables, got {type_name(items)}")
        return []
    keep = tuple(allowed)
    found: list[tuple[int, Section]] = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            found.append((i, Section(out, item, (*path, i), keep)))
        else:
            out.add((*path, i), f"expected a {what} table, got {type_name(item)}")
    return found
