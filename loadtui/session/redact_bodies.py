"""Secrets in request bodies and WebSocket messages, hidden for the session header.

A body is judged by its keys, with the rule `loadtui import` uses for recorded fields
(`scenario.recorded.is_secret_name`: password, token, secret, api_key, ...) plus the
names the operator gave with `--redact`: under such a key, at any depth, every value
becomes "***" (a table or list below it keeps its shape, each value in it hidden).
Names, shapes and every other value stay, so the header still says what was sent.

- JSON and msgpack values (a task's `json` / `msgpack`, templated or not; a WebSocket
  message's value) are walked. An encoded body is decoded, hidden and encoded again as
  the loader encodes it, so the header keeps its `{"b64": ...}` form; a body with
  nothing to hide is kept byte for byte.
- Raw text (a task's `body`, a text message) is read as JSON, else as a form
  (`user=u1&password=pw`, hidden as a query is). Text that is neither but mentions a
  credential-like word or a `--redact` name is hidden whole: its secrets cannot be told
  from the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import msgpack

from loadtui.scenario.recorded import is_secret_name
from loadtui.session.codec import HIDDEN

# A whole text of `name=value` (or bare `name`) items joined by '&', as a form sends it
# (no raw spaces); one item at least has a value.
_ITEM = r"[^&=\s]+(?:=[^&\s]*)?"
_FORM = re.compile(rf"(?=.*=){_ITEM}(?:&{_ITEM})*")


@dataclass(frozen=True)
class SecretKeys:
    """Which keys of a body hold secrets: credential-like ones and `configured` (lower
    case, the `--redact` names)."""

    configured: frozenset[str] = frozenset()

    def __call__(self, name: str) -> bool:
        return name.lower() in self.configured or is_secret_name(name)

    def mentioned(self, text: str) -> bool:
        """`text` names a credential-like word or a configured name somewhere."""
        lower = text.lower()
        return is_secret_name(text) or any(name in lower for name in self.configured)


def hide_value(value: Any, secret: Callable[[str], bool], under: bool = False) -> Any:
    """A JSON or msgpack value with every value under a secret key hidden, any depth."""
    if isinstance(value, dict):
        return {
            k: hide_value(v, secret, under or (isinstance(k, str) and secret(k)))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [hide_value(v, secret, under) for v in value]
    return HIDDEN if under and value is not None else value


def hide_query(query: str, secret: Callable[[str], bool]) -> str:
    """`a=1&password=x` with each secret name's value hidden; the rest byte for byte."""
    parts = []
    for item in query.split("&"):
        name, eq, _value = item.partition("=")
        parts.append(f"{name}={HIDDEN}" if eq and secret(unquote_plus(name)) else item)
    return "&".join(parts)


def hide_text(text: str, secret: SecretKeys, content_type: str | None = None) -> str:
    """Raw text read as JSON, else as a form, else hidden whole if it mentions a secret
    name; unchanged when nothing in it is hidden."""
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            value = json.loads(stripped)
        except ValueError:
            pass
        else:
            shown = hide_value(value, secret)
            return text if shown == value else _json_text(shown)
    form = content_type is not None and "form-urlencoded" in content_type.lower()
    if form or _FORM.fullmatch(stripped):
        return hide_query(text, secret)
    return HIDDEN if secret.mentioned(text) else text


def hide_body(body: bytes, fmt: str | None, content_type: str | None, secret: SecretKeys) -> bytes:
    """An encoded body (`fmt`: json, msgpack or raw) with its secrets hidden, encoded
    the same way; unchanged when there is nothing to hide or it does not decode."""
    if fmt == "json":
        try:
            value = json.loads(body)
        except ValueError:
            return body
        shown = hide_value(value, secret)
        return body if shown == value else _json_text(shown).encode("utf-8", "surrogatepass")
    if fmt == "msgpack":
        try:
            value = msgpack.unpackb(body, raw=False, strict_map_key=False)
        except (ValueError, msgpack.UnpackException):
            return body
        shown = hide_value(value, secret)
        return body if shown == value else bytes(msgpack.packb(shown, use_bin_type=True))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return HIDDEN.encode() if secret.mentioned(body.decode("latin-1")) else body
    shown_text = hide_text(text, secret, content_type)
    return body if shown_text == text else shown_text.encode("utf-8")


def _json_text(value: Any) -> str:
    """JSON as the loader encodes a `json` body (scenario/tasks.py)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
