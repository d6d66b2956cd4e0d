"""Reading the frames of an HTTP/2 connection (`h2conn.py` hands over what it read).

A frame is its 9-byte header, read with one `unpack_from`, and a span of the read
buffer: no frame objects. DATA is counted against the windows (and kept when the
stream's caller wants the body); HEADERS and CONTINUATION make header blocks, handed
whole to `h2events.on_head`; every other frame goes to `h2events.on_frame`.

Bounded memory, whatever the server sends: a frame longer than the 16 KiB we advertise
is refused from its header, before it is buffered; a header block stops at the pool's
`max_header_size` bytes or 64 CONTINUATION frames ("too large" for the connection, whose
HPACK state is lost with the rest of the block); a kept body stops at `max_body_size`
(that stream is reset). A fault of one stream resets it ("protocol"); a fault of the
connection raises `ConnError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from h2.errors import ErrorCodes

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.h2events import on_ended, on_frame, on_head
from loadtui.engine.http.h2frames import (
    CONTINUATION,
    DATA,
    END_HEADERS,
    END_STREAM,
    HEAD,
    HEADERS,
    MAX_STREAM_ID,
    PADDED,
    PRIORITY_FLAG,
    window_update,
)
from loadtui.engine.http.h2state import MAX_CONTINUATIONS, MAX_FRAME, STREAM_WINDOW, ConnError

if TYPE_CHECKING:
    from loadtui.engine.http.h2conn import H2Conn

PROTOCOL = ErrorCodes.PROTOCOL_ERROR
FLOW_CONTROL = ErrorCodes.FLOW_CONTROL_ERROR
ENHANCE_YOUR_CALM = ErrorCodes.ENHANCE_YOUR_CALM
_STREAM_REFUND = STREAM_WINDOW // 2  # hand a stream's window back past this much


def read_frames(conn: H2Conn, data: bytearray, end: int) -> int:
    """Handle every whole frame in `data[:end]`; return where the first partial one
    starts."""
    pos = 0
    view = conn.view
    unpack = HEAD.unpack_from
    while end - pos >= 9:
        head, flags, sid = unpack(data, pos)
        length = head >> 8
        if length > MAX_FRAME:
            text = "a frame longer than the advertised maximum"
            raise ConnError("protocol", text, ErrorCodes.FRAME_SIZE_ERROR)
        start = pos + 9
        stop = start + length
        if stop > end:
            break
        pos = stop
        ftype = head & 0xFF
        sid &= MAX_STREAM_ID
        if conn.block is not None:
            if ftype != CONTINUATION or sid != conn.block_sid:
                raise ConnError("protocol", "a frame inside a header block", PROTOCOL)
            _continuation(conn, view[start:stop], flags)
        elif ftype == DATA:
            _data(conn, data, start, stop, flags, sid)
        elif ftype == HEADERS:
            _headers(conn, data, start, stop, flags, sid)
        else:
            on_frame(conn, ftype, flags, sid, bytes(view[start:stop]))
        if not conn.alive:
            break
    return pos


def _data(conn: H2Conn, data: bytearray, start: int, stop: int, flags: int, sid: int) -> None:
    length = stop - start  # padding included: it counts against the windows
    conn.recv_window -= length
    if conn.recv_window < 0:
        raise ConnError("protocol", "data past the connection window", FLOW_CONTROL)
    conn.unacked += length
    if flags & PADDED:
        if length == 0 or data[start] >= length:
            raise ConnError("protocol", "padding longer than its frame", PROTOCOL)
        stop -= data[start]
        start += 1
    st = conn.streams.get(sid)
    if st is None:
        if not sid & 1 or sid >= conn.next_id:
            raise ConnError("protocol", f"DATA on stream {sid}, never opened", PROTOCOL)
        return  # a stream we reset: its late frames only count against the window
    if st.status == 0:
        conn.cancel(st, HttpError("protocol", "DATA before the response head"), PROTOCOL)
        return
    st.recv_window -= length
    if st.recv_window < 0:
        conn.cancel(st, HttpError("protocol", "data past the stream window"), FLOW_CONTROL)
        return
    st.rx = True
    st.body_len += stop - start
    if st.want_body:
        if st.body_len > conn.pool.max_body_size:
            cap = conn.pool.max_body_size
            conn.cancel(st, HttpError("too large", f"response body over {cap} bytes"))
            return
        st.parts.append(bytes(conn.view[start:stop]))
    if flags & END_STREAM:
        del conn.streams[sid]
        on_ended(conn, st)
    elif STREAM_WINDOW - st.recv_window >= _STREAM_REFUND:
        conn.out.append(window_update(sid, STREAM_WINDOW - st.recv_window))
        st.recv_window = STREAM_WINDOW


def _headers(conn: H2Conn, data: bytearray, start: int, stop: int, flags: int, sid: int) -> None:
    if not sid & 1:
        raise ConnError("protocol", f"HEADERS on stream {sid}", PROTOCOL)
    if flags & PADDED:
        if start == stop or data[start] >= stop - start:
            raise ConnError("protocol", "padding longer than its frame", PROTOCOL)
        stop -= data[start]
        start += 1
    if flags & PRIORITY_FLAG:  # deprecated (RFC 9113 §5.3.2): skipped
        start += 5
        if start > stop:
            text = "HEADERS too short for its priority"
            raise ConnError("protocol", text, ErrorCodes.FRAME_SIZE_ERROR)
    if flags & END_HEADERS:
        on_head(conn, sid, bytes(conn.view[start:stop]), flags & END_STREAM)
        return
    if stop - start > conn.pool.max_header_size:
        raise ConnError("too large", _too_large(conn), ENHANCE_YOUR_CALM)
    conn.block = bytearray(conn.view[start:stop])
    conn.block_sid = sid
    conn.block_end = bool(flags & END_STREAM)
    conn.block_frames = 0


def _continuation(conn: H2Conn, payload: memoryview, flags: int) -> None:
    block = conn.block
    assert block is not None
    block += payload
    conn.block_frames += 1
    if len(block) > conn.pool.max_header_size or conn.block_frames > MAX_CONTINUATIONS:
        raise ConnError("too large", _too_large(conn), ENHANCE_YOUR_CALM)
    if flags & END_HEADERS:
        conn.block = None
        on_head(conn, conn.block_sid, bytes(block), conn.block_end)


def _too_large(conn: H2Conn) -> str:
    cap = conn.pool.max_header_size
    return f"response head over {cap} bytes or {MAX_CONTINUATIONS} CONTINUATION frames"
