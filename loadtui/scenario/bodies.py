"""A recorded request body as a task's body fields: a `json` table when that sends the
very bytes recorded, else a raw `body`; `content_type` as recorded.

The engine writes a `json` table as compact JSON, so a table is used only when the
recorded text is exactly that (as browsers send JSON) and holds only what TOML can
(no null, 64-bit integers, not too deep). Strings are escaped as recorded text; a
string under a credential-like key (password, token...) becomes an `${ENV}` reference.
"""

from __future__ import annotations

import json
import math
from typing import Any

from loadtui.scenario.emit import INT_MAX, INT_MIN, Inline
from loadtui.scenario.envrefs import EnvRefs, env_literal, key_literal, literal
from loadtui.scenario.recorded import (
    BAD_HEADER_VALUE,
    MAX_BODY_BYTES,
    LeftOut,
    Recorded,
    is_secret_name,
    is_text,
    media_type,
)

MAX_JSON_DEPTH = 32  # deeper bodies stay raw text (the loader allows 64 levels in all)


def body_fields(request: Recorded, env: EnvRefs, task: str, left: LeftOut) -> dict[str, Any] | None:
    """The task's body fields ({} for none); None when the body cannot be a scenario's."""
    if request.body_unknown:
        left.add("request", "with a body the recording does not hold")
        return None
    if request.body is None:
        return {}
    if len(request.body) > MAX_BODY_BYTES:
        left.add("request", f"with a body past {MAX_BODY_BYTES // 1024 // 1024} MiB")
        return None
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        left.add("request", "with a binary body (a scenario body is text)")
        return None
    ctype = (request.body_type or request.header("content-type") or "").strip()
    if BAD_HEADER_VALUE.search(ctype):
        ctype = ""
    kind = media_type(ctype)
    if request.json_body or kind == "application/json" or kind.endswith("+json"):
        value = _json_value(text)
        if value is not None:
            fields: dict[str, Any] = {"json": Inline(_json_fields(value[0], env, task, ""))}
            if ctype and ctype != "application/json":
                fields["content_type"] = env_literal(ctype)
            return fields
    fields = {"body": literal(text)}
    if ctype:
        fields["content_type"] = env_literal(ctype)
    return fields


def _json_value(text: str) -> tuple[Any] | None:
    """The parsed body, when a json table sends exactly `text` again: the engine writes
    compact JSON, so only a body recorded that way (as browsers send it) qualifies, and
    only values TOML can hold."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not _tomlable(value, 0):  # first: it also bounds the depth json.dumps walks
        return None
    same = json.dumps(value, separators=(",", ":"), ensure_ascii=False) == text
    return (value,) if same else None


def _tomlable(value: Any, depth: int) -> bool:
    if depth > MAX_JSON_DEPTH or value is None:
        return False
    if isinstance(value, dict):
        return all(is_text(k) and _tomlable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_tomlable(v, depth + 1) for v in value)
    if isinstance(value, str):
        return is_text(value)
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, bool) or INT_MIN <= value <= INT_MAX  # TOML integers: 64 bits


def _json_fields(value: Any, env: EnvRefs, task: str, key: str) -> Any:
    """The JSON value with its strings escaped; a string under a credential-like key
    (password, token, ...) becomes a reference."""
    if isinstance(value, dict):
        return {key_literal(k): _json_fields(v, env, task, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_fields(v, env, task, key) for v in value]
    if isinstance(value, str):
        return env.json_field(key, value, task) if value and is_secret_name(key) else literal(value)
    return value
