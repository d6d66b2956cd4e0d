"""The demo target's HTTP/1.1 connection: an asyncio Protocol around httptools.

Keep-alive and pipelining: every request takes a slot in a per-connection queue and
responses leave strictly in request order, so a delayed response holds back the ones
pipelined after it. Delays are ``loop.call_later`` timers (no task, no sleep), and all the
responses produced by one ``data_received`` go out in a single write.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, Protocol, cast

import httptools

from loadtui.demo.http11 import (
    CONN_CLOSE,
    CONN_KEEP,
    CONN_KEEP_10,
    Reply,
    Request,
    error,
    strip_body,
)
from loadtui.demo.routes import DemoApp

log = logging.getLogger("loadtui.demo")

MAX_URL = 8 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Connection(Protocol):
    """What the server keeps per open connection, to close them all on shutdown."""

    def shutdown(self) -> None: ...
    def abort(self) -> None: ...


class _Reject(Exception):
    """Raised inside a parser callback to answer with an error status and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class HttpProtocol(asyncio.Protocol):
    """One client connection, until it closes or upgrades to WebSocket."""

    def __init__(self, app: DemoApp, conns: set[Connection]) -> None:
        self.app = app
        self.conns = conns
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._header_bytes = 0
        self._body: bytearray | None = None
        # Slots [payload or None while pending, close after it?, timer handle or None].
        self._queue: deque[list[Any]] = deque()
        self._out: list[bytes] | None = None  # set while batching one data_received
        self._closing = False  # accept no more requests; close once the queue drains
        self._lost = False
        self._upgrade: Request | None = None  # WebSocket handshake waiting for the queue
        self._tail = bytearray()  # bytes received after the handshake request

    # -- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.conns.add(self)

    def data_received(self, data: bytes) -> None:
        if self._upgrade is not None:
            self._tail += data
            return
        if self._closing:
            return
        out: list[bytes] = []
        self._out = out
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            if self._upgrade is not None:
                self._tail += data[exc.args[0] :]
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__
            if isinstance(cause, _Reject):
                self._fail(cause.status, cause.message)
            else:
                log.error("demo target: parser callback failed", exc_info=cause)
                self._fail(500, "internal error")
        except httptools.HttpParserError:
            self._fail(400, "malformed request")
        finally:
            self._out = None
        transport = self.transport
        assert transport is not None
        if out:
            transport.write(out[0] if len(out) == 1 else b"".join(out))
        if not self._queue:
            if self._closing:
                transport.close()
            elif self._upgrade is not None:
                self._switch()

    def eof_received(self) -> bool | None:
        # A half-closed client still gets the responses it is owed.
        self._closing = True
        return True if self._queue else None

    def pause_writing(self) -> None:
        # The client is not reading: stop parsing requests it would pipeline meanwhile.
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = self._closing = True
        self._cancel_pending()
        self.conns.discard(self)

    # -- Connection --------------------------------------------------------------------

    def shutdown(self) -> None:
        self._closing = True
        self._cancel_pending()
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # -- httptools callbacks -----------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._header_bytes = 0
        self._body = None

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > MAX_URL:
            raise _Reject(414, "URI too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES:
            raise _Reject(431, "request headers too large")

    def on_headers_complete(self) -> None:
        for name, value in self._headers:
            low = name.lower()
            if low == b"content-length" and value.isdigit() and int(value) > MAX_BODY:
                raise _Reject(413, "request body too large")
            if low == b"expect" and value.lower() == b"100-continue" and not self._queue:
                self._write(CONTINUE)

    def on_body(self, body: bytes) -> None:
        if self._body is None:
            self._body = bytearray(body)
        else:
            self._body += body
        if len(self._body) > MAX_BODY:
            raise _Reject(413, "request body too large")

    def on_message_complete(self) -> None:
        if self._closing:
            return
        req = self._request()
        if req is None:
            self._fail(400, "bad request target")
            return
        if self.parser.should_upgrade():
            upgrade = (req.header(b"upgrade") or b"").lower()
            if req.path.startswith("/ws/") and upgrade == b"websocket" and req.method == b"GET":
                self._upgrade = req  # the parser pauses now; data_received finishes it
                return
            # Another protocol (h2c, CONNECT): answer over HTTP/1.1, then close, since
            # the parser will not read past an upgrade request.
            req.keep_alive, req.conn = False, CONN_CLOSE
        try:
            result = self.app.handle(req)
        except Exception:
            log.exception("demo target: handler failed for %s", req.path)
            result = error(500, "internal error", req.conn)
        if isinstance(result, Reply):
            payload, delay, close = result
            close = close or not req.keep_alive
        else:
            payload, delay, close = result, 0.0, not req.keep_alive
        if req.method == b"HEAD":
            payload = strip_body(payload)
        self._emit(payload, delay, close)

    # -- internals ---------------------------------------------------------------------

    def _request(self) -> Request | None:
        url = self._url
        if not url.startswith(b"/"):
            try:  # absolute-form target, as a proxy would send it
                parsed = httptools.parse_url(url)
            except httptools.HttpParserInvalidURLError:
                return None
            path, query = parsed.path or b"/", parsed.query or b""
        else:
            path, _, query = url.partition(b"?")
        parser = self.parser
        if not parser.should_keep_alive():
            keep_alive, conn = False, CONN_CLOSE
        elif parser.get_http_version() == "1.0":
            keep_alive, conn = True, CONN_KEEP_10
        else:
            keep_alive, conn = True, CONN_KEEP
        return Request(
            parser.get_method(),
            path.decode("latin-1"),
            query.decode("latin-1"),
            self._headers,
            bytes(self._body) if self._body is not None else b"",
            keep_alive,
            conn,
        )

    def _write(self, payload: bytes) -> None:
        if self._out is not None:
            self._out.append(payload)
        elif self.transport is not None and not self._lost:
            self.transport.write(payload)

    def _emit(self, payload: bytes, delay: float, close: bool) -> None:
        """Send now if nothing is ahead of this response, else queue it in order."""
        if close:
            self._closing = True
        if delay <= 0.0:
            if self._queue:
                self._queue.append([payload, close, None])
            else:
                self._write(payload)
            return
        slot: list[Any] = [None, close, None]
        loop = asyncio.get_running_loop()
        slot[2] = loop.call_later(delay, self._fill, slot, payload)
        self._queue.append(slot)

    def _fill(self, slot: list[Any], payload: bytes) -> None:
        slot[0], slot[2] = payload, None
        queue = self._queue
        if self._lost or self.transport is None:
            return
        ready = []
        while queue and queue[0][0] is not None:
            ready.append(queue.popleft()[0])
        if ready:
            self.transport.write(ready[0] if len(ready) == 1 else b"".join(ready))
        if not queue:
            if self._closing:
                self.transport.close()
            elif self._upgrade is not None:
                self._switch()

    def _fail(self, status: int, message: str) -> None:
        if self._closing:  # a close is already on its way; ignore what follows it
            return
        self._emit(error(status, message, CONN_CLOSE), 0.0, True)

    def _cancel_pending(self) -> None:
        for slot in self._queue:
            if slot[2] is not None:
                slot[2].cancel()
        self._queue.clear()

    def _switch(self) -> None:
        """Hand the transport to the WebSocket protocol (same port, same socket)."""
        from loadtui.demo.ws import WsProtocol

        request, self._upgrade = self._upgrade, None
        assert request is not None and self.transport is not None
        self.conns.discard(self)
        self._closing = True  # this object is done with the connection
        ws = WsProtocol(self.conns, request)
        self.transport.set_protocol(ws)
        self.transport.resume_reading()
        ws.connection_made(self.transport)
        if self._tail:
            ws.data_received(bytes(self._tail))
