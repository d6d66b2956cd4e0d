"""`[users.websocket]`: the streaming session a user class keeps open.

Messages (`on_connect`, `send`) are tables with exactly one of `text`, `json`,
`msgpack` or `binary`. As with task bodies, a message without `{var}` placeholders is
stored literal (`{{` already turned into `{`) so the engine can encode it once; one with
placeholders keeps its template, rendered per message with the user's variables plus
`{seq}` (the message's number in its session) and `{session}` (the session's number).

`expect = { reply_field = "id" }` matches replies to sent messages by that field: the
sent JSON must carry it with a value that changes per message, `"{seq}"` being the
usual one (the engine fills it with the sequence number), and a reply carrying the same
value answers that message. The path and header values are fixed per connection:
header values may use user variables (rendered at each connect), never `{seq}` or
`{session}`; the path takes no placeholders.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from loadtui.scenario.errors import Collector, FieldPath
from loadtui.scenario.fields import Section, sections, type_name
from loadtui.scenario.model import Backoff, Reconnect, WebSocketSpec, WsMessage
from loadtui.scenario.tasks import HEADER_NAME, POINTER, read_headers
from loadtui.scenario.template import placeholders, render
from loadtui.scenario.units import parse_backoff, parse_duration, parse_size
from loadtui.scenario.userinfo import redact_url
from loadtui.scenario.wsmessage import MESSAGE_KINDS, MISSING, field_value, read_message

WS_KEYS = (
    "name", "path", "subprotocols", "headers", "on_connect", "send", "expect", "duration",
    "ping", "max_message_size", "compression", "reconnect",
)  # fmt: skip
SEND_KEYS = (*MESSAGE_KINDS, "every")
EXPECTS = ("none", "echo", "stream")
# Set by the handshake itself; a scenario overriding them would break it.
HANDSHAKE_HEADERS = {
    "host": None,
    "upgrade": None,
    "connection": None,
    "sec-websocket-key": None,
    "sec-websocket-version": None,
    "sec-websocket-protocol": "Use subprotocols = [...]",
    "sec-websocket-extensions": "Use compression = true",
}
DEFAULT_PING = 20.0
MAX_MESSAGE_SIZE = 1 << 30
SEND_HINT = 'Like send = { every = "100ms", text = "ping" }'
MESSAGE_HINT = 'Like { text = "ping" }, { json = { seq = "{seq}" } } or { binary = "cafe" }'


def read_websocket(out: Collector, data: Any, path: FieldPath, user: str) -> WebSocketSpec:
    """The spec of one `[users.websocket]` table; `user` names the stream by default."""
    sec = Section(out, data, path, WS_KEYS)
    send, every = _send(sec)
    expect, reply_field = _expect(sec, send)
    return WebSocketSpec(
        name=sec.string("name", user, nonempty=True),
        path=_path(sec),
        subprotocols=_subprotocols(sec),
        headers=_headers(sec),
        on_connect=_on_connect(sec),
        send=send,
        every=every,
        expect=expect,
        reply_field=reply_field,
        duration=sec.duration("duration", None, positive=True),
        ping=_ping(sec),
        max_message_size=sec.parsed("max_message_size", 1 << 20, _message_size),
        compression=sec.boolean("compression", False),
        reconnect=_reconnect(sec),
    )


def _path(sec: Section) -> str:
    """A path under the target, or an absolute ws(s):// URL."""
    raw = sec.string("path", "/")
    if any(c.isspace() for c in raw):
        sec.error("path", "must not contain whitespace", "Percent-encode it (%20)")
    elif "://" in raw:
        _check_url(sec, raw)
    elif not raw.startswith("/"):
        sec.error("path", f"{raw!r} must start with / or be a ws:// or wss:// URL")
    elif "#" in raw:
        sec.error("path", "a WebSocket URL takes no #fragment")
    elif placeholders(raw):
        sec.error("path", "the stream path takes no {var} placeholders", "Put them in headers")
    return render(raw, {}) if not placeholders(raw) else raw


def _check_url(sec: Section, url: str) -> None:
    shown = redact_url(url)  # messages never show a password (urllib's may quote it)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        sec.error("path", f"{shown!r} is not a URL: its host or port is malformed")
        return
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        ws = "ws" if scheme == "http" else "wss"
        under = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sec.error(
            "path",
            f"{shown!r} is an HTTP URL",
            f'Use "{ws}://{shown.split("://", 1)[1]}", or "{under}" under the target '
            "(its http becomes ws, https wss)",
        )
    elif scheme not in ("ws", "wss"):
        sec.error("path", f"{shown!r}: the scheme must be ws or wss")
    elif not parts.hostname:
        sec.error("path", f"{shown!r} has no host", 'Like "ws://127.0.0.1:8089/ws"')
    elif port == 0:
        sec.error("path", f"{shown!r}: port 0 is not a port")
    elif parts.fragment or url.endswith("#"):
        sec.error("path", "a WebSocket URL takes no #fragment")
    elif placeholders(url):
        sec.error("path", "the stream URL takes no {var} placeholders", "Put them in headers")


def _subprotocols(sec: Section) -> tuple[str, ...]:
    items = sec.array("subprotocols") or []
    found: list[str] = []
    for i, item in enumerate(items):
        where = (*sec.at("subprotocols"), i)
        if not isinstance(item, str):
            sec.out.add(where, f"expected a string, got {type_name(item)}")
        elif not HEADER_NAME.fullmatch(item):
            sec.out.add(where, f"{item!r} is not a subprotocol name", 'Like "chat.v1"')
        elif item in found:
            sec.out.add(where, f"{item!r} is listed twice")
        else:
            found.append(item)
    return tuple(found)


