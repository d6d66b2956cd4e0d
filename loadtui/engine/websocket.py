"""WebSocket streaming sessions: one per user that carries a `[users.websocket]`.

A session connects (timing the handshake), sends its `on_connect` messages, then sends
on a schedule and times what comes back: echoes (FIFO per connection), correlated
replies (by a JSON field) or the gaps of a pushed stream. It ends after `duration`, or
when the user stops, with a close frame; then the next session opens. Faults (refused
or non-WebSocket handshakes, close codes, dropped connections, oversized messages) are
counted by name and follow the reconnect policy: they never crash a user or hang it.

The user's Task only opens a session and waits for its end: sends run on the session's
timer (ws_session.py) and messages are read by the connection's protocol callbacks
(ws_connection.py), so a message costs no Task wake-up either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from time import perf_counter
from urllib.parse import urlsplit, urlunsplit

from websockets.client import ClientProtocol
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI, NegotiationError
from websockets.extensions.permessage_deflate import enable_client_permessage_deflate
from websockets.typing import Subprotocol
from websockets.uri import WebSocketURI, parse_uri

from loadtui import __version__
from loadtui.engine.auth import target_headers
from loadtui.engine.calls import UserState
from loadtui.engine.gate import Gate
from loadtui.engine.ws_clock import SendClock
from loadtui.engine.ws_connection import CLOSE_TIMEOUT_S
from loadtui.engine.ws_session import SESSIONS
from loadtui.metrics.streams import StreamRecorder
from loadtui.scenario.model import Target, WebSocketSpec
from loadtui.scenario.template import render
from loadtui.scenario.userinfo import split_userinfo


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
    if isinstance(exc, ConnectionError | EOFError):
        return "reset"
    if isinstance(exc, OSError):
        return f"connect: {exc.strerror or type(exc).__name__}"
    return type(exc).__name__


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
        self.uri: WebSocketURI | InvalidURI
        try:
            self.uri = parse_uri(self.url)
        except InvalidURI as exc:
            self.uri = exc  # every session then fails its handshake as "bad url"
        self.ssl = (ssl_context or True) if self.url.startswith("wss://") else None
        # The target's headers (and ours) are sent as written; the stream's own are
        # templates, rendered at each connect.
        fixed = target_headers(target, url, spec.headers)
        if not any(k.lower() == "user-agent" for k, _ in (*fixed, *spec.headers)):
            fixed += (("User-Agent", f"loadtui/{__version__}"),)  # theirs, else ours
        self.fixed_headers = fixed
        self.open_timeout = target.timeouts.connect + target.timeouts.read
        self.expect = spec.expect
        self.reply_field = spec.reply_field or ""
        self.gate: Gate | None = None
        self.clock = SendClock()  # the sends of every session of this stream

    async def run(self, user: UserState, gate: Gate | None = None) -> None:
        """Sessions one after another until the user's task is cancelled (that is how a
        streaming user is stopped: the open session then closes with 1001) or reconnects
        run out. While `gate` is paused, sessions stay open but send nothing. Idle
        sessions wait on timers: 10,000 of them cost no CPU in between."""
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

    def _protocol(self, uri: WebSocketURI) -> ClientProtocol:
        spec = self.spec
        return ClientProtocol(
            uri,
            extensions=enable_client_permessage_deflate(None) if spec.compression else None,
            subprotocols=[Subprotocol(s) for s in spec.subprotocols] or None,
            max_size=spec.max_message_size,
        )

    async def session(self, user: UserState, n: int) -> bool:
        """One session; True when it ran its whole duration and closed normally."""
        rec, uri = self.rec, self.uri
        rec.connect_started()
        if isinstance(uri, InvalidURI):
            rec.connect_failed(failure_reason(uri))
            return False
        try:
            own = [(k, render(v, user.vars)) for k, v in self.spec.headers]
            headers = [*self.fixed_headers, *own]
        except KeyError as exc:
            rec.connect_failed(f"missing variable: {exc.args[0]}")
            return False
        started = perf_counter()
        st = SESSIONS[self.expect](self, user, n, self._protocol(uri), headers)
        conn = st.conn
        try:
            async with asyncio.timeout(self.open_timeout):
                loop = asyncio.get_running_loop()
                await loop.create_connection(lambda: conn, uri.host, uri.port, ssl=self.ssl)
                await conn.opened
        except asyncio.CancelledError:  # the run (or this user) stopped mid-handshake
            conn.abort()
            rec.connect_failed("unfinished")
            raise
        except Exception as exc:  # every handshake failure is a named, counted one
            conn.abort()
            rec.connect_failed(failure_reason(exc))
            return False
        rec.connected(int((conn.opened_at - started) * 1e6))
        stopped = False
        try:
            st.start()
            await asyncio.wait((conn.done,))
        except asyncio.CancelledError:  # the user stops: close properly, then go
            stopped = st.planned = True
            conn.close(1001)
            # A second cancel (the stop's grace ran out) cuts the close short.
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait((conn.done,), timeout=CLOSE_TIMEOUT_S)
        finally:
            st.stop()
            conn.abort()
        clean = st.finish()
        if stopped:
            raise asyncio.CancelledError
        return clean
