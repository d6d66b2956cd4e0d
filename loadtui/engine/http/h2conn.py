"""One HTTP/2 client connection: an asyncio.BufferedProtocol with its own frame layer.

Streams are multiplexed; the pool (`h2pool.py`) decides which caller gets a stream slot
and enforces timeouts with its sweep, as the HTTP/1.1 pool does, so a request costs no
Task and no timer here: `send` starts a stream and returns it, its future completes from
`buffer_updated`. Writes are coalesced: requests started in one turn of the loop leave in
one write.

Why not the h2 library's state machine: a profile of one TLS connection at 32 streams
had 84 % of its samples inside h2, hpack and hyperframe (frame objects, events, stream
state machines, HPACK), for a tenth of h2load's rate. Here a request is its pre-encoded
header block (`h2hpack.py`) behind a 9-byte frame header; the server's bytes are read
into a buffer of ours (asyncio's SSL transport would otherwise allocate and free a
256 KiB object per read) and walked frame header by frame header (`h2read.py`); a
response head is a dict lookup when the server sent the same block before (`h2hpack`).
h2 still names the error codes, hpack gives the static table and the Huffman code.

The connection is ready once the server's own SETTINGS arrive (its preface), so the
first streams already respect its `max_concurrent_streams`. Before that, a server that
cannot speak HTTP/2 shows itself: ALPN chose something else, or over cleartext (h2c by
prior knowledge) its first bytes are not a SETTINGS frame (an HTTP/1.x server answers
the preface with an error page). `ready` then resolves False and the pool falls back to
HTTP/1.1.

Received data is handed back in batched WINDOW_UPDATEs (past half a window), so large
bodies flow; a request body is sent as the server's windows allow. What the server's
frames do is in `h2read.py` (the frames, the limits that keep memory bounded) and
`h2events.py` (heads, endings, settings, pings, resets, GOAWAY); this module keeps the
transport, the request side and the endings.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from h2.errors import ErrorCodes

from loadtui.engine.http.errors import HttpError, from_os_error
from loadtui.engine.http.h2frames import (
    DATA,
    DEFAULT_WINDOW,
    ENABLE_PUSH,
    END_HEADERS,
    END_STREAM,
    HEAD,
    HEADERS,
    INITIAL_WINDOW_SIZE,
    MAX_CONCURRENT_STREAMS,
    MAX_FRAME_SIZE,
    MAX_HEADER_LIST_SIZE,
    MAX_STREAM_ID,
    MIN_FRAME,
    PING,
    PREFACE,
    frame,
    goaway,
    headers_frames,
    rst_stream,
    settings,
    starts_with_settings,
    window_update,
)
from loadtui.engine.http.h2hpack import HeadDecoder
from loadtui.engine.http.h2read import read_frames
from loadtui.engine.http.h2state import (
    CONN_WINDOW,
    MAX_FRAME,
    STREAM_WINDOW,
    ConnectionLost,
    ConnError,
    H2Stream,
    Unprocessed,
)

if TYPE_CHECKING:
    from loadtui.engine.http.h2pool import H2Pool

READ_BUFFER = 1 << 16  # room to read into past the most a partial frame leaves
_CONN_REFUND = CONN_WINDOW // 2  # hand the connection window back past this much


class H2Conn(asyncio.BufferedProtocol):
    """A pooled HTTP/2 connection; `slots` counts its streams plus slots promised to
    callers, and the pool keeps it below `limit` (the server's max_concurrent_streams,
    capped by the pool's own `max_streams`)."""

    def __init__(self, pool: H2Pool, tls: bool) -> None:
        self.pool = pool
        loop = pool.loop
        assert loop is not None  # a pool binds its loop before it opens a connection
        self.loop = loop
        self.tls = tls
        self.decoder = HeadDecoder(pool.max_header_size)
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
        self.next_id = 1  # the next stream's id: every id below it has been used
        # The server's settings, as far as they concern us.
        self.peer_streams = MAX_STREAM_ID  # its max_concurrent_streams: none until said
        self.stream_window = DEFAULT_WINDOW  # its initial window for our streams
        self.max_frame = MIN_FRAME  # the longest frame it takes
        self.send_window = DEFAULT_WINDOW  # what it lets us send on the connection
        self.recv_window = CONN_WINDOW  # what it may send us before our next update
        self.unacked = 0  # received on the connection, not handed back yet
        self.last_rx = loop.time()  # when bytes last arrived
        self.ping_at: float | None = None  # when we last asked for a sign of life
        self.out: list[bytes] = []  # frames to write at the next flush
        self._buf = bytearray(READ_BUFFER)  # what the transport reads into
        self.view = memoryview(self._buf)
        self._have = 0  # bytes at its start, the start of a frame not yet whole
        self.block: bytearray | None = None  # a header block awaiting CONTINUATIONs
        self.block_sid = 0
        self.block_end = False  # its HEADERS frame ended the stream
        self.block_frames = 0
        self._flushing = False

    # -- request side (called by the pool) ----------------------------------------------

    def send(
        self,
        block: bytes,
        body: bytes | None,
        want_body: bool,
        want_headers: bool,
        now: float,
        read_timeout: float,
        total_deadline: float,
    ) -> H2Stream:
        """Start a stream in a slot the pool gave the caller, `block` its encoded header
        block. Never raises: a stream that cannot start has its future failed (and its
        slot returned) at once."""
        st = H2Stream(self.loop.create_future(), want_body, want_headers)
        st.reused = self.uses > 0
        st.read_timeout = read_timeout
        st.read_deadline = now + read_timeout
        st.total_deadline = total_deadline
        if not self.usable:  # lost or told to go away since the slot was given
            self._refuse(st, Unprocessed("closed", "connection gone before the stream"))
            return st
        sid = self.next_id
        if sid > MAX_STREAM_ID:
            self.retire()
            self._refuse(st, Unprocessed("closed", "connection out of stream ids"))
            return st
        self.next_id = sid + 2
        st.id = sid
        st.send_window = self.stream_window
        self.streams[sid] = st
        if len(block) <= self.max_frame:
            flags = END_HEADERS if body else END_HEADERS | END_STREAM
            self.out.append(HEAD.pack(len(block) << 8 | HEADERS, flags, sid) + block)
        else:
            self.out.append(headers_frames(sid, block, not body, self.max_frame))
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

    def cancel(self, st: H2Stream, err: HttpError, code: int = ErrorCodes.CANCEL) -> None:
        """End a stream from our side (its caller gave up, a timeout, a fault in its
        frames): RST_STREAM with `code`."""
        if self.streams.pop(st.id, None) is None:
            return
        self.blocked.pop(st, None)
        if self.alive:
            self.out.append(rst_stream(st.id, code))
            self._flush()
        self.end(st, err)

    def pump(self, st: H2Stream) -> None:
        """Send as much of `st`'s request body as the peer's windows allow."""
        data = st.pending
        assert data is not None
        out = self.out
        while data:
            room = min(self.send_window, st.send_window, self.max_frame)
            if room <= 0:
                self.blocked[st] = None
                st.pending = data
                return
            chunk = data[:room]
            last = len(data) <= room
            out.append(frame(DATA, END_STREAM if last else 0, st.id, chunk.tobytes()))
            self.send_window -= len(chunk)
            st.send_window -= len(chunk)
            data = data[room:]
        st.pending = None
        self.blocked.pop(st, None)

    # -- asyncio.BufferedProtocol ----------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        if self.tls:
            ssl_object = transport.get_extra_info("ssl_object")
            alpn = ssl_object.selected_alpn_protocol() if ssl_object is not None else None
            if alpn != "h2":
                self._not_h2()
                return
        ours = settings(
            {
                ENABLE_PUSH: 0,
                MAX_CONCURRENT_STREAMS: 0,  # for pushes, which we refuse
                INITIAL_WINDOW_SIZE: STREAM_WINDOW,
                MAX_FRAME_SIZE: MAX_FRAME,
                MAX_HEADER_LIST_SIZE: self.pool.max_header_size,
            }
        )
        transport.write(PREFACE + ours + window_update(0, CONN_WINDOW - DEFAULT_WINDOW))

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.view[self._have :]

    def buffer_updated(self, nbytes: int) -> None:
        if not self.alive:
            return
        end = self._have + nbytes
        buf = self._buf
        if not self.settled and not self.tls:
            if end < 9:
                self._have = end
                return
            if not starts_with_settings(bytes(buf[:9])):  # an HTTP/1.x answer, say
                self._not_h2()
                return
        self.last_rx = self.loop.time()
        try:
            pos = read_frames(self, buf, end)
        except ConnError as err:
            self.out.append(goaway(0, err.code))
            self._flush()
            self.fail_all(err)
            return
        except Exception as exc:  # never let a parser error escape into the event loop
            self.fail_all(HttpError("protocol", f"bad HTTP/2: {type(exc).__name__}: {exc}"))
            return
        if not self.alive:
            return
        # The start of a frame not yet whole (its length checked) moves to the front.
        self._have = end - pos
        if pos and pos < end:
            buf[: end - pos] = buf[pos:end]
        if self.unacked >= _CONN_REFUND:
            self.out.append(window_update(0, self.unacked))
            self.recv_window += self.unacked
            self.unacked = 0
        if self.out:
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
            self.out.append(frame(PING, 0, 0, b"loadtui!"))
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
                    self.out.append(goaway(0, ErrorCodes.NO_ERROR))
                    transport.write(b"".join(self.out))
                    self.out.clear()
                transport.close()

    def _flush(self) -> None:
        self._flushing = False
        out = self.out
        if out:
            if self.alive:
                self.transport.write(b"".join(out) if len(out) > 1 else out[0])
            out.clear()
