"""HTTP/2 header lists: pseudo-headers first, lowercase names, no connection-specific
fields, Host as :authority, and the same wire checks as HTTP/1.1."""

from __future__ import annotations

import pytest

from loadtui.engine.http.h2request import encode_h2_request, header_bytes
from loadtui.engine.http.request import InvalidHeaderValue


def test_pseudo_headers_first_then_the_users_lowercased() -> None:
    got = encode_h2_request("get", "https", "api.test:8443", "/a b?x=1", [("X-Id", "7")], None)
    assert got == [
        (b":method", b"GET"),
        (b":scheme", b"https"),
        (b":authority", b"api.test:8443"),
        (b":path", b"/a%20b?x=1"),
        (b"x-id", b"7"),
        (b"user-agent", b"loadtui/0.1"),
    ]


def test_connection_specific_fields_are_dropped_and_host_is_the_authority() -> None:
    user = [
        ("Connection", "keep-alive"),
        ("Keep-Alive", "5"),
        ("Transfer-Encoding", "chunked"),
        ("Upgrade", "h2c"),
        ("TE", "gzip"),
        ("Host", "virtual.test"),
        ("Content-Length", "99"),
        ("User-Agent", "mine"),
    ]
    got = dict(encode_h2_request("POST", "http", "127.0.0.1:1", "/", user, b"abc"))
    assert got[b":authority"] == b"virtual.test"
    assert got[b"user-agent"] == b"mine"
    assert got[b"content-length"] == b"3"  # computed, never the user's
    assert not {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"te"} & set(got)
    assert b"host" not in got
    trailers = dict(encode_h2_request("GET", "http", "h", "/", [("TE", "trailers")], None))
    assert trailers[b"te"] == b"trailers"  # the one TE value HTTP/2 allows


def test_a_post_without_body_says_length_zero() -> None:
    got = dict(encode_h2_request("POST", "http", "h", "/", [], None))
    assert got[b"content-length"] == b"0"
    assert b"content-length" not in dict(encode_h2_request("GET", "http", "h", "/", [], None))


@pytest.mark.parametrize(
    "headers",
    [[("X-Token", "a\r\nX-Injected: 1")], [("X-Token", "a\x00")], [("Host", "h\nx")]],
)
def test_cr_lf_nul_never_reach_the_wire(headers: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidHeaderValue):
        encode_h2_request("GET", "http", "h", "/", headers, None)


def test_a_bad_name_or_path_is_refused() -> None:
    with pytest.raises(ValueError):
        encode_h2_request("GET", "http", "h", "/", [("Bad Name", "x")], None)
    with pytest.raises(InvalidHeaderValue):
        encode_h2_request("GET", "http", "h", "/a\rb", [], None)


def test_header_bytes_counts_as_http2_does() -> None:
    assert header_bytes([(b"ab", b"cde"), (b":path", b"/")]) == 5 + 32 + 6 + 32
