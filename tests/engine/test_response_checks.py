"""Header, body-regex and JSON-rule checks, and checks on rate-limited responses, end to
end against the demo target (and an HTTP/2 server): each kind passes where it should
and fails with its own short, stable kind where it should not."""

from __future__ import annotations

from typing import Any

from support.h2server import H2Server
from support.runs import run
from support.scenarios import api_fast, get, scenario, user

from loadtui.engine.checks import ResponseChecks, same_json
from loadtui.scenario.model import Checks, HeaderCheck, JsonCheck

# /api/fast answers {"status":"ok","service":"loadtui-demo","endpoint":"fast","value":42,
# "items":[1,2,3],"ok":true} with Server: loadtui-demo and Content-Type: application/json.
PASSING = {
    "headers ok": {
        "headers": {
            "content-type": "regex:^application/json",
            "Server": "equals:loadtui-demo",
            "content-length": "present",
            "retry-after": "absent",
        }
    },
    "body_regex ok": {"body_regex": '"value":\\s*42\\b'},
    "json ok": {
        "json": {
            "/value": "> 41",
            "/items/2": "<= 3",
            "/service": "== loadtui-demo",
            "/endpoint": "!= slow",
            "/ok": "== true",
            "/items": "exists",
            "/nope": "absent",
            "/status": "ok",  # the old form: equal to this value
        }
    },
}
FAILING = {
    "header missing": (
        {"headers": {"retry-after": "present"}},
        "check: header retry-after missing",
    ),
    "header present": ({"headers": {"server": "absent"}}, "check: header server present"),
    "header equals": ({"headers": {"server": "equals:nginx"}}, "check: header server"),
    "header regex": ({"headers": {"content-type": "regex:^text/"}}, "check: header content-type"),
    "body_regex": ({"body_regex": '"value":\\s*43'}, "check: body_regex"),
    "json compared": ({"json": {"/value": "< 10"}}, "check: json /value"),
    "json missing": ({"json": {"/count": "> 0"}}, "check: json /count missing"),
    "json present": ({"json": {"/value": "absent"}}, "check: json /value present"),
    "json true is not 1": ({"json": {"/ok": "== 1"}}, "check: json /ok"),
    "json equals (old form)": ({"json": {"/value": 41}}, "check: json /value"),
}


async def test_each_check_kind_passes_and_fails_on_a_real_response(demo_url: str) -> None:
    tasks = [api_fast(name, checks=checks) for name, checks in PASSING.items()]
    tasks += [api_fast(name, checks=checks) for name, (checks, _) in FAILING.items()]
    # In sequence, each pass runs every kind (13 picked at random: a short run on a busy
    # machine could miss one).
    text = scenario(user(*tasks, wait="constant(0.005s)", order="sequence"))
    final, _, _ = await run(text, demo_url, users=2, spawn_rate=100, iterations=2)
    for name in PASSING:
        ep = final.endpoint(name)
        assert ep is not None and ep.requests == 2 and ep.failures == 0, (name, ep and ep.errors)
    for name, (_, kind) in FAILING.items():
        ep = final.endpoint(name)
        assert ep is not None and ep.requests == 2, name
        assert ep.errors == {kind: ep.requests}, name
        assert ep.checks_failed == ep.failures and ep.status_codes == {200: ep.requests}


def limited(name: str, rate: str, checks: dict[str, Any]) -> dict[str, Any]:
    """The demo's token bucket of `rate` req/s (a bucket per rate, holding at most
    max(1, rate) tokens): 429 + Retry-After: 1 past it, body {"error": "rate limited",
    "status": 429}."""
    return get("/api/limited", name, query={"rate": rate}, checks=checks)


