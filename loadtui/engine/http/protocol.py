"""One keep-alive HTTP/1.1 client connection: an asyncio.Protocol fed to httptools.

Hot-path choices (each measured to matter at ~45k req/s per core):
- no Task, no timer handle per request: the Pool's sweep enforces timeouts from the
  deadlines stored here, and `data_received` only raises an activity flag;
- two parsers per connection: a lean one without header callbacks (llhttp then makes
  no bytes objects for headers) and, built on first need, one that collects headers;
- body chunks are only counted unless the caller wants the body;
- a request's outcome goes either to a Future (`send`) or straight to a `Sink`
  (`send_to`): the callback-driven users (engine/driven.py) take the next step from
  there, with no Future and no coroutine resume per request. A completed response
  reaches its sink only once the bytes received are fully handled (never from inside
  the parser), so a sink may send the next request on this very connection.

httptools cannot skip a body (HEAD) nor finish a close-delimited one at EOF, so:
HEAD raises out of `on_headers_complete` and the parser is replaced, and at EOF the
retained header bytes are re-parsed to tell "body ends at close" from "truncated".

A hostile peer cannot grow our memory (the pattern of uvicorn's httptools protocol:
everything is decided at the protocol edge, and no callback error escapes into the
event loop): the parser is never fed more head bytes than `max_header` (interim 1xx
heads included), a kept body stops at `max_body`, and either is a "too large" failure
that aborts the connection. Bodies nobody keeps are only counted, whatever their size.
A 101 (or any upgrade) is "unexpected upgrade": this pool never asks for one. Anything
else the parser or a callback raises is a "protocol" failure of that request.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from httptools import (
    HttpParserCallbackError,
    HttpParserError,
    HttpParserUpgrade,
    HttpResponseParser,
)

from loadtui.engine.http.errors import HttpError, from_os_error
from loadtui.engine.http.response import (
    INF,
    RATE_LIMIT_STATUSES,
    Response,
    Sink,
    SkipBody,
    eof_delimited,
    raw_headers,
)

if TYPE_CHECKING:
    from loadtui.engine.http.connections import Connections


class HttpConn(asyncio.Protocol):
    """A pooled connection. At most one request in flight (no pipelining)."""

    __slots__ = (
        "alive",
        "body_len",
        "body_parts",
        "chunks",
        "fut",
        "got",
        "hdr_done",
        "head",
        "head_bytes",
        "headers",
        "hparser",
        "inflight",
        "keep_alive",
        "loop",
        "lparser",
        "max_body",
        "max_header",
        "parser",
        "pool",
        "read_deadline",
        "read_timeout",
        "ready",
        "rx",
        "sink",
        "skip",
        "status",
        "total_deadline",
        "transport",
        "uses",
        "want_body",
    )

    def __init__(self, pool: Connections) -> None:
        self.pool = pool
        loop = pool.loop
        assert loop is not None  # a pool binds its loop before it opens a connection
        self.loop = loop
        self.transport: Any = None
        self.alive = True
        self.fut: asyncio.Future[Response] | None = None
        self.sink: Sink | None = None  # instead of `fut`, for a request sent with send_to
        self.inflight = False  # a request is waiting for its response
        self.ready: tuple[Sink, Response] | None = None  # completed, not yet handed over
        self.uses = 0  # responses completed here; > 0 means "reused"
        self.lparser = HttpResponseParser(self._callbacks(False))
        self.hparser: HttpResponseParser | None = None
        self.parser = self.lparser
        self.chunks: list[bytes] = []  # raw bytes seen until the response head is complete
        self.body_parts: list[bytes] = []
        self.headers: list[tuple[bytes, bytes]] | None = None
        self.status = self.body_len = 0
        self.keep_alive = False
        self.hdr_done = False
        self.got = False  # any response byte since the request was sent
        self.rx = False  # activity since the pool's last sweep
        self.head = False
        self.skip = False
        self.want_body = False
        self.read_timeout = 0.0
        self.read_deadline = INF
        self.total_deadline = INF
        self.max_header = pool.max_header_size
        self.max_body = pool.max_body_size
        self.head_bytes = 0  # response head bytes fed to the parser (1xx heads included)

    def _callbacks(self, with_headers: bool) -> SimpleNamespace:
        cb = SimpleNamespace(
            on_headers_complete=self._on_headers_complete,
            on_body=self._on_body,
            on_message_complete=self._on_message_complete,
        )
        if with_headers:
            cb.on_header = self._on_header
        return cb

    # -- request side (called by the Pool) ------------------------------------------------

    def send(
        self,
        raw: bytes,
        want_body: bool,
        want_headers: bool,
        head: bool,
        now: float,
        read_timeout: float,
        total_deadline: float,
    ) -> asyncio.Future[Response]:
        """Send `raw`; the Future gets the response or the HttpError."""
        self.fut = fut = self.loop.create_future()
        self._arm(raw, want_body, want_headers, head, now, read_timeout, total_deadline)
        return fut

    def send_to(
        self,
        sink: Sink,
        raw: bytes,
        want_body: bool,
        want_headers: bool,
        head: bool,
        now: float,
        read_timeout: float,
        total_deadline: float,
    ) -> None:
        """Send `raw`; `sink` gets the response or the HttpError (no Future)."""
        self.sink = sink
        self._arm(raw, want_body, want_headers, head, now, read_timeout, total_deadline)

    def _arm(
        self,
        raw: bytes,
        want_body: bool,
        want_headers: bool,
        head: bool,
        now: float,
        read_timeout: float,
        total_deadline: float,
    ) -> None:
        self.inflight = True
        self.want_body = want_body
        self.head = head
        self.status = self.body_len = self.head_bytes = 0
        if want_headers:
            self.headers = []
            if self.hparser is None:
                self.hparser = HttpResponseParser(self._callbacks(True))
            self.parser = self.hparser
        else:
            self.headers = None
            self.parser = self.lparser
        self.hdr_done = self.got = self.rx = False
        self.read_timeout = read_timeout
        self.read_deadline = now + read_timeout
        self.total_deadline = total_deadline
        self.transport.write(raw)

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if not self.inflight:
            # Bytes nobody asked for (e.g. a 408 before closing): the stream is out of step.
            self._die()
            return
        self.got = self.rx = True
        if not self.hdr_done:
            room = self.max_header - self.head_bytes
            self.head_bytes += len(data)
            if len(data) > room:  # rare: feed the head only up to the cap
                self._head_past_cap(data, max(room, 0))
                if self.ready is not None:
                    self._hand_over()
                return
            self.chunks.append(data)
        try:
            self.parser.feed_data(data)
        except Exception as exc:  # never let a parser error escape into the event loop
            self._parse_failed(exc)
        if self.ready is not None:
            self._hand_over()

    def _head_past_cap(self, data: bytes, room: int) -> None:
        """`data` would take the head past `max_header`: the head must end within `room`."""
        head = data[:room]
        self.chunks.append(head)
        if head:
            self._feed(head)
        if not self.inflight or not self.alive:
            if self.alive and len(data) > room:
                self._die()  # complete with bytes nobody asked for: out of step
            return
        if not self.hdr_done:
            self.fail(HttpError("too large", f"response head over {self.max_header} bytes"))
            return
        self._feed(data[room:])

    def _feed(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except Exception as exc:
            self._parse_failed(exc)

    def _parse_failed(self, exc: Exception) -> None:
        """What the parser raised, as this request's failure (or the end of a HEAD)."""
        if isinstance(exc, HttpParserCallbackError):
            cause = exc.__context__
            if isinstance(cause, HttpError):  # raised by a callback of ours: a cap, a 101
                self.fail(cause)
            elif self.skip:
                self._finish_head()
            else:
                self.fail(HttpError("protocol", f"bad response: {exc} ({cause!r})"))
        elif isinstance(exc, HttpParserUpgrade):
            self.fail(HttpError("unexpected upgrade", "the server switched protocols"))
        elif isinstance(exc, HttpParserError):
            self.fail(HttpError("protocol", f"bad response: {exc}"))
        else:
            self.fail(HttpError("protocol", f"bad response: {type(exc).__name__}: {exc}"))

    def eof_received(self) -> bool:
        self._eof(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof(exc)

    # -- parser callbacks --------------------------------------------------------------------

    def _on_header(self, name: bytes, value: bytes) -> None:
        if self.headers is not None and not self.hdr_done:  # trailers are not kept
            self.headers.append((name, value))

    def _on_headers_complete(self) -> None:
        parser = self.parser
        self.hdr_done = True
        self.status = status = parser.get_status_code()
        self.keep_alive = parser.should_keep_alive()
        if not self.inflight:
            raise HttpError("protocol", "response without a request")
        if status == 101:
            raise HttpError("unexpected upgrade", "101 Switching Protocols to a plain request")
        if self.headers is None and status in RATE_LIMIT_STATUSES:
            # Rare and worth it: keep a refusal's headers (Retry-After) even when the
            # caller did not ask, from the header bytes already kept for EOF handling.
            self.headers = raw_headers(b"".join(self.chunks))
        if self.head and status >= 200:
            self.skip = True
            raise SkipBody

    def _on_body(self, chunk: bytes) -> None:
        self.body_len += len(chunk)
        if self.want_body:
            if self.body_len > self.max_body:
                raise HttpError("too large", f"response body over {self.max_body} bytes")
            self.body_parts.append(chunk)

    def _on_message_complete(self) -> None:
        if self.status < 200:  # 1xx interim response: the real one follows
            self.hdr_done = False
            if self.headers is not None:
                self.headers = []
            return
        self._complete()

    # -- completion ----------------------------------------------------------------------

    def _complete(self) -> None:
        """The response is whole: resolve the Future, or keep it for the sink until the
        bytes received are handled (`_hand_over`)."""
        fut, sink = self.fut, self.sink
        self.fut = self.sink = None
        self.inflight = False
        self.uses += 1
        body = None
        if self.want_body:
            body = b"".join(self.body_parts)
            self.body_parts.clear()
        self.chunks.clear()
        resp = Response(self.status, self.headers, body, self.body_len, self.keep_alive)
        if not self.keep_alive:
            self._die()
        if sink is not None:
            self.ready = (sink, resp)
        elif fut is not None and not fut.done():
            fut.set_result(resp)

    def _hand_over(self) -> None:
        """Give a completed response to its sink, which may send the next request here."""
        ready = self.ready
        if ready is not None:
            self.ready = None
            ready[0].on_response(self, ready[1])

    def _finish_head(self) -> None:
        """A HEAD response ended at its head; llhttp is left mid-message, so replace it."""
        self.skip = False
        if self.parser is self.lparser:
            self.lparser = self.parser = HttpResponseParser(self._callbacks(False))
        else:
            self.hparser = self.parser = HttpResponseParser(self._callbacks(True))
        self._complete()

    def _eof(self, exc: BaseException | None) -> None:
        """The peer closed (exc None) or the connection broke."""
        if self.inflight:
            if exc is not None:
                self.fail(from_os_error(exc, connecting=False))
            elif self.hdr_done and eof_delimited(self.chunks):
                self.keep_alive = False
                self._complete()  # HTTP/1.0 style: the body ends where the connection does
            elif self.got:
                self.fail(HttpError("closed", "server closed the connection mid-response"))
            else:
                self.fail(HttpError("closed", "server closed the connection without a response"))
        self._die()
        self._hand_over()

    def fail(self, err: HttpError) -> None:
        """End the current request with `err`; the connection cannot be trusted after it
        (so a sink told here never gets this connection back)."""
        fut, sink = self.fut, self.sink
        self.fut = self.sink = None
        self.inflight = False
        self.body_parts.clear()
        self.chunks.clear()
        self._die(abort=True)
        if sink is not None:
            sink.on_error(self, err)
        elif fut is not None and not fut.done():
            fut.set_exception(err)

    def abandon(self) -> None:
        """Drop the request in flight without telling its sink (its user was cut off)."""
        self.sink = None
        self.fail(HttpError("closed", "request cancelled"))

    def _die(self, abort: bool = False) -> None:
        if self.alive:
            self.alive = False
            self.pool.lost(self)
        transport = self.transport
        if transport is not None and not transport.is_closing():
            if abort:
                transport.abort()
            else:
                transport.close()
