"""What an HTTP/2 connection does with what the server sends: a response head, a stream's
end, and the rarer frames (settings, pings, window updates, resets, GOAWAY).

The frame reader (`h2read.py`) hands each complete header block and each rare frame
here; these functions work on the connection's (`h2conn.py`) own state. A fault in one
stream's frames resets that stream ("protocol"); a fault in the connection's raises
`ConnError`, which fails every stream and closes the connection with a GOAWAY.

A GOAWAY only stops new streams: the streams it names as unprocessed fail as
`Unprocessed` (the pool sends them again), the others run to their end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from h2.errors import ErrorCodes

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.h2frames import (
    ACK,
    CONTINUATION,
    ENABLE_PUSH,
    GOAWAY,
    INITIAL_WINDOW_SIZE,
    MAX_CONCURRENT_STREAMS,
    MAX_FRAME_LIMIT,
    MAX_FRAME_SIZE,
    MAX_WINDOW,
    MIN_FRAME,
    PING,
    PUSH_PROMISE,
    RST_STREAM,
    SETTINGS,
    SETTINGS_ACK,
    WINDOW_UPDATE,
    error_name,
    ping,
    read_goaway,
    read_settings,
    read_u32,
    rst_stream,
)
from loadtui.engine.http.h2hpack import HeadTooLarge, HpackError
from loadtui.engine.http.h2state import ConnError, H2Stream, Unprocessed, goaway_kind
from loadtui.engine.http.response import RATE_LIMIT_STATUSES, Response

if TYPE_CHECKING:
    from loadtui.engine.http.h2conn import H2Conn

PROTOCOL = ErrorCodes.PROTOCOL_ERROR
FRAME_SIZE = ErrorCodes.FRAME_SIZE_ERROR
MAX_UNREAD = 4 << 20  # bytes we wrote that the server has not read, past which we stop


def on_head(conn: H2Conn, sid: int, block: bytes, end_stream: int) -> None:
    """A complete header block for stream `sid`: decoded whatever becomes of it, since
    the server's HPACK table must see every block."""
    try:
        status, fields, _ = conn.decoder.decode(block)
    except HpackError as exc:
        code = ErrorCodes.COMPRESSION_ERROR
        raise ConnError("protocol", f"bad header block: {exc}", code) from None
    except HeadTooLarge as exc:
        st = conn.streams.get(sid)
        if st is not None:
            conn.cancel(st, HttpError("too large", str(exc)))
        return
    st = conn.streams.get(sid)
    if st is None:
        if sid >= conn.next_id:
            raise ConnError("protocol", f"HEADERS on stream {sid}, never opened", PROTOCOL)
        return  # a stream we reset meanwhile
    if st.status == 0:  # the response's head, or an interim 1xx one before it
        if status < 100 or status == 101:  # 101 has no place in HTTP/2 (RFC 9113 §8.6)
            conn.cancel(st, HttpError("protocol", _bad_status(status)), PROTOCOL)
            return
        if status < 200:
            if end_stream:
                conn.cancel(st, HttpError("protocol", "stream ended on a 1xx"), PROTOCOL)
            return
        st.got = st.rx = True
        st.status = status
        if st.want_headers or status in RATE_LIMIT_STATUSES:
            st.headers = list(fields)  # a remembered head's list is shared: copied
    elif status != 0 or not end_stream:
        conn.cancel(st, HttpError("protocol", "a second head that is no trailer"), PROTOCOL)
        return
    if end_stream:
        del conn.streams[sid]
        on_ended(conn, st)


def _bad_status(status: int) -> str:
    if status < 0:
        return "malformed response head"
    return f"invalid :status {status}" if status else "response without a :status"


def on_ended(conn: H2Conn, st: H2Stream) -> None:
    """The server ended `st` (already out of `streams`) after its response head."""
    if st.pending is not None:  # answered before its body was sent: stop sending it
        conn.blocked.pop(st, None)
        st.pending = None
        conn.out.append(rst_stream(st.id, ErrorCodes.NO_ERROR))
    conn.uses += 1
    body = None
    if st.want_body:
        body = b"".join(st.parts)
        st.parts.clear()
    fut = st.fut
    conn.pool.slot_free(conn)
    if not fut.done():
        fut.set_result(Response(st.status, st.headers, body, st.body_len, True))


def on_frame(conn: H2Conn, ftype: int, flags: int, sid: int, payload: bytes) -> None:
    """Every frame but DATA, HEADERS and CONTINUATION (h2read.py reads those)."""
    if ftype == SETTINGS:
        if sid:
            raise ConnError("protocol", "SETTINGS on a stream", PROTOCOL)
        if flags & ACK:
            if payload:
                raise ConnError("protocol", "SETTINGS ACK with a payload", FRAME_SIZE)
            return  # ours are in force: nothing waits for it
        if len(payload) % 6:
            raise ConnError("protocol", "SETTINGS of a bad length", FRAME_SIZE)
        _settings(conn, payload)
    elif ftype == WINDOW_UPDATE:
        if len(payload) != 4:
            raise ConnError("protocol", "WINDOW_UPDATE of a bad length", FRAME_SIZE)
        _window_update(conn, sid, read_u32(payload))
    elif ftype == PING:
        if sid:
            raise ConnError("protocol", "PING on a stream", PROTOCOL)
        if len(payload) != 8:
            raise ConnError("protocol", "PING of a bad length", FRAME_SIZE)
        if not flags & ACK:
            _answer(conn, ping(payload, ack=True))
    elif ftype == RST_STREAM:
        if not sid:
            raise ConnError("protocol", "RST_STREAM on stream 0", PROTOCOL)
        if len(payload) != 4:
            raise ConnError("protocol", "RST_STREAM of a bad length", FRAME_SIZE)
        _reset(conn, sid, read_u32(payload))
    elif ftype == GOAWAY:
        if sid:
            raise ConnError("protocol", "GOAWAY on a stream", PROTOCOL)
        if len(payload) < 8:
            raise ConnError("protocol", "GOAWAY too short", FRAME_SIZE)
        last_id, code = read_goaway(payload)
        _goaway(conn, code, last_id)
    elif ftype == PUSH_PROMISE:
        raise ConnError("protocol", "PUSH_PROMISE, though push is disabled", PROTOCOL)
    elif ftype == CONTINUATION:
        raise ConnError("protocol", "CONTINUATION outside a header block", PROTOCOL)
    # PRIORITY (deprecated, RFC 9113 §5.3.2) and unknown types are ignored (§4.1).