async def test_rate_limited_responses_are_checked_by_on_rate_limited(demo_url: str) -> None:
    carries = {"on_rate_limited": {"headers": {"retry-after": "present"}}}
    says_so = {"on_rate_limited": {"body_regex": "rate limited", "json": {"/status": "== 429"}}}
    wrong = {"on_rate_limited": {"headers": {"retry-after": "equals:5"}}}
    # Buckets refilled by a token in 14 minutes or more, a pass one request to each: of 4
    # passes, 3 to 4 are refused (4 if an earlier test in this process took the token),
    # however long the run takes. Random picks in a run of fixed length left it to chance
    # and to the machine's speed whether a bucket ran dry at all.
    tasks = (
        limited("carries retry-after", "0.001", carries),
        limited("says so", "0.0011", says_so),
        limited("waits 5 s", "0.0012", wrong),
    )
    text = scenario(user(*tasks, wait="constant(0.01s)", order="sequence"))
    final, _, _ = await run(text, demo_url, users=3, spawn_rate=100, iterations=4)
    for name in ("carries retry-after", "says so"):
        ep = final.endpoint(name)
        assert ep is not None and ep.rate_limited >= 3 and ep.failures == 0, (name, ep)
        assert ep.status_codes.get(429) == ep.rate_limited  # refusals, not requests
    bad = final.endpoint("waits 5 s")
    assert bad is not None and bad.rate_limited >= 3
    # Each refusal that failed its check is in the lane once and a failed check once.
    assert bad.errors == {"check: header retry-after": bad.rate_limited}
    assert bad.failures == bad.checks_failed == bad.rate_limited
    assert bad.status_codes.get(429) == bad.rate_limited  # its status counted once
    assert bad.latency.count == bad.requests - bad.failures  # refusals are not timed
    assert final.rate_limit.with_retry_after == final.rate_limit.responses


async def test_checks_on_http2_responses_read_their_headers() -> None:
    tasks = (
        get("/echo", "length sent", checks={"headers": {"x-length": "regex:^\\d+$"}}),
        get("/json", "no length", checks={"headers": {"x-length": "present"}}),
        get(
            "/status/429",
            "refused bare",
            checks={"on_rate_limited": {"headers": {"retry-after": "present"}}},
        ),
    )
    text = scenario(user(*tasks, wait="constant(0.01s)", order="sequence"), http2=True)
    async with H2Server() as srv:
        final, _, _ = await run(text, srv.url, users=2, spawn_rate=100, iterations=4, grace=1)
    sent, none, bare = (final.endpoint(n) for n in ("length sent", "no length", "refused bare"))
    assert sent is not None and sent.requests == 4 and sent.failures == 0, sent
    assert none is not None and none.errors == {"check: header x-length missing": 4}
    assert bare is not None and bare.rate_limited == 4
    assert bare.errors == {"check: header retry-after missing": bare.rate_limited}
    assert final.pool.connects == 1  # over HTTP/2, not a fallback


def test_a_task_without_checks_is_judged_by_its_status_alone() -> None:
    plain = ResponseChecks(Checks())
    assert plain.failed(204, None, None, 9.0) is None
    assert plain.failed(500, None, None, 0.0) == "HTTP 500"
    assert plain.rate_limited is None
    # An empty on_rate_limited table asks for nothing.
    assert ResponseChecks(Checks(on_rate_limited=Checks())).rate_limited is None


def test_a_header_sent_twice_passes_when_either_value_matches() -> None:
    checks = ResponseChecks(Checks(headers=(HeaderCheck("set-cookie", "regex", "^b="),)))
    twice = [(b"Set-Cookie", b"a=1"), (b"set-cookie", b" b=2 ")]
    assert checks.failed(200, twice, None, 0.0) is None
    assert checks.failed(200, twice[:1], None, 0.0) == "check: header set-cookie"


def test_json_rules_compare_as_json_does() -> None:
    assert same_json({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not same_json(True, 1) and not same_json([0], [False]) and not same_json("1", 1)
    checks = ResponseChecks(Checks(json=(JsonCheck("/n", ">=", 2), JsonCheck("/s", "!=", 2))))
    assert checks.failed(200, None, b'{"n": 2, "s": "2"}', 0.0) is None
    assert checks.failed(200, None, b'{"n": "3", "s": 1}', 0.0) == "check: json /n"
    assert checks.failed(200, None, b"not json", 0.0) == "check: json /n missing"
