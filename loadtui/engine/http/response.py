"""A response as the HTTP/1.1 and HTTP/2 clients hand it over, where a request's outcome
goes when no Future waits for it (a `Sink`), and the rare readings of a response head
the HTTP/1.1 connection needs beside httptools: its raw header pairs (a refusal's
Retry-After) and whether its body ends at close.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Protocol

from httptools import HttpParserError, HttpResponseParser

from loadtui.engine.http.errors import HttpError

if TYPE_CHECKING:
    from loadtui.engine.http.protocol import HttpConn

INF = float("inf")


class Response:
    """What a request yields. `headers`/`body` are None unless asked for."""

    __slots__ = ("body", "body_len", "headers", "keep_alive", "status")

    def __init__(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]] | None,
        body: bytes | None,
        body_len: int,
        keep_alive: bool,
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.body_len = body_len
        self.keep_alive = keep_alive

    def __repr__(self) -> str:
        return f"<Response {self.status} body_len={self.body_len} keep_alive={self.keep_alive}>"


RATE_LIMIT_STATUSES = frozenset({429, 503})


def raw_headers(data: bytes) -> list[tuple[bytes, bytes]]:
    """(name, value) pairs from the start of a response (status line skipped)."""
    head = data.split(b"\r\n\r\n", 1)[0]
    pairs = []
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            pairs.append((name.strip(), value.strip()))
    return pairs


class Sink(Protocol):
    """Takes a request's outcome in place of a Future. Called from the connection's
    protocol callbacks: it must not raise."""

    def on_response(self, conn: HttpConn, resp: Response) -> None: ...

    def on_error(self, conn: HttpConn, err: HttpError) -> None: ...


class SkipBody(Exception):
    """Raised from on_headers_complete to stop llhttp reading a HEAD response's body."""


class _HeadersOnly(Exception):
    """Stops the re-parse of retained header bytes once the final head is complete."""


class _HeadProbe:
    """Re-parses a response head (skipping 1xx heads) to learn how its body is framed."""

    def __init__(self) -> None:
        self.parser = HttpResponseParser(self)
        self.framing: list[tuple[bytes, bytes]] = []

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name in (b"content-length", b"transfer-encoding"):
            self.framing.append((name, value.lower()))

    def on_headers_complete(self) -> None:
        if self.parser.get_status_code() >= 200:
            raise _HeadersOnly
        self.framing.clear()


def eof_delimited(chunks: list[bytes]) -> bool:
    """True if the final response head in `chunks` says the body ends at close: no
    Content-Length and no chunked coding (RFC 9112 §6.3)."""
    probe = _HeadProbe()
    with contextlib.suppress(HttpParserError):
        probe.parser.feed_data(b"".join(chunks))
    return not any(n == b"content-length" or b"chunked" in v for n, v in probe.framing)
