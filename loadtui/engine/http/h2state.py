"""The parts an HTTP/2 connection (`h2conn.py`) is built from: our receive windows, one
stream's record, and the failures that only HTTP/2 has (a stream the server did not
process, a connection lost under a stream, a connection error with its HTTP/2 code).
"""

from __future__ import annotations

import asyncio

from h2.errors import ErrorCodes

from loadtui.engine.http.errors import ErrorKind, HttpError
from loadtui.engine.http.response import INF, Response

STREAM_WINDOW = 1 << 20  # receive window per stream: large bodies flow without stalls
CONN_WINDOW = 1 << 24  # and for the whole connection
MAX_FRAME = 16_384  # the smallest allowed, and what we advertise
MAX_CONTINUATIONS = 64  # CONTINUATION frames in one header block (h2's limit too)
_PROTOCOL_CODES = frozenset(
    {
        ErrorCodes.PROTOCOL_ERROR,
        ErrorCodes.FLOW_CONTROL_ERROR,
        ErrorCodes.FRAME_SIZE_ERROR,
        ErrorCodes.COMPRESSION_ERROR,
        ErrorCodes.STREAM_CLOSED,
    }
)


class Unprocessed(HttpError):
    """The server did not process the stream (REFUSED_STREAM, or a GOAWAY's last stream
    id is below it): sending it again is safe whatever its method (RFC 9113 §8.7)."""


class ConnectionLost(HttpError):
    """The connection closed or broke under the stream (not a GOAWAY, not a reset)."""


class ConnError(HttpError):
    """The server broke HTTP/2 for the whole connection: every stream fails with this,
    and the server is told `code` in a GOAWAY."""

    def __init__(self, kind: ErrorKind, message: str, code: int) -> None:
        super().__init__(kind, message)
        self.code = code


def goaway_kind(code: int) -> ErrorKind:
    """Our kind for the streams an error GOAWAY (or RST_STREAM) cuts off."""
    return "protocol" if code in _PROTOCOL_CODES else "reset"


class H2Stream:
    """One request in flight on a connection."""

    __slots__ = (
        "body_len",
        "fut",
        "got",
        "headers",
        "id",
        "parts",
        "pending",
        "read_deadline",
        "read_timeout",
        "recv_window",
        "reused",
        "rx",
        "send_window",
        "status",
        "total_deadline",
        "want_body",
        "want_headers",
    )

    def __init__(self, fut: asyncio.Future[Response], want_body: bool, want_headers: bool) -> None:
        self.fut = fut
        self.id = 0
        self.want_body = want_body
        self.want_headers = want_headers
        self.status = 0  # the final status, once its head arrived
        self.headers: list[tuple[bytes, bytes]] | None = None
        self.parts: list[bytes] = []
        self.body_len = 0
        self.got = False  # any frame of the response
        self.rx = False  # activity since the pool's last sweep
        self.reused = False  # sent on a connection that had completed streams
        self.pending: memoryview | None = None  # request body still to send
        self.send_window = 0  # what the server lets us send on this stream
        self.recv_window = STREAM_WINDOW  # what it may still send us before our update
        self.read_timeout = 0.0
        self.read_deadline = INF
        self.total_deadline = INF
