"""HTTP/1.1 wire pieces for the demo target: parsed requests and pre-encoded responses.

Responses are built as one ``bytes`` object with a small fixed header block and no
``Date`` header, so the hot endpoints can be served from precomputed bytes.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, NamedTuple
from urllib.parse import parse_qs

SERVER_HEADER = b"Server: loadtui-demo\r\n"
JSON = b"application/json"
TEXT = b"text/plain; charset=utf-8"

# What goes into the header block for the connection's fate, chosen per request.
CONN_KEEP = b""  # HTTP/1.1 keep-alive: implied, say nothing
CONN_CLOSE = b"Connection: close\r\n"
CONN_KEEP_10 = b"Connection: keep-alive\r\n"  # HTTP/1.0 client that asked for keep-alive
CONN_VARIANTS = (CONN_KEEP, CONN_CLOSE, CONN_KEEP_10)

_STATUS_LINES: dict[int, bytes] = {
    s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\n".encode() for s in HTTPStatus
}


class Request:
    """One parsed request; only what the routes need, kept as cheap slots."""

    __slots__ = ("body", "conn", "headers", "keep_alive", "method", "path", "query")

    def __init__(
        self,
        method: bytes,
        path: str,
        query: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        keep_alive: bool,
        conn: bytes,
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive
        self.conn = conn

    def header(self, name: bytes) -> bytes | None:
        """First value of a header, by lower-case name (a linear scan: requests are small)."""
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def params(self) -> dict[str, str]:
        """Query parameters, last value wins; parsed only by routes that take any."""
        if not self.query:
            return {}
        return {k: v[-1] for k, v in parse_qs(self.query, keep_blank_values=True).items()}


class Reply(NamedTuple):
    """A response that is not plain "write these bytes now": delayed and/or closing."""

    payload: bytes
    delay: float = 0.0
    close: bool = False


def response(
    status: int,
    body: bytes = b"",
    content_type: bytes = JSON,
    conn: bytes = CONN_KEEP,
    extra: bytes = b"",
) -> bytes:
    """Encode a whole response. ``extra`` is ready-made header lines ending in CRLF."""
    status_line = _STATUS_LINES.get(status) or f"HTTP/1.1 {status} Unknown\r\n".encode()
    return b"".join(
        (
            status_line,
            SERVER_HEADER,
            b"Content-Type: ",
            content_type,
            b"\r\nContent-Length: ",
            str(len(body)).encode(),
            b"\r\n",
            conn,
            extra,
            b"\r\n",
            body,
        )
    )


def dumps(obj: Any) -> bytes:
    """Compact JSON, as bytes."""
    return json.dumps(obj, separators=(",", ":")).encode()


def json_response(status: int, obj: Any, conn: bytes = CONN_KEEP, extra: bytes = b"") -> bytes:
    return response(status, dumps(obj), JSON, conn, extra)


def error(status: int, message: str, conn: bytes = CONN_KEEP, extra: bytes = b"") -> bytes:
    return json_response(status, {"error": message, "status": status}, conn, extra)


def static(status: int, obj: Any, extra: bytes = b"") -> dict[bytes, bytes]:
    """Precompute a fixed JSON response once per connection variant."""
    body = dumps(obj)
    return {conn: response(status, body, JSON, conn, extra) for conn in CONN_VARIANTS}


def chunked(status: int, chunks: int, size: int, conn: bytes = CONN_KEEP) -> bytes:
    """A ``Transfer-Encoding: chunked`` response of ``chunks`` chunks of ``size`` bytes."""
    chunk = b"%x\r\n%s\r\n" % (size, b"x" * size) if size else b""
    head = b"".join(
        (
            _STATUS_LINES[status],
            SERVER_HEADER,
            b"Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n",
            conn,
            b"\r\n",
        )
    )
    return head + chunk * chunks + b"0\r\n\r\n"


def strip_body(payload: bytes) -> bytes:
    """For HEAD: keep the header block (and its Content-Length), drop the body."""
    end = payload.find(b"\r\n\r\n")
    return payload if end < 0 else payload[: end + 4]
