"""`{var}` placeholders in requests, filled from a virtual user's variables.

`{{` and `}}` stand for literal braces. An unknown variable is left as written, so a
missing extraction shows up in the target's logs and in check failures rather than
crashing the user.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill(text: str, variables: Mapping[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        token = m.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = m.group(1)
        return str(variables[name]) if name in variables else token

    return _PLACEHOLDER.sub(sub, text)


def fill_value(value: Any, variables: Mapping[str, Any]) -> Any:
    """Fill placeholders in every string of a JSON-like value (keys included)."""
    if isinstance(value, str):
        return fill(value, variables)
    if isinstance(value, dict):
        return {fill_value(k, variables): fill_value(v, variables) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fill_value(v, variables) for v in value]
    return value


def has_placeholder(text: str) -> bool:
    return any(m.group(1) for m in _PLACEHOLDER.finditer(text))
