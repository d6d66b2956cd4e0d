"""What `loadtui import` drafts from a HAR recording: which requests and headers it keeps,
how credentials become `${ENV}` references, names, checks and think time, and that any
recorded text loads back, through the real loader, as exactly what was recorded."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from support.har import START, entry, har, write_har

from loadtui.scenario.bounds import MAX_TASKS
from loadtui.scenario.draft import Draft, DraftOptions, draft
from loadtui.scenario.har import parse_har, read_har
from loadtui.scenario.loader import load_scenario_text
from loadtui.scenario.model import HttpTask, Scenario
from loadtui.scenario.recorded import ImportProblem, Recorded, is_secret_name

API = "https://shop.example.test"
OPTIONS = DraftOptions(source="rec.har")


def drafted(entries: list[dict[str, Any]], options: DraftOptions = OPTIONS) -> Draft:
    return draft(parse_har(json.dumps(har(entries)).encode(), "rec.har"), options)


def loaded(result: Draft, env: dict[str, str] | None = None) -> Scenario:
    return load_scenario_text(result.text, "imported.toml", env or {})


def tasks(scenario: Scenario) -> list[HttpTask]:
    found = [t for t in scenario.users[0].tasks if isinstance(t, HttpTask)]
    assert len(found) == len(scenario.users[0].tasks)
    return found


def one(request: Recorded) -> HttpTask:
    return tasks(loaded(draft([request], OPTIONS)))[0]


# -- what is kept ---------------------------------------------------------------------


def test_static_assets_are_left_out_unless_asked_for() -> None:
    entries = [
        entry("GET", f"{API}/"),
        entry("GET", f"{API}/app.css", response_type="text/css"),
        entry("GET", f"{API}/logo", response_type="image/png"),
        entry("GET", f"{API}/bundle.js?v=3", response_type=""),
        entry("GET", f"{API}/font", response_type="font/woff2"),
        entry("GET", f"{API}/api/cart", response_type="application/json"),
    ]
    result = drafted(entries)
    assert [t.name for t in tasks(loaded(result))] == ["GET /", "GET /api/cart"]
    assert result.left_out == ("4 static assets (--include-static keeps them)",)
    everything = drafted(entries, DraftOptions(source="rec.har", include_static=True))
    assert everything.tasks == 6 and everything.left_out == ()


def test_the_origin_most_requests_went_to_is_the_target() -> None:
    entries = [
        entry("GET", "https://cdn.example.test/a"),
        entry("GET", f"{API}/a"),
        entry("GET", f"{API}:443/b"),  # another origin: the port is written
        entry("GET", f"{API}/c"),
        entry("GET", "data:text/plain,hi"),
        entry("GET", "wss://shop.example.test/ws"),
    ]
    result = drafted(entries)
    scenario = loaded(result)
    assert scenario.targets[0].url == API
    assert [t.path for t in tasks(scenario)] == ["/a", "/c"]
    assert set(result.left_out) == {
        "1 request to https://cdn.example.test (a run drives one target; --origin picks it)",
        "1 request to https://shop.example.test:443 (a run drives one target; --origin picks it)",
        "1 request not http(s) (data:)",
        "1 request not http(s) (wss:)",
    }
    other = drafted(entries, DraftOptions(source="rec.har", origin="https://CDN.example.test/"))
    assert loaded(other).targets[0].url == "https://cdn.example.test" and other.tasks == 1
    with pytest.raises(
        ImportProblem, match=re.escape("no request to https://nowhere.example.test in rec.har")
    ):
        drafted(entries, DraftOptions(source="rec.har", origin="https://nowhere.example.test"))


def test_a_recording_with_nothing_to_import_says_why() -> None:
    with pytest.raises(ImportProblem) as exc:
        drafted([entry("GET", "data:,x"), entry("GET", f"{API}/a.png")])
    assert str(exc.value) == (
        "nothing to import from rec.har: 2 requests, 1 request not http(s) (data:); "
        "1 static asset (--include-static keeps them)"
    )


def test_noise_headers_go_and_the_rest_stay() -> None:
    headers = [
        ("Host", "shop.example.test"),
        (":authority", "shop.example.test"),
        ("Connection", "keep-alive"),
        ("Content-Length", "2"),
        ("Accept-Encoding", "gzip, br"),
        ("User-Agent", "Mozilla/5.0"),
        ("sec-ch-ua", '"Chromium";v="130"'),
        ("Sec-Fetch-Mode", "cors"),
        ("If-None-Match", 'W/"1"'),
        ("Accept", "application/json"),
        ("X-Request-Id", "r1"),
        ("Content-Type", "application/json"),
        ("accept", "text/plain"),  # the same header twice: one value, joined
    ]
    task = one(
        parse_har(
            json.dumps(har([entry("POST", f"{API}/api", headers=headers, body="{}")])).encode(),
            "rec.har",
        )[0]
    )
    assert dict(task.headers) == {"Accept": "application/json, text/plain", "X-Request-Id": "r1"}
    assert task.content_type == "application/json" and task.body == b"{}"


def test_credentials_become_environment_references() -> None:
    secret = {"auth": "eyJ.secret.1", "cookie": "sid=c00k1e", "key": "k3y", "q": "qs3cret"}
    entries = [
        entry(
            "GET",
            f"{API}/me?access_token={secret['q']}&page=2",
            headers=[("Authorization", f"Bearer {secret['auth']}"), ("Cookie", secret["cookie"])],
        ),
        entry(
            "POST",
            f"{API}/login",
            headers=[("X-Api-Key", secret["key"]), ("Cookie", "sid=0th3r")],
            body='{"user":"ann","password":"hunter2"}',
            mime="application/json",
        ),
    ]
    result = drafted(entries)
    for value in (*secret.values(), "hunter2", "0th3r"):
        assert value not in result.text
    assert result.env == (
        "LOADTUI_QUERY_ACCESS_TOKEN",
        "LOADTUI_AUTH",
        "LOADTUI_COOKIE",
        "LOADTUI_BODY_PASSWORD",
        "LOADTUI_X_API_KEY",
        "LOADTUI_COOKIE_2",
    )  # in order of first use: a request's body, query, then headers
    for name in result.env:  # each listed, with what it stands for, in the header
        assert f"#   {name} " in result.text
    env = dict(zip(result.env, ("q", "tok", "c=1", "pw", "k", "c=2"), strict=True))
    me, login = tasks(loaded(result, env))
    assert me.query == (("access_token", "q"), ("page", "2"))
    assert dict(me.headers) == {"Authorization": "Bearer tok", "Cookie": "c=1"}
    assert dict(login.headers) == {"X-Api-Key": "k", "Cookie": "c=2"}
    assert login.body == b'{"user":"ann","password":"pw"}'
    # Without them the scenario does not load, and says which one is missing.
    with pytest.raises(Exception, match="environment variable LOADTUI_AUTH is not set"):
        loaded(result)


def test_names_are_unique_and_checks_expect_the_recorded_status() -> None:
    entries = [
        entry("GET", f"{API}/a?x=1", status=200),
        entry("GET", f"{API}/a?x=2", status=404),
        entry("GET", f"{API}/a", status=304),
        entry("DELETE", f"{API}/a", status=0),  # blocked in the browser: no answer to check
    ]
    found = tasks(loaded(drafted(entries)))
    assert [t.name for t in found] == ["GET /a", "GET /a #2", "GET /a #3", "DELETE /a"]
    assert [t.checks.status for t in found] == [
        frozenset({200}),
        frozenset({404}),
        frozenset({200, 304}),  # If-None-Match is dropped, so a fresh copy comes back
        None,
    ]


def test_the_flow_runs_in_recorded_order_with_the_median_pause() -> None:
    entries = [
        entry("GET", f"{API}/{i}", started=START + timedelta(seconds=at), time_ms=100)
        for i, at in enumerate((0.0, 0.2, 0.6, 3.0))
    ]  # pauses after each response: 0.1 s, 0.3 s, 2.3 s
    result = drafted(list(reversed(entries)))  # recorded order is by start time
    doc = tomllib.loads(result.text)
    assert doc["users"][0]["order"] == "sequence"
    assert doc["users"][0]["wait"] == "constant(0.3s)"
    assert [t.path for t in tasks(loaded(result))] == ["/0", "/1", "/2", "/3"]
    assert "Think time: constant(0.3s), the median pause" in result.text


def test_headers_every_request_sends_move_to_the_target() -> None:
    common = [("Accept", "application/json"), ("X-Client", "web")]
    entries = [
        entry("GET", f"{API}/a", headers=common),
        entry("GET", f"{API}/b", headers=[*common, ("X-Only", "b")]),
    ]
    scenario = loaded(drafted(entries))
    assert dict(scenario.targets[0].headers) == dict(common)
    assert [dict(t.headers) for t in tasks(scenario)] == [{}, {"X-Only": "b"}]


def test_bodies_keep_their_bytes() -> None:
    compact = '{"items":[1,2.5,true],"note":"é {x} ${y}"}'
    pretty = '{"a": 1}'
    form = "a=1&b=%7Bx%7D"
    entries = [
        entry("POST", f"{API}/compact", body=compact, mime="application/json"),
        entry("POST", f"{API}/pretty", body=pretty, mime="application/json; charset=utf-8"),
        entry("POST", f"{API}/form", body=form, mime="application/x-www-form-urlencoded"),
        entry("POST", f"{API}/null", body='{"a":null}', mime="application/json"),
    ]
    result = drafted(entries)
    doc = tomllib.loads(result.text)["users"][0]["tasks"]
    assert "json" in doc[0] and "body" in doc[1] and "body" in doc[3]  # TOML has no null
    found = tasks(loaded(result))
    assert [t.body for t in found] == [s.encode() for s in (compact, pretty, form, '{"a":null}')]
    assert [t.content_type for t in found] == [
        "application/json",
        "application/json; charset=utf-8",
        "application/x-www-form-urlencoded",
        "application/json",
    ]


def test_requests_a_scenario_cannot_send_are_left_out_with_the_reason() -> None:
    binary = entry("POST", f"{API}/upload", body="AAEC/w==")
    binary["request"]["postData"]["encoding"] = "base64"
    multipart = entry("POST", f"{API}/form")
    multipart["request"]["postData"] = {"mimeType": "multipart/form-data", "params": []}
    entries = [
        entry("GET", f"{API}/ok"),
        binary,
        multipart,
        entry("CONNECT", f"{API}/tunnel"),
        entry("GET", f"{API}/bad-header", headers=[("X-A", "1\r\nX-Injected: 2")]),
    ]
    result = drafted(entries)
    assert [t.name for t in tasks(loaded(result))] == ["GET /ok", "GET /bad-header"]
    assert set(result.left_out) == {
        "1 request with a binary body (a scenario body is text)",
        "1 request with a body the recording does not hold",
        "1 request with method CONNECT (not one a task sends)",
        "1 invalid header (not a token name, or CR, LF or NUL in its value)",
    }


def test_more_requests_than_a_scenario_holds_is_one_line() -> None:
    requests = [Recorded("GET", f"{API}/{i}") for i in range(MAX_TASKS + 1)]
    with pytest.raises(
        ImportProblem, match=r"^10,001 requests to import: a scenario holds at most 10,000"
    ):
        draft(requests, OPTIONS)


def test_exporters_variants_of_a_body_are_read() -> None:
    form = entry("POST", f"{API}/form")  # Firefox: a form's fields, without its text
    form["request"]["postData"] = {
        "mimeType": "application/x-www-form-urlencoded",
        "params": [{"name": "q", "value": "a b&c"}, {"name": "n", "value": "1"}],
    }
    encoded = entry("POST", f"{API}/b64", body="aMOpbGxv")  # "héllo", base64 as text
    encoded["request"]["postData"].update(encoding="base64", mimeType=None)
    found = tasks(loaded(drafted([form, encoded])))
    assert [t.body for t in found] == [b"q=a+b%26c&n=1", "héllo".encode()]
    assert [t.content_type for t in found] == ["application/x-www-form-urlencoded", None]


# -- any recorded text loads back as itself -------------------------------------------

texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
header_values = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\x00"), max_size=60
).map(str.strip)


@given(texts)
def test_any_raw_body_is_sent_as_recorded(body: str) -> None:
    request = Recorded("POST", f"{API}/p", body=body.encode(), body_type="text/plain")
    assert one(request).body == body.encode()


query_names = texts.filter(lambda k: not is_secret_name(k))  # those become ${ENV} refs


@given(header_values, query_names, texts)
@example("${A} {b}", "${A} $${b} {c}", "${A} {b}")
def test_any_header_value_and_query_is_sent_as_recorded(value: str, name: str, query: str) -> None:
    url = f"{API}/p?" + urlencode({name: query})
    task = one(Recorded("GET", url, headers=(("X-V", value),)))
    assert task.headers == (("X-V", value),) and task.query == ((name, query),)


json_keys = texts.filter(lambda k: not is_secret_name(k))
json_values = st.recursive(
    texts
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_keys, inner, max_size=4),
    max_leaves=15,
)


@given(json_values)
@example({"${A} {b}": ["${A} $${b} {c}", {"{x}": "$"}]})
def test_any_compact_json_body_becomes_a_table_that_sends_its_bytes(value: Any) -> None:
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    request = Recorded("POST", f"{API}/j", body=body.encode(), body_type="application/json")
    result = draft([request], OPTIONS)
    assert "json" in tomllib.loads(result.text)["users"][0]["tasks"][0]
    assert tasks(loaded(result))[0].body == body.encode()


def test_paths_with_braces_and_dollars_are_literal() -> None:
    task = one(Recorded("GET", f"{API}/a{{id}}/${{HOME}}/$${{x}}/%7Bq%7D"))
    assert task.path == "/a{id}/${HOME}/$${x}/%7Bq%7D" and not task.templated


# -- HAR files that are not ----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "rec.har is empty: expected a HAR file (JSON)"),
        (b"  \n", "rec.har is empty: expected a HAR file (JSON)"),
        (b"<html>", "rec.har is not JSON (line 1, column 1: Expecting value): expected a HAR"),
        (b"\xff\xfe\x00", "rec.har is not JSON text: expected a HAR file"),
        (b"[1, 2]", "rec.har is not a HAR file: it has no log.entries list"),
        (b'{"log": {"entries": {}}}', "rec.har is not a HAR file: it has no log.entries list"),
        (b'{"log": {"entries": []}}', "rec.har holds no requests (log.entries is empty)"),
        (b"[" * 100_000, "rec.har is nested too deeply to be a HAR file"),
        (b'{"log": {"entries": [7]}}', "rec.har: entry 1: the entry is not an object"),
        (
            b'{"log": {"entries": [{"request": {"method": "GET", "url": 5}}]}}',
            "rec.har: entry 1: request.url is not a string",
        ),
        (
            b'{"log": {"entries": [{"request": {"method": "GET", "url": "http://a/",'
            b' "headers": [{"name": 1}]}}]}}',
            "rec.har: entry 1: request.headers[0] is not a {name, value} pair of strings",
        ),
    ],
)
def test_what_is_not_a_har_is_one_line(data: bytes, message: str) -> None:
    with pytest.raises(ImportProblem) as exc:
        parse_har(data, "rec.har")
    assert str(exc.value).startswith(message)
    assert "\n" not in str(exc.value)


def test_a_har_past_the_size_bound_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_har(tmp_path / "big.har", [entry("GET", f"{API}/{i}") for i in range(50)])
    monkeypatch.setattr("loadtui.scenario.har.MAX_HAR_BYTES", path.stat().st_size - 1)
    with pytest.raises(
        ImportProblem, match=r"big\.har is larger than [0-9,]+ bytes: export a shorter"
    ):
        read_har(path)
    monkeypatch.setattr("loadtui.scenario.har.MAX_HAR_BYTES", path.stat().st_size)
    assert len(read_har(path)) == 50
