"""`[users.websocket]` as the engine sees it: the streaming session a user keeps open,
what it sends and what it expects back. Plain frozen data, like the rest of the model
(model.py re-exports these names).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class WsMessage:
    """One message to send. `value` is text (str), a JSON/msgpack value, or bytes.
    `{var}` placeholders (user variables, plus `{seq}` and `{session}`) are filled per
    message when `templated`."""

    kind: Literal["text", "json", "msgpack", "binary"]
    value: Any
    templated: bool = False


@dataclass(frozen=True)
class Backoff:
    """Wait before reconnect attempt n (1-based): constant(a) or exponential(a, cap)."""

    kind: Literal["constant", "exponential"] = "exponential"
    base: float = 0.5
    cap: float = 10.0

    def delay(self, attempt: int) -> float:
        if self.kind == "constant":
            return self.base
        return min(self.cap, self.base * 2.0 ** max(0, attempt - 1))


@dataclass(frozen=True)
class Reconnect:
    """After a failed handshake or an abnormal close, try again up to `max` times in a
    row (0: never); a session that ends normally is simply followed by the next one."""

    max: int = 0
    backoff: Backoff = field(default_factory=Backoff)


@dataclass(frozen=True)
class WebSocketSpec:
    """`[users.websocket]`: a streaming session a user keeps open.

    expect: "none" (fire and forget), "echo" (each reply is the echo of a sent message,
    FIFO per connection: round-trip times), "reply" (replies matched by `reply_field`, a
    JSON field or pointer, to the sent message carrying the same value), or "stream"
    (the server pushes: inter-message gaps are timed).
    """

    name: str  # stream name in figures (default: the user class's name)
    path: str = "/"  # relative to the target (http→ws, https→wss) or a ws(s):// URL
    subprotocols: tuple[str, ...] = ()
    headers: Pairs = ()
    on_connect: tuple[WsMessage, ...] = ()
    send: WsMessage | None = None
    every: float = 0.0  # seconds between sends (with `send`)
    expect: Literal["none", "echo", "reply", "stream"] = "none"
    reply_field: str | None = None
    duration: float | None = None  # one session's length; None: until the user stops
    ping: float | None = 20.0  # keepalive ping interval; None: off
    max_message_size: int = 1 << 20
    compression: bool = False
    reconnect: Reconnect = field(default_factory=Reconnect)
