"""How deep a scenario may nest, checked without recursion.

tomllib parses arrays and inline tables recursively, so a file nested a few thousand
levels deep raises RecursionError; one nested a few hundred levels parses, and then the
loader's own recursive walks would fail on it instead. Both become one problem with a
place: nothing a scenario needs comes near MAX_DEPTH.
"""

from __future__ import annotations

from typing import Any

from loadtui.scenario.errors import FieldPath

MAX_DEPTH = 64
TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep"
HINT = "Scenario values need a few levels of tables and arrays; flatten the data"


def too_deep(data: Any, limit: int = MAX_DEPTH) -> FieldPath | None:
    """The path of the first value nested deeper than `limit` tables or arrays, or None."""
    stack: list[tuple[Any, FieldPath]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > limit:
            return path
        if isinstance(value, dict):
            stack.extend((v, (*path, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
    return None


def deep_line(text: str, limit: int = MAX_DEPTH) -> int | None:
    """The line where brackets and braces outside strings and comments first open past
    `limit` levels (for text tomllib could not parse), or None."""
    depth = 0
    line = 1
    quote = ""  # the delimiter of the string being read: ", ', \"\"\" or '''
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        if quote:
            if c == "\\" and quote[0] == '"':
                line += text.startswith("\n", i + 1)
                i += 2
                continue
            if text.startswith(quote, i):
                i += len(quote)
                quote = ""
                continue
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote)
            continue
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif c in "[{":
            depth += 1
            if depth > limit:
                return line
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return None
