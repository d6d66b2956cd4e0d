"""Transport failures as one exception with a short, stable `kind`.

The kind is what the metrics count ("errors by kind") and what thresholds and
reports show, so it must not depend on the platform's errno text.
"""

from __future__ import annotations

import errno
import socket
import ssl
from typing import Literal

ErrorKind = Literal[
    "connect_timeout",  # TCP/TLS connection not established within the connect timeout
    "read_timeout",  # no byte of the response within the read timeout
    "timeout",  # the request's total time limit ran out (any phase)
    "refused",  # nothing listening / host unreachable
    "reset",  # connection reset by the peer (RST)
    "dns",  # name resolution failed
    "tls",  # handshake or certificate failure
    "protocol",  # the response is not valid HTTP/1.x
    "closed",  # the server closed the connection before a complete response
    "too large",  # the response head or a kept body outgrew the target's caps
    "unexpected upgrade",  # a 101 (or other upgrade) reply to a plain request
    "invalid header value",  # CR, LF or NUL bound for a header or the request line
]

KINDS: tuple[str, ...] = (
    "connect_timeout",
    "read_timeout",
    "timeout",
    "refused",
    "reset",
    "dns",
    "tls",
    "protocol",
    "closed",
    "too large",
    "unexpected upgrade",
    "invalid header value",
)

_REFUSED_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL}
)
_RESET_ERRNOS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})


class HttpError(Exception):
    """A request failed below HTTP status level; `kind` is one of `KINDS`."""

    def __init__(self, kind: ErrorKind, message: str = "") -> None:
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind: ErrorKind = kind
        self.detail = message


def from_os_error(exc: BaseException, *, connecting: bool) -> HttpError:
    """Classify an OSError / ssl error raised while connecting or exchanging a request.

    Anything unrecognised while connecting counts as "refused" (the target could not be
    reached), and anything unrecognised mid-request as "reset" (the connection broke).
    """
    if isinstance(exc, HttpError):
        return exc
    text = str(exc) or type(exc).__name__
    if isinstance(exc, socket.gaierror):
        return HttpError("dns", text)
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return HttpError("tls", text)
    if isinstance(exc, TimeoutError):
        return HttpError("connect_timeout" if connecting else "read_timeout", text)
    if isinstance(exc, ConnectionRefusedError):
        return HttpError("refused", text)
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return HttpError("reset", text)
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.errno in _REFUSED_ERRNOS:
            return HttpError("refused", text)
        if exc.errno in _RESET_ERRNOS:
            return HttpError("reset", text)
    return HttpError("refused" if connecting else "reset", text)
