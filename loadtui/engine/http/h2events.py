"""What an HTTP/2 connection does with each event h2 parses from the server's bytes.

Split out of `H2Conn` (`h2conn.py`), which keeps the transport, the request side and
the endings, and hands every parsed event here: a response head, body data, a stream's
end, and the rarer window updates, resets, settings and GOAWAY. These functions work on
the connection's own state, as its methods did.

h2 closes its connection state on a received GOAWAY, so the frames still due for the
streams the server goes on serving would be protocol errors (python-hyper/h2 #1199).
Here a GOAWAY only stops new streams: the streams it names as unprocessed fail as
`Unprocessed` (the pool sends them again), the others run to their end.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    Event,
    RemoteSettingsChanged,
    StreamReset,
    WindowUpdated,
)
from h2.exceptions import H2Error
from hpack.struct import Header

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.h2state import H2Stream, Unprocessed, error_name, goaway_kind
from loadtui.engine.http.protocol import RATE_LIMIT_STATUSES, Response

if TYPE_CHECKING:
    from loadtui.engine.http.h2conn import H2Conn


def on_response(conn: H2Conn, st: H2Stream, headers: list[Header]) -> None:
    st.got = st.rx = True
    name, value = headers[0]  # h2 has checked that pseudo-headers come first
    if name != b":status" or not value.isdigit():
        conn.cancel(st, HttpError("protocol", "response without a valid :status"))
        return
    st.status = status = int(value)
    if st.want_headers or status in RATE_LIMIT_STATUSES:
        st.headers = [(n, v) for n, v in headers[1:]]


def on_data(conn: H2Conn, ev: DataReceived, st: H2Stream | None) -> None:
    size = ev.flow_controlled_length
    if size:
        conn.h2.acknowledge_received_data(size, ev.stream_id)
    if st is None:
        return  # a stream we reset: its late frames are only acknowledged
    st.rx = True
    data = ev.data
    st.body_len += len(data)
    if st.want_body:
        if st.body_len > conn.pool.max_body_size:
            cap = conn.pool.max_body_size
            conn.cancel(st, HttpError("too large", f"response body over {cap} bytes"))
            return
        st.parts.append(data)


def on_ended(conn: H2Conn, st: H2Stream) -> None:
    if st.pending is not None:  # answered before its body was sent: stop sending it
        conn.blocked.pop(st, None)
        st.pending = None
        with contextlib.suppress(H2Error):
            conn.h2.reset_stream(st.id, ErrorCodes.NO_ERROR)
    if st.status == 0:
        conn.end(st, HttpError("protocol", "stream ended without a response"))
        return
    conn.uses += 1
    body = None
    if st.want_body:
        body = b"".join(st.parts)
        st.parts.clear()
    fut = st.fut
    conn.pool.slot_free(conn)
    if not fut.done():
        fut.set_result(Response(st.status, st.headers, body, st.body_len, True))


def on_other(conn: H2Conn, ev: Event) -> None:
    """The rarer events: settings, window updates, resets, GOAWAY."""
    if isinstance(ev, WindowUpdated):
        if conn.blocked:
            st = conn.streams.get(ev.stream_id) if ev.stream_id else None
            for blocked in [st] if st is not None else list(conn.blocked):
                if blocked in conn.blocked:
                    conn.pump(blocked)
    elif isinstance(ev, StreamReset):
        st = conn.streams.pop(ev.stream_id, None)
        if st is not None:
            conn.blocked.pop(st, None)
            code = ev.error_code
            if code == ErrorCodes.REFUSED_STREAM:
                conn.end(st, Unprocessed("reset", "stream refused by the server"))
            elif not ev.remote_reset:  # h2 reset it: the server broke the protocol
                conn.end(st, HttpError("protocol", "bad HTTP/2 on a stream"))
            else:
                text = f"stream reset by the server ({error_name(code)})"
                conn.end(st, HttpError(goaway_kind(code), text))
    elif isinstance(ev, RemoteSettingsChanged):
        _settings_changed(conn)
    elif isinstance(ev, ConnectionTerminated):
        _goaway(conn, ev.error_code or 0, ev.last_stream_id or 0)


def _settings_changed(conn: H2Conn) -> None:
    limit = min(conn.h2.remote_settings.max_concurrent_streams, conn.pool.max_streams)
    conn.limit = limit
    if not conn.settled:
        conn.settled = True
        if not conn.ready.done():
            conn.ready.set_result(True)
    else:
        conn.pool.limit_changed(conn)


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
