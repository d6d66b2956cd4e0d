"""HTTP/2 request header lists, built once per declarative task like HTTP/1.1's bytes.

The same wire rules as `request.py` (a name must be a token, no CR, LF or NUL in any
value: `InvalidHeaderValue`), plus HTTP/2's own (RFC 9113 §8.2): names are lowercase,
connection-specific fields (Connection, Keep-Alive, Transfer-Encoding, Upgrade, ...) are
dropped, and Host becomes `:authority`. Everything is checked here, once: the list is
then encoded as it is (`h2hpack.encode_block`), not validated again per request.
"""

from __future__ import annotations

from collections.abc import Sequence

from loadtui.engine.http.request import (
    BODY_METHODS,
    USER_AGENT,
    InvalidHeaderValue,
    check_header,
    encode_target,
)

H2Headers = list[tuple[bytes, bytes]]

# Meaningless in HTTP/2, and a protocol error for the peer if sent (RFC 9113 §8.2.2).
_CONNECTION_SPECIFIC = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade"}
)
_PSEUDO = (b":method", b":scheme", b":authority", b":path")


def _value(value: str) -> bytes:
    try:
        return value.encode("ascii")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def encode_h2_request(
    method: str,
    scheme: str,
    authority: str,
    target_path: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
) -> H2Headers:
    """The header list of one request: pseudo-headers first, then the user's headers in
    order (a user Host replaces `:authority`), User-Agent unless given, Content-Length
    for a body (and 0 for POST/PUT/PATCH without one). Raises InvalidHeaderValue."""
    method_b = method.upper().encode("ascii", "replace")
    out: H2Headers = []
    has_agent = False
    for name, value in headers:
        n = name.lower().encode("ascii", "replace")
        v = _value(value)
        check_header(n, v)
        if n in _CONNECTION_SPECIFIC or n == b"content-length":
            continue
        if n == b"host":
            authority = value
            continue
        if n == b"te" and v.strip().lower() != b"trailers":
            continue  # the only TE value HTTP/2 allows
        has_agent = has_agent or n == b"user-agent"
        out.append((n, v))
    if not has_agent:
        out.append((b"user-agent", USER_AGENT.encode()))
    if body is not None or method_b.decode() in BODY_METHODS:
        out.append((b"content-length", str(len(body or b"")).encode()))
    auth = _value(authority)
    if not auth or b"\r" in auth or b"\n" in auth or b"\0" in auth:
        raise InvalidHeaderValue(f"invalid authority {authority!r}")
    values = (method_b, scheme.encode("ascii"), auth, encode_target(target_path))
    return [*zip(_PSEUDO, values, strict=True), *out]


def header_bytes(headers: H2Headers) -> int:
    """The size of a header list as HTTP/2 counts it (RFC 9113 §6.5.2: name + value +
    32 per field): what a request "sent" before compression, for the byte counters."""
    return sum(len(n) + len(v) + 32 for n, v in headers)
