"""What a stream sends and how a reply is matched: messages encoded to frame payloads,
and the reply field read out of a JSON message."""

from __future__ import annotations

import json
from collections import ChainMap
from typing import Any

import msgpack

from loadtui.engine.calls import UserState
from loadtui.engine.checks import MISSING, resolve_pointer
from loadtui.scenario.model import WsMessage
from loadtui.scenario.template import render, render_value


def encode_message(msg: WsMessage, user: UserState, seq: int, session: int) -> tuple[bytes, bool]:
    """The payload of `msg` and whether it goes as text (text and JSON) or binary
    (msgpack and raw bytes). Placeholders see the user's variables, `{seq}` and
    `{session}`; a variable the user lacks raises KeyError."""
    value: Any = msg.value
    if msg.templated:
        # Over the user's own mapping, not a copy: data fields and built-ins resolve there.
        variables = ChainMap({"seq": seq, "session": session}, user.vars)
        value = render(value, variables) if msg.kind == "text" else render_value(value, variables)
    if msg.kind == "text":
        return str(value).encode(), True
    if msg.kind == "json":
        return json.dumps(value, separators=(",", ":")).encode(), True
    if msg.kind == "msgpack":
        return msgpack.packb(value), False
    return bytes(value), False


def field_of(data: str | bytes, field: str) -> str | None:
    """The reply field's value (as text) of a JSON message, or None."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if field.startswith("/"):
        value = resolve_pointer(doc, field)
    elif isinstance(doc, dict):
        value = doc.get(field, MISSING)
    else:
        return None
    return None if value is MISSING or isinstance(value, dict | list) else str(value)


def reply_key(msg: WsMessage, data: bytes, field: str) -> str | None:
    """The value a reply must carry: the sent message's own reply field."""
    return field_of(data, field) if msg.kind == "json" else None
