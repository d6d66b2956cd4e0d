"""HTTP/1.1 request encoding, done once per declarative task and reused byte for byte.

Validation lives here (not on the hot path): a header name must be an RFC 9110 token,
and no name, value or target may carry CR, LF or NUL, so a scenario variable can never
smuggle a second request or header onto the wire. Such a value (typically a variable
extracted from a response, such as a login token) raises `InvalidHeaderValue`, which
callers count as a failure of kind "invalid header value" with nothing sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

USER_AGENT = "loadtui/0.1"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
DEFAULT_PORTS = {"http": 80, "https": 443}

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(rb"[\x00\r\n]")
_CTL = re.compile(r"[\x00-\x1f\x7f]")
# Everything printable in ASCII except space stays as written; the rest is %-encoded.
_TARGET_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%") + "%"
# Set by the engine from the body itself; a user value would contradict it.
_ENGINE_HEADERS = frozenset({b"content-length", b"transfer-encoding"})


class InvalidHeaderValue(ValueError):
    """CR, LF or NUL (or, in the request target, any control character) in a value
    headed for the wire: a ValueError, so callers that only know ValueError still work."""


def host_header(host: str, port: int, scheme: str = "http") -> str:
    """Host header value: IPv6 literals in brackets, the port only when not the default."""
    name = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return name if DEFAULT_PORTS.get(scheme) == port else f"{name}:{port}"


def encode_target(target_path: str) -> bytes:
    """Request-target bytes: spaces and non-ASCII %-encoded (UTF-8), controls rejected."""
    if _CTL.search(target_path):
        raise InvalidHeaderValue(f"control character in request target {target_path!r}")
    if not target_path:
        return b"/"
    return quote(target_path, safe=_TARGET_SAFE).encode("ascii")


def _value_bytes(value: str) -> bytes:
    try:
        return value.encode("ascii")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def check_header(name: bytes, value: bytes) -> None:
    """Raise ValueError unless `name` is a token and `value` has no CR, LF or NUL."""
    if not _TOKEN.fullmatch(name):
        raise ValueError(f"invalid header name {name!r}")
    if _BAD_VALUE.search(value):
        raise InvalidHeaderValue(f"invalid character (CR, LF or NUL) in header {name!r}")


def encode_raw(
    method: bytes,
    target: bytes,
    headers: Iterable[tuple[bytes, bytes]],
    body: bytes | None,
) -> bytes:
    """Assemble request bytes from already-encoded parts, exactly in the given order.

    Content-Length is always computed here from `body` (given values are dropped), and
    added as 0 for POST/PUT/PATCH without a body, which some servers require.
    """
    if not _TOKEN.fullmatch(method):
        raise ValueError(f"invalid method {method!r}")
    if not target or _CTL.search(target.decode("latin-1")) or b" " in target:
        raise InvalidHeaderValue(f"invalid request target {target!r}")
    parts = [method, b" ", target, b" HTTP/1.1\r\n"]
    for name, value in headers:
        check_header(name, value)
        if name.lower() in _ENGINE_HEADERS:
            continue
        parts += (name, b": ", value, b"\r\n")
    if body is not None or method.upper().decode() in BODY_METHODS:
        parts += (b"Content-Length: ", str(len(body or b"")).encode(), b"\r\n")
    parts.append(b"\r\n")
    if body:
        parts.append(body)
    return b"".join(parts)


def encode_request(
    method: str,
    target_path: str,
    host_header: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
) -> bytes:
    """Exact HTTP/1.1 request bytes.

    Host comes first (a user "Host" header replaces ours), then the user headers in
    order, then User-Agent unless given, then Content-Length. No Connection header is
    sent: HTTP/1.1 is keep-alive by default, and a user "Connection: close" is kept.
    """
    encoded = [(n.encode("ascii", "replace"), _value_bytes(v)) for n, v in headers]
    names = {n.lower() for n, _ in encoded}
    out: list[tuple[bytes, bytes]] = []
    if b"host" not in names:
        out.append((b"Host", _value_bytes(host_header)))
    out += encoded
    if b"user-agent" not in names:
        out.append((b"User-Agent", USER_AGENT.encode()))
    return encode_raw(
        method.upper().encode("ascii", "replace"), encode_target(target_path), out, body
    )
