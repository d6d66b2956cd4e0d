"""Messages of a WebSocket stream (`on_connect`, `send`): one of text, json, msgpack or
binary, stored literal when it has no `{var}` placeholders, else as a template."""

from __future__ import annotations

import json
from typing import Any

import msgpack

from loadtui.scenario.fields import Section, type_name
from loadtui.scenario.model import WsMessage
from loadtui.scenario.template import placeholders, render, render_value, value_placeholders

MESSAGE_KINDS = ("text", "json", "msgpack", "binary")
MAX_BINARY = 64 << 20  # a generated binary payload is held in memory by the plan
MISSING: Any = object()


def read_message(sec: Section, hint: str) -> WsMessage | None:
    """The one message of a table with text, json, msgpack or binary (and maybe more
    keys its caller allows); None after reporting a problem."""
    given = [k for k in MESSAGE_KINDS if sec.has(k)]
    if not given:
        sec.out.add(sec.path, "a message needs one of text, json, msgpack or binary", hint)
        return None
    if len(given) > 1:
        for extra in given[1:]:
            sec.error(extra, f"a message has one body; {given[0]} is already set")
        return None
    kind = given[0]
    if kind == "binary":
        data = _binary(sec)
        return None if data is None else WsMessage("binary", data)
    if kind == "text":
        text = sec.string("text")
        if text is None:
            return None
        templated = bool(placeholders(text))
        return WsMessage("text", text if templated else render(text, {}), templated)
    value = sec.data[kind]
    if not _encodable(sec, kind, value):
        return None
    templated = bool(value_placeholders(value))
    return WsMessage(kind, value if templated else render_value(value, {}), templated)  # type: ignore[arg-type]


def _encodable(sec: Section, kind: str, value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        sec.error(kind, f"holds a value {kind} cannot encode here (dates, inf or nan)")
        return False
    if kind == "msgpack":
        try:
            msgpack.packb(value, use_bin_type=True)
        except (OverflowError, ValueError, TypeError) as exc:
            sec.error(kind, f"cannot encode as msgpack: {exc}")
            return False
    return True


def _binary(sec: Section) -> bytes | None:
    raw = sec.data["binary"]
    if isinstance(raw, str):
        try:
            return bytes.fromhex(raw)
        except ValueError:
            sec.error("binary", f"{raw!r} is not hex bytes", 'Like binary = "deadbeef"')
            return None
    if isinstance(raw, dict):
        sub = Section(sec.out, raw, sec.at("binary"), ("size",))
        if not sub.require("size", "size (bytes)", "Like binary = { size = 1024 }"):
            return None
        size = sub.number("size", None, minimum=0, integer=True)
        if size is not None and size > MAX_BINARY:
            sub.error("size", f"must be at most {MAX_BINARY} (64 MiB), got {size}")
            return None
        return None if size is None else bytes(size)
    sec.error(
        "binary",
        f"expected hex bytes or a table, got {type_name(raw)}",
        'Like binary = "deadbeef" or binary = { size = 1024 }',
    )
    return None


def field_value(value: Any, field: str) -> Any:
    """The value at a top-level key, or at a JSON pointer (starting with /)."""
    if not field.startswith("/"):
        return value.get(field, MISSING) if isinstance(value, dict) else MISSING
    node = value
    for raw in field[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node
