"""Request encoding: exact bytes, defaults, and CR/LF injection refused."""

from __future__ import annotations

import httptools
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtui.engine.http.request import encode_raw, encode_request, host_header


def test_get_exact_bytes() -> None:
    raw = encode_request("get", "/a/b?q=1&r=%20", "example.com:8080", [("Accept", "*/*")], None)
    assert raw == (
        b"GET /a/b?q=1&r=%20 HTTP/1.1\r\n"
        b"Host: example.com:8080\r\n"
        b"Accept: */*\r\n"
        b"User-Agent: loadtui/0.1\r\n"
        b"\r\n"
    )


def test_post_body_and_length() -> None:
    raw = encode_request("POST", "/u", "h", [("Content-Type", "application/json")], b'{"a":1}')
    assert raw.endswith(b'Content-Length: 7\r\n\r\n{"a":1}')
    assert b"Content-Type: application/json\r\n" in raw
    assert encode_request("PUT", "/u", "h", [], None).endswith(b"Content-Length: 0\r\n\r\n")
    assert b"Content-Length" not in encode_request("GET", "/u", "h", [], None)
    assert b"Content-Length: 0" in encode_request("DELETE", "/u", "h", [], b"")


def test_user_headers_replace_defaults_and_length_is_ours() -> None:
    raw = encode_request(
        "POST",
        "/",
        "ignored",
        [("host", "api.test"), ("User-Agent", "me"), ("Content-Length", "999")],
        b"abc",
    )
    assert raw.count(b"ost:") == 1 and b"host: api.test\r\n" in raw
    assert b"loadtui" not in raw and b"User-Agent: me\r\n" in raw
    assert b"999" not in raw and b"Content-Length: 3\r\n" in raw


def test_target_is_percent_encoded_but_controls_rejected() -> None:
    raw = encode_request("GET", "/a b/é", "h", [], None)
    assert raw.startswith(b"GET /a%20b/%C3%A9 HTTP/1.1\r\n")
    assert encode_request("GET", "", "h", [], None).startswith(b"GET / HTTP/1.1")
    for bad in ("/x\r\nX-Evil: 1", "/x\n", "/\x00"):
        with pytest.raises(ValueError):
            encode_request("GET", bad, "h", [], None)


@pytest.mark.parametrize(
    "headers",
    [
        [("X-A", "1\r\nX-Injected: yes")],
        [("X-A", "1\nfoo")],
        [("X-A", "nul\x00")],
        [("Bad Name", "v")],
        [("Bad:Name", "v")],
        [("", "v")],
        [("X-Ünicode", "v")],
    ],
)
def test_header_injection_rejected(headers: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError):
        encode_request("GET", "/", "h", headers, None)


def test_bad_method_and_host_rejected() -> None:
    with pytest.raises(ValueError):
        encode_request("GET /x HTTP/1.1\r\n", "/", "h", [], None)
    with pytest.raises(ValueError):
        encode_request("GET", "/", "h\r\nX: 1", [], None)
    with pytest.raises(ValueError):
        encode_raw(b"GET", b"/a b", [], None)


def test_host_header_forms() -> None:
    assert host_header("example.com", 80) == "example.com"
    assert host_header("example.com", 443, "https") == "example.com"
    assert host_header("example.com", 80, "https") == "example.com:80"
    assert host_header("::1", 8080) == "[::1]:8080"


class _Parsed:
    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.url = b""
        self.body = b""
        self.done = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.done = True


_names = st.from_regex(r"\AX-[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}\Z")
_values = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E) | st.sampled_from(" \t"), max_size=30
).map(str.strip)


@given(
    headers=st.lists(st.tuples(_names, _values), max_size=6),
    body=st.none() | st.binary(max_size=200),
    path=st.text(max_size=20).filter(lambda p: not any(ord(c) < 0x20 or ord(c) == 0x7F for c in p)),
)
def test_encoded_requests_parse_back(headers, body, path) -> None:
    """Whatever passes validation is one well-formed request with exactly our headers."""
    raw = encode_request("POST", "/" + path, "h:1", headers, body)
    parsed = _Parsed()
    httptools.HttpRequestParser(parsed).feed_data(raw)
    assert parsed.done
    assert parsed.body == (body or b"")
    sent = [(n.encode(), v.encode()) for n, v in headers]
    assert parsed.headers[1 : 1 + len(sent)] == sent
    assert parsed.url.startswith(b"/")


@given(st.text(max_size=10), st.sampled_from(["\r", "\n", "\r\n", "\x00"]), st.text(max_size=10))
def test_any_value_with_cr_lf_nul_is_rejected(pre: str, bad: str, post: str) -> None:
    with pytest.raises(ValueError):
        encode_request("GET", "/", "h", [("X-V", pre + bad + post)], None)
