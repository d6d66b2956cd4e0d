"""A URL's user:password@: hidden by the one redaction rule, split off for sending."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from loadtui.scenario.userinfo import basic_authorization, redact_url, split_userinfo
from loadtui.session.redact import Redaction

# What a userinfo may hold unencoded (RFC 3986 unreserved and sub-delims; ':' only in
# the password). Everything else is percent-encoded, as in any well-formed URL.
SUB_DELIMS = "-._~!$&'()*+,;="
secrets_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=24)
hosts = st.sampled_from(["127.0.0.1", "localhost", "api.example.test", "[::1]", "h"])
ports = st.sampled_from(["", ":1", ":8080", ":65535"])
tails = st.sampled_from(["", "/", "/v1", "/a@b/c", "/p?q=1", "/x?mail=a@b#frag", "?q", "#f"])
schemes = st.sampled_from(["http", "https", "ws", "wss"])


@given(schemes, secrets_text, secrets_text, hosts, ports, tails)
@example("http", "u", "p@ss", "h", "", "/")  # an encoded '@' in the password
def test_a_password_never_survives_and_the_rest_stays(
    scheme: str, user: str, password: str, host: str, port: str, tail: str
) -> None:
    quser, qpass = quote(user, safe=SUB_DELIMS), quote(password, safe=SUB_DELIMS + ":")
    url = f"{scheme}://{quser}:{qpass}@{host}{port}{tail}"
    shown = redact_url(url)
    assert shown == f"{scheme}://{quser}:***@{host}{port}{tail}"
    assert redact_url(shown) == shown  # redacting twice changes nothing


@given(schemes, secrets_text, secrets_text, hosts, ports, tails)
def test_split_gives_the_host_urllib_connects_to_and_the_decoded_credentials(
    scheme: str, user: str, password: str, host: str, port: str, tail: str
) -> None:
    quser, qpass = quote(user, safe=SUB_DELIMS), quote(password, safe=SUB_DELIMS + ":")
    url = f"{scheme}://{quser}:{qpass}@{host}{port}{tail}"
    bare, credentials = split_userinfo(url)
    assert bare == f"{scheme}://{host}{port}{tail}"
    assert credentials == (user, password)
    assert urlsplit(bare).hostname == urlsplit(url).hostname
    assert urlsplit(bare).port == urlsplit(url).port


# Raw (unencoded) reserved characters break a URL, but its messages must still hide them.
raw_passwords = st.text(st.sampled_from("abcXYZ019:@?#&=%!$"), min_size=1, max_size=16).filter(
    lambda p: any(c in p for c in "@?#") or p.isalnum()
)


@given(st.text(st.sampled_from("abcxyz019._-"), max_size=8), raw_passwords, hosts, ports)
def test_a_raw_password_that_breaks_the_url_is_still_hidden(
    user: str, password: str, host: str, port: str
) -> None:
    url = f"http://{user}:{password}@{host}{port}/base"
    assert redact_url(url) == f"http://{user}:***@{host}{port}/base"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://alice:s3cret@h:1/x", "http://alice:***@h:1/x"),
        ("https://TOKEN@api.test/v1", "https://***@api.test/v1"),  # a lone user: a token
        ("http://:only-pw@h", "http://:***@h"),
        ("http://u:@h", "http://u:***@h"),
        ("http://u:pa/ss@h/x", "http://u:***@h/x"),  # a raw '/' ends the authority early
        ("http://u:pa#ss@h", "http://u:***@h"),
        ("http://u:12?34@h:80/", "http://u:***@h:80/"),
        ("http://h:8080/users/me@example.test", "http://h:8080/users/me@example.test"),
        ("http://[::1]:80/a@b", "http://[::1]:80/a@b"),
        ("http://@h/", "http://@h/"),
        ("/api/items?x=1", "/api/items?x=1"),
        ("not a url", "not a url"),
        ("", ""),
    ],
)
def test_examples(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@given(st.text(max_size=60))
def test_any_text_is_safe_to_pass(text: str) -> None:
    shown = redact_url(text)
    if "://" not in text:
        assert shown == text
    assert redact_url(shown) == shown


def test_no_userinfo_nothing_to_split() -> None:
    assert split_userinfo("http://h:1/p?q=a@b") == ("http://h:1/p?q=a@b", None)
    assert split_userinfo("/relative") == ("/relative", None)
    assert split_userinfo("http://tok@h/") == ("http://h/", ("tok", ""))


def test_basic_authorization_follows_rfc_7617() -> None:
    assert basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    assert basic_authorization("test", "123\u00a3") == "Basic dGVzdDoxMjPCow=="  # UTF-8


def test_the_session_redaction_uses_the_same_rule() -> None:
    r = Redaction.extra(query=["sig"])
    assert r.url("ws://u:pw@h:1/x?sig=1&a=2") == "ws://u:***@h:1/x?sig=***&a=2"
    assert r.url("https://TOKEN@h/") == redact_url("https://TOKEN@h/")
