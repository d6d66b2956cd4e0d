"""The parts an HTTP/2 connection (`h2conn.py`) is built from: h2's configuration and
client state machine as we use them, one stream's record, and the failures that only
HTTP/2 has (a stream the server did not process, a connection lost under a stream).
"""

from __future__ import annotations

import asyncio

from h2.config import H2Configuration
from h2.connection import ConnectionInputs, ConnectionState, H2ConnectionStateMachine
from h2.errors import ErrorCodes

from loadtui.engine.http.errors import ErrorKind, HttpError
from loadtui.engine.http.protocol import INF, Response

STREAM_WINDOW = 1 << 20  # receive window per stream: large bodies flow without stalls
CONN_WINDOW = 1 << 24  # and for the whole connection
MAX_FRAME = 16_384  # the smallest allowed, and what we advertise
# What we validate once per task (h2request.py) h2 need not validate per request.
CONFIG = H2Configuration(
    client_side=True,
    header_encoding=None,
    validate_outbound_headers=False,
    normalize_outbound_headers=False,
    split_outbound_cookies=False,
    validate_inbound_headers=True,
    normalize_inbound_headers=True,
)
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


class GoawayDrains(H2ConnectionStateMachine):
    """h2's client state machine, except that a received GOAWAY leaves it open, so the
    streams the server still serves can finish; the connection opens no new ones."""

    # h2 closes it at a GOAWAY (python-hyper/h2 #1199); here the client side stays open.
    _transitions = {  # noqa: RUF012 (h2 declares it so)
        **H2ConnectionStateMachine._transitions,
        (ConnectionState.CLIENT_OPEN, ConnectionInputs.RECV_GOAWAY): (
            None,
            ConnectionState.CLIENT_OPEN,
        ),
    }


def goaway_kind(code: int) -> ErrorKind:
    """Our kind for the streams an error GOAWAY (or RST_STREAM) cuts off."""
    return "protocol" if code in _PROTOCOL_CODES else "reset"


def starts_with_settings(data: bytes) -> bool:
    """Do these bytes open with a SETTINGS frame (not an ACK), as an HTTP/2 server's
    first bytes must (RFC 9113 §3.4)?"""
    length = int.from_bytes(data[:3])
    return data[3] == 0x4 and data[4] == 0 and data[5:9] == b"\0\0\0\0" and length % 6 == 0


def error_name(code: int) -> str:
    """An HTTP/2 error code's name (CANCEL), or its number when it has none."""
    return code.name if isinstance(code, ErrorCodes) else str(code)


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
        "reused",
        "rx",
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
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] | None = None
        self.parts: list[bytes] = []
        self.body_len = 0
        self.got = False  # any frame of the response
        self.rx = False  # activity since the pool's last sweep
        self.reused = False  # sent on a connection that had completed streams
        self.pending: memoryview | None = None  # request body still to send
        self.read_timeout = 0.0
        self.read_deadline = INF
        self.total_deadline = INF
