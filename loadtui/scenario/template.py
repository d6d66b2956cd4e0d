"""`{...}` placeholders in task paths, queries, headers, bodies and WebSocket messages.

Three forms, all filled per request from the user's render mapping:

- `{name}`: a user variable (`{user_id}`, an extracted `{token}`) or a built-in value
  (`{uuid}`, `{now_ms}`, `{iteration}`);
- `{table.column}`: a field of the user's row of the `[data.table]` feeder;
- `{function(args)}`: a built-in generator, `{random_int(1, 100)}`,
  `{random_string(12)}`, `{random_bytes(16)}` (bytes: a msgpack `bin` value).

`{{` is a literal `{`. Any other brace is literal too, so raw JSON bodies such as
`{"a": {"b": 1}}` need no escaping. The loader marks tasks that hold placeholders as
templated; the engine renders them per request with `render_value` and a mapping that
resolves each placeholder's text (engine/uservars.py), so a plain dict of variables
renders the `{name}` form alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from loadtui.scenario.errors import did_you_mean

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
COLUMN = r"[A-Za-z0-9_][A-Za-z0-9_-]*"
_TOKEN = re.compile(r"\{\{|\{(" + NAME + r"(?:\." + COLUMN + r"|\([^{}()\n]*\))?)\}")
_CALL = re.compile(r"(" + NAME + r")\((.*)\)", re.S)

BUILTIN_VALUES = ("uuid", "now_ms", "iteration")
# Each built-in function with its parameters' names (all integers).
FUNCTIONS: dict[str, tuple[str, ...]] = {
    "random_int": ("low", "high"),
    "random_string": ("length",),
    "random_bytes": ("length",),
}
BYTES_FUNCTION = "random_bytes"
MAX_RANDOM_LENGTH = 1 << 20  # a generated string or bytes value, per request
MAX_INT = (1 << 63) - 1

Kind = Literal["var", "field", "call"]


@dataclass(frozen=True)
class Placeholder:
    """One placeholder's text, read: `kind` says which form, `name` is the variable,
    data table or function, `column` a data field's column, `args` a call's arguments
    as written (checked by `call_problem`)."""

    text: str
    kind: Kind
    name: str
    column: str = ""
    args: tuple[str, ...] = ()


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Placeholder:
    """The placeholder whose text (inside the braces) is `text`."""
    call = _CALL.fullmatch(text)
    if call is not None:
        inner = call.group(2).strip()
        args = tuple(a.strip() for a in inner.split(",")) if inner else ()
        return Placeholder(text, "call", call.group(1), args=args)
    table, dot, column = text.partition(".")
    if dot:
        return Placeholder(text, "field", table, column)
    return Placeholder(text, "var", text)


def int_args(p: Placeholder) -> tuple[int, ...]:
    """A call's arguments as integers; ValueError names the first that is not one."""
    out = []
    for arg in p.args:
        try:
            out.append(int(arg, 10))
        except ValueError:
            raise ValueError(f"{p.name}(): {arg!r} is not an integer") from None
    return tuple(out)


def call_problem(p: Placeholder) -> tuple[str, str | None] | None:
    """What is wrong with a built-in call (message, hint), or None."""
    params = FUNCTIONS.get(p.name)
    shown = f"{{{p.text}}}"
    if params is None:
        listed = ", ".join(f"{f}({', '.join(a)})" for f, a in FUNCTIONS.items())
        hint = did_you_mean(p.name, FUNCTIONS) or f"Use one of {listed}"
        return f"{shown}: {p.name}() is not a built-in function", hint
    signature = f"{p.name}({', '.join(params)})"
    if len(p.args) != len(params):
        n = len(params)
        return f"{shown}: {signature} takes {n} argument{'s' * (n > 1)}", None
    try:
        values = int_args(p)
    except ValueError as exc:
        return f"{shown}: {exc}", f"Like {{{p.name}({', '.join(['8'] * len(params))})}}"
    if any(abs(v) > MAX_INT for v in values):
        return f"{shown}: a value past 64 bits", None
    if p.name == "random_int" and values[0] > values[1]:
        return f"{shown}: low is above high", f"Like {{random_int({values[1]}, {values[0]})}}"
    if p.name != "random_int" and not 1 <= values[0] <= MAX_RANDOM_LENGTH:
        return f"{shown}: the length must be 1 to {MAX_RANDOM_LENGTH:,}", None
    return None


def placeholders(text: str) -> list[str]:
    """The placeholders' texts in `text`, in order of appearance."""
    return [m.group(1) for m in _TOKEN.finditer(text) if m.group(1)]


def literal(text: str) -> str:
    """`text` without its placeholders (what is sent as written)."""
    return _TOKEN.sub("", text)


def whole(text: str) -> str | None:
    """The placeholder's text when `text` is exactly one placeholder (say "{blob}")."""
    m = _TOKEN.fullmatch(text)
    return m.group(1) if m else None


def render(text: str, variables: Mapping[str, Any]) -> str:
    """Fill placeholders; one the mapping cannot resolve raises KeyError."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        return "{" if name is None else str(variables[name])

    return _TOKEN.sub(sub, text)


def value_placeholders(value: Any) -> list[str]:
    """Placeholder texts in every string (keys included) of a JSON-like value."""
    if isinstance(value, str):
        return placeholders(value)
    if isinstance(value, Mapping):
        out: list[str] = []
        for k, v in value.items():
            out += value_placeholders(k) + value_placeholders(v)
        return out
    if isinstance(value, list | tuple):
        return [name for item in value for name in value_placeholders(item)]
    return []


def render_value(value: Any, variables: Mapping[str, Any]) -> Any:
    """A copy of a JSON-like value with every string rendered. A string that is one
    placeholder whose value is bytes (`{random_bytes(16)}`) becomes those bytes, which
    msgpack encodes as `bin`; every other value renders as text."""
    if isinstance(value, str):
        name = whole(value)
        if name is not None:
            got = variables[name]
            return got if isinstance(got, bytes) else str(got)
        return render(value, variables)
    if isinstance(value, Mapping):
        return {render(str(k), variables): render_value(v, variables) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render_value(item, variables) for item in value]
    return value
