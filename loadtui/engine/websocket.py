"""WebSocket streaming sessions: one per user that carries a `[users.websocket]`.

A session connects (timing the handshake), sends its `on_connect` messages, then sends
on a schedule and times what comes back: echoes (FIFO per connection), correlated
replies (by a JSON field) or the gaps of a pushed stream. It ends after `duration`, or
when the user stops, with a close frame; then the next session opens. Faults (refused
or non-WebSocket handshakes, close codes, dropped connections, oversized messages) are
counted by name and follow the reconnect policy: they never crash a user or hang it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
    NegotiationError,
    PayloadTooBig,
)

from loadtui import __version__
from loadtui.engine.auth import target_headers
from loadtui.engine.calls import UserState
from loadtui.engine.checks import MISSING, resolve_pointer
from loadtui.engine.gate import Gate
from loadtui.metrics.streams import StreamRecorder
from loadtui.scenario.model import Target, WebSocketSpec, WsMessage
from loadtui.scenario.template import render, render_value
from loadtui.scenario.userinfo import split_userinfo

PAUSED_POLL_S = 0.25  # how often a paused session looks whether the run resumed
CLOSE_TIMEOUT_S = 2.0
NORMAL_CLOSES = frozenset({1000, 1001})


def ws_url(target_url: str, path: str) -> str:
    """The session's URL: absolute ws(s):// as given, else under the target's URL."""
    if path.startswith(("ws://", "wss://")):
        return path
    parts = urlsplit(target_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    full = parts.path.rstrip("/") + (path if path.startswith("/") else "/" + path)
    tail, _, query = full.partition("?")
    return urlunsplit((scheme, parts.netloc, tail or "/", query, ""))


def failure_reason(exc: BaseException) -> str:
    """A short, stable name for why a handshake failed."""
    if isinstance(exc, AssertionError) and _raised_in_websockets(exc):
        # A peer that talks first (an SSH banner) can fail the handshake while the
        # request is still being sent, which trips an internal check of websockets
        # instead of raising InvalidMessage: the same fault, so the same name.
        return "not websocket"
    if isinstance(exc, InvalidStatus):
        return str(exc.response.status_code)
    if isinstance(exc, NegotiationError):
        return "subprotocol"
    if isinstance(exc, InvalidURI):
        return "bad url"
    if isinstance(exc, InvalidHandshake):
        return "not websocket"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, socket.gaierror):
        return "dns"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return "tls"
    if isinstance(exc, ConnectionError | EOFError | ConnectionClosed):
        return "reset"
    if isinstance(exc, OSError):
        return f"connect: {exc.strerror or type(exc).__name__}"
    return type(exc).__name__


def _raised_in_websockets(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and str(tb.tb_frame.f_globals.get("__name__", "")).startswith(
        "websockets."
    )


# Close codes that name what went wrong with the messages (either side may send them).
CLOSE_ERRORS = {1002: "protocol error", 1007: "invalid data", 1009: "message too big"}


class _Session:
    """Per-connection state, kept small: thousands of these live at once."""

    __slots__ = ("failed", "first", "last_rx", "n", "opened", "pending", "seq", "unanswered")

    def __init__(self, n: int, opened: float, reply: bool) -> None:
        self.n = n
        self.opened = opened
        self.seq = 0
        self.first = True
        self.failed = False  # why the connection failed is counted (once a session)
        self.last_rx = 0.0
        # Send times awaiting a reply: a dict by reply key, or a FIFO list for echoes
        # (a list, not a deque: an empty deque costs ~600 bytes, times 10,000 sessions).
        self.pending: list[float] | dict[str, float] = {} if reply else []
        self.unanswered = 0


class StreamPlan:
    """A WebSocketSpec bound to a target, a recorder and the run's shared SSLContext."""

    def __init__(
        self,
        spec: WebSocketSpec,
        target: Target,
        rec: StreamRecorder,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        self.spec = spec
        self.rec = rec
        # The URL without user:password@ (websockets would send it as Basic auth unasked);
        # it is sent only as the target's auth says, after the target's own headers.
        url = ws_url(target.url, spec.path)
        self.url, _ = split_userinfo(url)
        self.ssl = ssl_context if self.url.startswith("wss://") else None
        self.headers = (*target_headers(target, url, spec.headers), *spec.headers)
        self.open_timeout = target.timeouts.connect + target.timeouts.read
        self.expect = spec.expect
        self.reply_field = spec.reply_field or ""
        self.gate: Gate | None = None

    async def run(self, user: UserState, gate: Gate | None = None) -> None:
        """Sessions one after another until the user's task is cancelled (that is how a
        streaming user is stopped: the open session then closes with 1001) or reconnects
        run out. While `gate` is paused, sessions stay open but send nothing. Idle
        sessions sleep until their next send: 10,000 of them cost no CPU in between."""
        self.gate = gate
        failures = 0
        n = 0
        while True:
            n += 1
            if await self.session(user, n):
                failures = 0
                continue
            failures += 1
            if failures > self.spec.reconnect.max:
                return
            self.rec.reconnect()
            await asyncio.sleep(self.spec.reconnect.backoff.delay(failures))

    async def session(self, user: UserState, n: int) -> bool:
        """One session; True when it ran its whole duration and closed normally."""
        spec, rec = self.spec, self.rec
        try:
            headers = [(k, render(v, user.vars)) for k, v in self.headers]
        except KeyError as exc:
            rec.connect_started()
            rec.connect_failed(f"missing variable: {exc.args[0]}")
            return False
        rec.connect_started()
        started = perf_counter()
        try:
            ws = await connect(
                self.url,
                subprotocols=list(spec.subprotocols) or None,  # type: ignore[arg-type]
                additional_headers=headers or None,
                user_agent_header=f"loadtui/{__version__}",
                compression="deflate" if spec.compression else None,
                open_timeout=self.open_timeout,
                ping_interval=spec.ping,
                ping_timeout=spec.ping,
                close_timeout=CLOSE_TIMEOUT_S,
                max_size=spec.max_message_size,
                proxy=None,
                ssl=self.ssl,
            )
        except asyncio.CancelledError:  # the run (or this user) stopped mid-handshake
            rec.connect_failed("unfinished")
            raise
        except Exception as exc:  # every handshake failure is a named, counted one
            rec.connect_failed(failure_reason(exc))
            return False
        opened = perf_counter()
        rec.connected(int((opened - started) * 1e6))
        state = _Session(n, opened, self.expect == "reply")
        receiver = asyncio.get_running_loop().create_task(self._receive(ws, state))
        planned = stopped = False
        try:
            planned = await self._drive(ws, user, state, receiver)
        except ConnectionClosed:
            pass
        except asyncio.CancelledError:
            stopped = planned = True  # the user stops: close properly, then go
        finally:
            if not receiver.done():
                # websockets fails a connection (a frame breaking the protocol, a message
                # over the limit) by sending a close frame, then waits up to its close
                # timeout for the peer to hang up: name the failure now, not after that.
                sent = ws.protocol.close_sent
                if sent is not None:
                    self._close_errors(state, {sent.code})
                await ws.close(1011 if not planned else 1001 if stopped else 1000)
            await asyncio.wait({receiver}, timeout=CLOSE_TIMEOUT_S)
            receiver.cancel()
            pending = len(state.pending) if self.expect in ("echo", "reply") else 0
            if pending:
                rec.error(f"no reply ({pending} at close)")
            code = close_code(ws)
            rec.closed(code, not planned or code not in NORMAL_CLOSES)
        if stopped:
            raise asyncio.CancelledError
        return planned and code in NORMAL_CLOSES

    async def _drive(
        self, ws: ClientConnection, user: UserState, st: _Session, receiver: asyncio.Task[None]
    ) -> bool:
        """Send on schedule; True when the session reached its end as planned."""
        spec = self.spec
        for msg in spec.on_connect:
            await self._send(ws, msg, user, st)
        end = st.opened + spec.duration if spec.duration else float("inf")
        every = spec.every if spec.send is not None and spec.every > 0 else 0.0
        next_send = st.opened + every if every else end
        while True:
            now = perf_counter()
            if now >= end:
                return True
            wake = min(next_send, end)
            if self.gate is not None and self.gate.paused:
                wake = now + PAUSED_POLL_S  # paused: keep the session, send nothing
                next_send = max(next_send, wake)
            if wake > now:
                timeout = None if wake == float("inf") else wake - now
                done, _ = await asyncio.wait({receiver}, timeout=timeout)
                if done:  # the peer closed or the connection dropped
                    return False
                continue
            assert spec.send is not None
            await self._send(ws, spec.send, user, st)
            next_send = max(next_send + every, perf_counter() - every)

    async def _send(
        self, ws: ClientConnection, msg: WsMessage, user: UserState, st: _Session
    ) -> None:
        st.seq += 1
        data = encode_message(msg, user, st.seq, st.n)
        now = perf_counter()
        pending = st.pending
        if self.expect == "echo":
            assert isinstance(pending, list)  # echoes queue in a list (see _Session)
            pending.append(now)
        elif self.expect == "reply" and msg is self.spec.send:
            assert isinstance(pending, dict)  # replies are keyed (see _Session)
            key = reply_key(msg, data, self.reply_field)
            if key is not None:
                pending[key] = now
        await ws.send(data)
        self.rec.sent(len(data))

    async def _receive(self, ws: ClientConnection, st: _Session) -> None:
        rec, expect, pending = self.rec, self.expect, st.pending
        try:
            async for data in ws:
                now = perf_counter()
                rec.received(len(data))
                if st.first:
                    st.first = False
                    rec.first_message(int((now - st.opened) * 1e6))
                if expect == "echo":
                    assert isinstance(pending, list)
                    if pending:
                        rec.rtt(int((now - pending.pop(0)) * 1e6))
                    else:
                        rec.error("unexpected message")
                elif expect == "reply":
                    key = field_of(data, self.reply_field)
                    if key is None:  # not a reply (a push, another user's message): fine
                        continue
                    assert isinstance(pending, dict)
                    sent = pending.pop(key, None)
                    if sent is None:
                        rec.error("unmatched reply")
                    else:
                        rec.rtt(int((now - sent) * 1e6))
                elif expect == "stream":
                    if st.last_rx:
                        rec.gap(int((now - st.last_rx) * 1e6))
                    st.last_rx = now
        except PayloadTooBig:
            self._close_errors(st, {1009})
        except ConnectionClosed as exc:
            self._close_errors(st, {f.code for f in (exc.sent, exc.rcvd) if f is not None})

    def _close_errors(self, st: _Session, codes: set[int]) -> None:
        """Count why either side failed the connection over its messages (a frame
        breaking the protocol, text that is not UTF-8, a message over the size limit),
        once a session."""
        if st.failed:
            return
        for code in sorted(codes & CLOSE_ERRORS.keys()):
            self.rec.error(CLOSE_ERRORS[code])
            st.failed = True


def close_code(ws: ClientConnection) -> int:
    """The code that ended the session: the peer's close frame, else ours (e.g. 1009
    when we refused an oversized message), else 1006 (the connection just dropped)."""
    protocol = ws.protocol
    frame = protocol.close_rcvd or protocol.close_sent
    return int(frame.code) if frame is not None else 1006


def encode_message(msg: WsMessage, user: UserState, seq: int, session: int) -> str | bytes:
    value: Any = msg.value
    if msg.templated:
        variables = {**user.vars, "seq": seq, "session": session}
        value = render(value, variables) if msg.kind == "text" else render_value(value, variables)
    if msg.kind == "text":
        return str(value)
    if msg.kind == "json":
        return json.dumps(value, separators=(",", ":"))
    if msg.kind == "msgpack":
        return msgpack.packb(value)
    return bytes(value)


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


def reply_key(msg: WsMessage, data: str | bytes, field: str) -> str | None:
    """The value a reply must carry: the sent message's own reply field."""
    return field_of(data, field) if msg.kind == "json" else None
