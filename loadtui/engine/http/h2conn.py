"""One HTTP/2 client connection: an asyncio.Protocol around the h2 state machine.

Streams are multiplexed; the pool (`h2pool.py`) decides which caller gets a stream slot
and enforces timeouts with its sweep, as the HTTP/1.1 pool does, so a request costs no
Task and no timer here: `send` starts a stream and returns it, its future completes from
`data_received`. Writes are coalesced: requests started in one turn of the loop leave in
one write.

The connection is ready once the server's own SETTINGS arrive (its preface), so the
first streams already respect its `max_concurrent_streams`. Before that, a server that
cannot speak HTTP/2 shows itself: ALPN chose something else, or over cleartext (h2c by
prior knowledge) its first bytes are not a SETTINGS frame (an HTTP/1.x server answers
the preface with an error page). `ready` then resolves False and the pool falls back to
HTTP/1.1.

Bounded memory, whatever the peer sends: a response's header list stops at the pool's
`max_header_size` (hpack's own limit, past it "too large"), a frame cannot be longer
than the 16 KiB we advertise, a kept body stops at `max_body_size` (that stream is
reset: "too large"), and bodies nobody keeps are only counted. Received data is
acknowledged as it is consumed, so large bodies flow under flow control; a request body
is sent as the peer's windows allow.

What each parsed event does to its stream (and what a GOAWAY does to the connection) is
in `h2events.py`; this module keeps the transport, the request side and the endings.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import DataReceived, ResponseReceived, StreamEnded
from h2.exceptions import DenialOfServiceError, H2Error, NoAvailableStreamIDError
from h2.settings import SettingCodes, Settings

from loadtui.engine.http.errors import ErrorKind, HttpError, from_os_error
from loadtui.engine.http.h2events import on_data, on_ended, on_other, on_response
from loadtui.engine.http.h2state import (
    CONFIG,
    CONN_WINDOW,
    MAX_FRAME,
    STREAM_WINDOW,
    ConnectionLost,
    GoawayDrains,
    H2Stream,
    Unprocessed,
    starts_with_settings,
)

if TYPE_CHECKING:
    from loadtui.engine.http.h2pool import H2Pool


class H2Conn(asyncio.Protocol):
    """A pooled HTTP/2 connection; `slots` counts its streams plus slots promised to
    callers, and the pool keeps it below `limit` (the server's max_concurrent_streams,
    capped by the pool's own `max_streams`)."""

    def __init__(self, pool: H2Pool, tls: bool) -> None:
        self.pool = pool
        loop = pool.loop
        assert loop is not None  # a pool binds its loop before it opens a connection
        self.loop = loop
        self.tls = tls
        h2 = H2Connection(CONFIG)
        h2.state_machine = GoawayDrains()
        h2.local_settings = Settings(
            client=True,
            initial_values={
                SettingCodes.ENABLE_PUSH: 0,
                SettingCodes.MAX_CONCURRENT_STREAMS: 0,  # for pushes, which we refuse
                SettingCodes.INITIAL_WINDOW_SIZE: STREAM_WINDOW,
                SettingCodes.MAX_FRAME_SIZE: MAX_FRAME,
                SettingCodes.MAX_HEADER_LIST_SIZE: pool.max_header_size,
            },
        )
        h2.decoder.max_header_list_size = pool.max_header_size
        self.h2 = h2
        self.transport: Any = None
        self.ready: asyncio.Future[bool] = loop.create_future()  # False: not HTTP/2
        self.streams: dict[int, H2Stream] = {}
        self.blocked: dict[H2Stream, None] = {}  # request bodies waiting for a window
        self.alive = True
        self.usable = False  # may take new streams: ready, no GOAWAY, not stalled
        self.settled = False  # the server's preface arrived
        self.slots = 0
        self.limit = 0
        self.uses = 0  # streams completed here
        self.last_rx = loop.time()  # when bytes last arrived
        self.ping_at: float | None = None  # when we last asked for a sign of life
        self._early = b""  # the first bytes of an h2c answer, while fewer than 9
        self._flushing = False

    # -- request side (called by the pool) ----------------------------------------------

    def send(
        self,
        headers: list[tuple[bytes, bytes]],
        body: bytes | None,
        want_body: bool,
        want_headers: bool,
        now: float,
        read_timeout: float,
        total_deadline: float,
    ) -> H2Stream:
        """Start a stream in a slot the pool gave the caller. Never raises: a stream that
        cannot start has its future failed (and its slot returned) at once."""
        st = H2Stream(self.loop.create_future(), want_body, want_headers)
        st.reused = self.uses > 0
        st.read_timeout = read_timeout
        st.read_deadline = now + read_timeout
        st.total_deadline = total_deadline
        if not self.usable:  # lost or told to go away since the slot was given
            self._refuse(st, Unprocessed("closed", "connection gone before the stream"))
            return st
        h2 = self.h2
        try:
            sid = h2.get_next_available_stream_id()
            h2.send_headers(sid, headers, end_stream=not body)
        except NoAvailableStreamIDError:
            self.retire()
            self._refuse(st, Unprocessed("closed", "connection out of stream ids"))
            return st
        except H2Error as exc:  # the server lowered its limit meanwhile, or h2 refused
            self._refuse(st, Unprocessed("closed", f"stream not started: {exc}"))
            return st
        st.id = sid
        self.streams[sid] = st
        if body:
            st.pending = memoryview(body)
            self.pump(st)
        if not self._flushing:
            self._flushing = True
            self.loop.call_soon(self._flush)
        return st

    def _refuse(self, st: H2Stream, err: HttpError) -> None:
        st.fut.set_exception(err)
        self.pool.slot_free(self)

    def cancel(self, st: H2Stream, err: HttpError) -> None:
        """End a stream from our side (its caller gave up, or a timeout): RST_STREAM."""
        if self.streams.pop(st.id, None) is None:
            return
        self.blocked.pop(st, None)
        if self.alive:
            with contextlib.suppress(H2Error):  # already closed in h2's view: nothing to say
                self.h2.reset_stream(st.id, ErrorCodes.CANCEL)
            self._flush()
        self.end(st, err)

    def pump(self, st: H2Stream) -> None:
        """Send as much of `st`'s request body as the peer's windows allow."""
        h2 = self.h2
        data = st.pending
        assert data is not None
        try:
            while data:
                room = min(h2.local_flow_control_window(st.id), h2.max_outbound_frame_size)
                if room <= 0:
                    self.blocked[st] = None
                    st.pending = data
                    return
                h2.send_data(st.id, data[:room], end_stream=len(data) <= room)
                data = data[room:]
        except H2Error as exc:
            self.cancel(st, HttpError("protocol", f"sending the body: {exc}"))
            return
        st.pending = None
        self.blocked.pop(st, None)

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        if self.tls:
            ssl_object = transport.get_extra_info("ssl_object")
            alpn = ssl_object.selected_alpn_protocol() if ssl_object is not None else None
            if alpn != "h2":
                self._not_h2()
                return
        h2 = self.h2
        h2.initiate_connection()
        h2.increment_flow_control_window(CONN_WINDOW - 65_535)
        transport.write(h2.data_to_send())

    def data_received(self, data: bytes) -> None:
        if not self.alive:
            return
        if not self.settled and not self.tls:
            data = self._early + data
            if len(data) < 9:
                self._early = data
                return
            self._early = b""
            if not starts_with_settings(data):  # e.g. an HTTP/1.x answer to the preface
                self._not_h2()
                return
        self.last_rx = self.loop.time()
        h2 = self.h2
        try:
            events = h2.receive_data(data)
        except DenialOfServiceError as exc:  # a header list past max_header_size
            self.fail_all(HttpError("too large", f"response head: {exc}"))
            return
        except H2Error as exc:
            # h2 stops a header block at 64 CONTINUATION frames: a head too large too.
            kind: ErrorKind = "too large" if "many continuation" in str(exc) else "protocol"
            self.fail_all(HttpError(kind, f"bad HTTP/2 from the server: {exc}"))
            return
        except Exception as exc:  # never let a parser error escape into the event loop
            self.fail_all(HttpError("protocol", f"bad HTTP/2: {type(exc).__name__}: {exc}"))
            return
        rest = h2.incoming_buffer._data  # what is left: the start of a frame
        if len(rest) >= 3 and int.from_bytes(rest[:3]) > MAX_FRAME:
            # h2 would buffer the frame whole before checking the length it announces.
            self.fail_all(HttpError("protocol", "a frame longer than the advertised maximum"))
            return
        streams = self.streams
        for ev in events:
            if isinstance(ev, DataReceived):
                on_data(self, ev, streams.get(ev.stream_id))
            elif isinstance(ev, ResponseReceived):
                st = streams.get(ev.stream_id)
                if st is not None:
                    on_response(self, st, ev.headers)
            elif isinstance(ev, StreamEnded):
                st = streams.pop(ev.stream_id, None)
                if st is not None:
                    on_ended(self, st)
            else:
                on_other(self, ev)
            if not self.alive:
                return
        self._flush()

    def eof_received(self) -> bool:
        self._lost(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost(exc)

    # -- endings ---------------------------------------------------------------------------

    def end(self, st: H2Stream, err: HttpError) -> None:
        """A stream already out of `streams` fails with `err`; its slot goes back."""
        st.parts.clear()
        fut = st.fut
        self.pool.slot_free(self)
        if not fut.done():
            fut.set_exception(err)

    def _lost(self, exc: BaseException | None) -> None:
        if not self.settled:
            if not self.ready.done():
                if exc is not None:
                    self.ready.set_exception(from_os_error(exc, connecting=True))
                else:
                    text = "server closed the connection without an HTTP/2 preface"
                    self.ready.set_exception(HttpError("closed", text))
            self.die()
            return
        if exc is not None:
            err = from_os_error(exc, connecting=False)
            self.fail_all(ConnectionLost(err.kind, err.detail))
        else:
            self.fail_all(ConnectionLost("closed", "server closed the connection mid-response"))

    def fail_all(self, err: HttpError) -> None:
        """End every stream with `err` and drop the connection: it cannot be trusted."""
        if not self.ready.done():
            self.ready.set_exception(err)
        streams = list(self.streams.values())
        self.streams.clear()
        self.blocked.clear()
        self.die(abort=True)
        for st in streams:
            self.end(st, err)

    def _not_h2(self) -> None:
        """The server spoke something else than HTTP/2: tell the pool, drop the socket."""
        if not self.ready.done():
            self.ready.set_result(False)
        self.die(abort=True)

    def probe(self, now: float) -> None:
        """Nothing came while a stream waited out its read timeout: ask for a sign of
        life (PING), unless one is pending. The pool retires us if none comes."""
        if self.alive and (self.ping_at is None or self.last_rx >= self.ping_at):
            self.ping_at = now
            with contextlib.suppress(H2Error):
                self.h2.ping(b"loadtui!")
                self._flush()

    def retire(self) -> None:
        """Take no new streams (a GOAWAY, a stall, no stream ids left)."""
        if self.usable:
            self.usable = False
            self.pool.unusable(self)

    def close_idle(self) -> None:
        """Called by the pool once a retired connection has no stream left."""
        if self.alive and not self.streams:
            self.die()

    def die(self, abort: bool = False) -> None:
        if self.alive:
            self.alive = False
            self.usable = False
            self.pool.lost(self)
        transport = self.transport
        if transport is not None and not transport.is_closing():
            if abort:
                transport.abort()
            else:
                if self.settled:
                    with contextlib.suppress(H2Error):
                        self.h2.close_connection()
                        transport.write(self.h2.data_to_send())
                transport.close()

    def _flush(self) -> None:
        self._flushing = False
        data = self.h2.data_to_send()
        if data and self.alive:
            self.transport.write(data)