def _headers(sec: Section) -> tuple[tuple[str, str], ...]:
    """Header pairs, kept as templates: the engine renders them at each connect."""
    pairs = read_headers(sec)
    for name, value in pairs:
        where = (*sec.at("headers"), name)
        if name.lower() in HANDSHAKE_HEADERS:
            sec.out.add(where, "is set by the WebSocket handshake", HANDSHAKE_HEADERS[name.lower()])
        elif {"seq", "session"} & set(placeholders(value)):
            sec.out.add(
                where,
                "headers are sent once per connection: {seq} and {session} apply to messages",
            )
    return pairs


def _send(sec: Section) -> tuple[WsMessage | None, float]:
    table = sec.table("send")
    if table is None:
        return None, 0.0
    sub = Section(sec.out, table, sec.at("send"), SEND_KEYS)
    every = 0.0
    if sub.require("every", "every (how often to send)", SEND_HINT):
        every = sub.duration("every", 0.0, positive=True)
    return read_message(sub, SEND_HINT), every


def _on_connect(sec: Section) -> tuple[WsMessage, ...]:
    if not sec.has("on_connect"):
        return ()
    found = sections(
        sec.out, sec.data["on_connect"], sec.at("on_connect"), MESSAGE_KINDS, "message"
    )
    messages = [read_message(sub, MESSAGE_HINT) for _, sub in found]
    return tuple(m for m in messages if m is not None)


def _expect(sec: Section, send: WsMessage | None) -> tuple[Any, str | None]:
    """(expect, reply_field); a table with reply_field means "reply"."""
    raw = sec.data.get("expect", "none")
    if isinstance(raw, dict):
        return _reply(sec, raw, send)
    if raw == "reply":
        sec.error(
            "expect",
            '"reply" needs the field that matches replies to messages',
            'Use expect = { reply_field = "id" }',
        )
        return "none", None
    if not isinstance(raw, str):
        got = type_name(raw)
        sec.error(
            "expect",
            f'expected "none", "echo", "stream" or a table, got {got}',
            'Like expect = "echo" or expect = { reply_field = "id" }',
        )
        return "none", None
    expect = sec.choice("expect", EXPECTS, "none")
    if expect == "echo" and not sec.has("send"):
        sec.error(
            "expect", '"echo" times the echo of each sent message, but nothing is sent', SEND_HINT
        )
    return expect, None


def _reply(sec: Section, table: dict[str, Any], send: WsMessage | None) -> tuple[Any, str | None]:
    sub = Section(sec.out, table, sec.at("expect"), ("reply_field",))
    if not sub.require("reply_field", "reply_field", 'Like expect = { reply_field = "id" }'):
        return "none", None
    field = sub.string("reply_field", None, nonempty=True)
    if field is None:
        return "none", None
    if field.startswith("/") and not POINTER.fullmatch(field):
        sub.error("reply_field", f"{field!r} is not a JSON pointer", 'Like "id" or "/meta/id"')
        return "none", None
    example = f'Like send = {{ every = "1s", json = {{ {_key(field)} = "{{seq}}" }} }}'
    if not sec.has("send"):
        sub.error(
            "reply_field", "replies are matched to sent messages, but nothing is sent", example
        )
    elif send is not None and send.kind != "json":
        sub.error(
            "reply_field", f"replies are matched by a JSON field, but send is {send.kind}", example
        )
    elif send is not None:
        value = field_value(send.value, field)
        if value is MISSING:
            sub.error("reply_field", f"the sent JSON has no field {field!r}", example)
        elif not isinstance(value, str) or "seq" not in placeholders(value):
            sub.error(
                "reply_field",
                f"the sent {field!r} is the same in every message, so replies cannot be told apart",
                'Set it to "{seq}"',
            )
    return "reply", field


def _key(field: str) -> str:
    name = field.rsplit("/", 1)[-1] or "id"
    return name if name.replace("_", "a").isalnum() and name.isascii() else json.dumps(name)


def _ping(sec: Section) -> float | None:
    raw = sec.data.get("ping", MISSING)
    if raw is MISSING or raw is True:
        return DEFAULT_PING
    if raw is False or (isinstance(raw, str) and raw.strip().lower() in ("off", "none")):
        return None
    off = 'Use ping = false (or "off") to send no keepalive pings'
    try:
        seconds = parse_duration(raw)
    except ValueError as exc:
        sec.error("ping", str(exc), off)
        return DEFAULT_PING
    if seconds <= 0:
        sec.error("ping", "must be a positive duration", off)
        return DEFAULT_PING
    return seconds


def _message_size(value: object) -> int:
    size = parse_size(value)
    if size < 1:
        raise ValueError("must be at least 1 byte")
    if size > MAX_MESSAGE_SIZE:
        raise ValueError(f"must be at most 1GiB ({MAX_MESSAGE_SIZE} bytes), got {size}")
    return size


def _reconnect(sec: Section) -> Reconnect:
    table = sec.table("reconnect")
    if table is None:
        return Reconnect()
    sub = Section(sec.out, table, sec.at("reconnect"), ("max", "backoff"))
    attempts = 0
    hint = 'Like reconnect = { max = 5, backoff = "exponential(0.5s, 10s)" }'
    if sub.require("max", "max (reconnect attempts in a row)", hint):
        attempts = sub.number("max", 0, minimum=0, integer=True)
    return Reconnect(attempts, sub.parsed("backoff", Backoff(), parse_backoff))
