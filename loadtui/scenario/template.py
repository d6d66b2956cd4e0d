"""`{var}` placeholders in task paths, queries, headers and bodies.

A placeholder is `{name}` with an identifier inside; `{{` is a literal `{`. Any other
brace is literal too, so raw JSON bodies such as `{"a": {"b": 1}}` need no escaping.
The loader marks tasks that hold placeholders as templated; the engine renders them per
request with `render_value` and the user's variables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_TOKEN = re.compile(r"\{\{|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(text: str) -> list[str]:
    """Variable names used in `text`, in order of appearance."""
    return [m.group(1) for m in _TOKEN.finditer(text) if m.group(1)]


def render(text: str, variables: Mapping[str, str]) -> str:
    """Fill placeholders; a variable the user does not have raises KeyError."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        return "{" if name is None else str(variables[name])

    return _TOKEN.sub(sub, text)


def value_placeholders(value: Any) -> list[str]:
    """Variable names in every string (keys included) of a JSON-like value."""
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


def render_value(value: Any, variables: Mapping[str, str]) -> Any:
    """A copy of a JSON-like value with every string rendered."""
    if isinstance(value, str):
        return render(value, variables)
    if isinstance(value, Mapping):
        return {render(str(k), variables): render_value(v, variables) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render_value(item, variables) for item in value]
    return value
