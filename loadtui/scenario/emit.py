"""A small TOML writer, for the scenarios `loadtui import` drafts.

tomllib reads TOML but cannot write it. A drafted scenario needs only a few shapes
(tables, arrays of tables, inline values, comments), so they are written here rather
than taken from a dependency, with one rule that makes any recorded text safe: every
string is a one-line basic string in which quotes, backslashes and every control
character are escaped, so `tomllib.loads(dumps(doc)) == doc` whatever the strings hold.
A value TOML cannot hold (None, a lone surrogate, an integer past 64 bits) raises
EmitError instead of being written wrong.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPED = re.compile(r'["\\\x00-\x1f\x7f]')
_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


class EmitError(ValueError):
    """A value TOML has no way to hold."""


@dataclass(frozen=True)
class Inline:
    """A table or array written on one line (`headers = { Accept = "..." }`) rather than
    as its own `[section]`."""

    value: Mapping[str, Any] | Sequence[Any]


def _escape(m: re.Match[str]) -> str:
    ch = m.group(0)
    return _SHORT.get(ch) or f"\\u{ord(ch):04X}"


def string(text: str) -> str:
    """`text` as a TOML basic string, on one line."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise EmitError("text holds a lone surrogate, which is not Unicode text") from None
    return '"' + _ESCAPED.sub(_escape, text) + '"'


def key(name: str) -> str:
    """A key, bare when TOML allows it, else quoted."""
    return name if _BARE_KEY.fullmatch(name) else string(name)


def value(item: Any) -> str:
    """Any value in its inline form (tables as `{ k = v }`)."""
    if isinstance(item, Inline):
        return value(item.value)
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        if not INT_MIN <= item <= INT_MAX:
            raise EmitError(f"{item} does not fit a TOML integer (64 bits)")
        return str(item)
    if isinstance(item, float):
        if math.isnan(item):
            return "nan"
        if math.isinf(item):
            return "inf" if item > 0 else "-inf"
        return repr(item)  # always has "." or "e", so it reads back as a float
    if isinstance(item, str):
        return string(item)
    if isinstance(item, Mapping):
        if not item:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {value(v)}" for k, v in item.items()) + " }"
    if isinstance(item, list | tuple):
        return "[" + ", ".join(value(v) for v in item) + "]"
    raise EmitError(f"TOML has no value for {type(item).__name__}")


def _key(name: object) -> str:
    if not isinstance(name, str):
        raise EmitError(f"a TOML key is a string, not {type(name).__name__}")
    return key(name)


def comment(text: str) -> str:
    """`text` as comment lines; control characters (a line break that would end the
    comment early among them) become `?`, so recorded text cannot escape it."""
    safe = text.encode("utf-8", "replace").decode("utf-8")
    return "\n".join("# " + _CONTROL.sub("?", line) if line else "#" for line in safe.split("\n"))


def dumps(doc: Mapping[str, Any], header: Sequence[str] = ()) -> str:
    """A TOML document: `header` as comment lines, then `doc`. A table (a Mapping) is a
    `[section]`, a non-empty list of tables an array of `[[tables]]`, an `Inline` and
    everything else a `key = value` line."""
    lines = [comment(line) for line in header]
    if header:
        lines.append("")
    lines.extend(_table(doc, ()))
    return "\n".join(lines).strip("\n") + "\n"


def _is_table_array(item: Any) -> bool:
    return (
        isinstance(item, list | tuple) and bool(item) and all(isinstance(x, Mapping) for x in item)
    )


def _is_nested(item: Any) -> bool:
    return isinstance(item, Mapping) or _is_table_array(item)


def _table(doc: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[str]:
    nested: list[tuple[str, Any]] = []
    for name, item in doc.items():
        if _is_nested(item):
            nested.append((name, item))
        else:
            yield f"{_key(name)} = {value(item)}"
    for name, item in nested:
        where = (*path, name)
        dotted = ".".join(_key(part) for part in where)
        if isinstance(item, Mapping):
            if not item or not all(_is_nested(v) for v in item.values()):
                yield ""  # a table holding only tables needs no header of its own
                yield f"[{dotted}]"
            yield from _table(item, where)
        else:
            for element in item:
                yield ""
                yield f"[[{dotted}]]"
                yield from _table(element, where)