def _answer(conn: H2Conn, frame: bytes) -> None:
    """Queue an acknowledgement, unless the server leaves our writes unread: one that
    sends PINGs or SETTINGS and reads nothing would fill our memory with the answers."""
    if conn.transport.get_write_buffer_size() > MAX_UNREAD:
        text = "the server sends frames to answer but reads none of the answers"
        raise ConnError("protocol", text, ErrorCodes.ENHANCE_YOUR_CALM)
    conn.out.append(frame)


def _settings(conn: H2Conn, payload: bytes) -> None:
    grown = False
    for ident, value in read_settings(payload):
        if ident == MAX_CONCURRENT_STREAMS:
            conn.peer_streams = value
        elif ident == INITIAL_WINDOW_SIZE:
            if value > MAX_WINDOW:
                text = "initial window past 2^31-1"
                raise ConnError("protocol", text, ErrorCodes.FLOW_CONTROL_ERROR)
            delta = value - conn.stream_window
            conn.stream_window = value
            for st in conn.streams.values():
                st.send_window += delta
                if st.send_window > MAX_WINDOW:
                    text = "a stream window past 2^31-1"
                    raise ConnError("protocol", text, ErrorCodes.FLOW_CONTROL_ERROR)
            grown = grown or delta > 0
        elif ident == MAX_FRAME_SIZE:
            if not MIN_FRAME <= value <= MAX_FRAME_LIMIT:
                raise ConnError("protocol", f"max frame size {value}", PROTOCOL)
            conn.max_frame = value
        elif ident == ENABLE_PUSH and value > 1:
            raise ConnError("protocol", f"enable push {value}", PROTOCOL)
        # HEADER_TABLE_SIZE sizes a table our encoder never fills; MAX_HEADER_LIST_SIZE
        # is advisory.
    _answer(conn, SETTINGS_ACK)
    conn.limit = min(conn.peer_streams, conn.pool.max_streams)
    if not conn.settled:
        conn.settled = True
        if not conn.ready.done():
            conn.ready.set_result(True)
    else:
        conn.pool.limit_changed(conn)
    if grown and conn.blocked:
        _pump_all(conn)


def _window_update(conn: H2Conn, sid: int, increment: int) -> None:
    if not sid:
        if not increment:
            raise ConnError("protocol", "WINDOW_UPDATE of 0", PROTOCOL)
        conn.send_window += increment
        if conn.send_window > MAX_WINDOW:
            raise ConnError("protocol", "window past 2^31-1", ErrorCodes.FLOW_CONTROL_ERROR)
        if conn.blocked:
            _pump_all(conn)
        return
    st = conn.streams.get(sid)
    if st is None:
        return  # a stream already over
    if not increment:
        conn.cancel(st, HttpError("protocol", "WINDOW_UPDATE of 0"), PROTOCOL)
        return
    st.send_window += increment
    if st.send_window > MAX_WINDOW:
        text = "a stream window past 2^31-1"
        conn.cancel(st, HttpError("protocol", text), ErrorCodes.FLOW_CONTROL_ERROR)
        return
    if st in conn.blocked:
        conn.pump(st)


def _pump_all(conn: H2Conn) -> None:
    for st in list(conn.blocked):
        if conn.send_window <= 0:
            return
        if st in conn.blocked:
            conn.pump(st)


def _reset(conn: H2Conn, sid: int, code: int) -> None:
    st = conn.streams.pop(sid, None)
    if st is None:
        if sid >= conn.next_id:
            raise ConnError("protocol", f"RST_STREAM on stream {sid}, never opened", PROTOCOL)
        return
    conn.blocked.pop(st, None)
    if code == ErrorCodes.REFUSED_STREAM:
        conn.end(st, Unprocessed("reset", "stream refused by the server"))
    else:
        text = f"stream reset by the server ({error_name(code)})"
        conn.end(st, HttpError(goaway_kind(code), text))


def _goaway(conn: H2Conn, code: int, last_id: int) -> None:
    """Streams above `last_id` were not processed: they fail as Unprocessed (sent
    again by the pool). The others run to their end, unless the GOAWAY is an error."""
    conn.retire()
    if not conn.settled:
        conn.fail_all(HttpError("closed", f"GOAWAY ({error_name(code)}) before the HTTP/2 preface"))
        return
    for sid in [s for s in conn.streams if s > last_id]:
        st = conn.streams.pop(sid)
        conn.blocked.pop(st, None)
        conn.end(st, Unprocessed("closed", "GOAWAY: the server did not process it"))
    if code != ErrorCodes.NO_ERROR:
        conn.fail_all(HttpError(goaway_kind(code), f"GOAWAY from the server ({error_name(code)})"))
    elif not conn.streams:
        conn.die()
