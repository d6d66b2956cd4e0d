"""Every endpoint of the demo target, through a real socket with httpx (small request counts)."""

from __future__ import annotations

import time

import httpx
import msgpack
import pytest

from loadtui.demo import DemoTarget
from loadtui.demo.http11 import CONN_KEEP, Reply, Request
from loadtui.demo.routes import DemoApp


def test_index_lists_every_endpoint(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    paths = {e["path"].split("?")[0] for e in r.json()["endpoints"]}
    assert {"/health", "/api/fast", "/api/limited", "/ws/echo", "/ws/push"} <= paths


def test_health_and_fast(client: httpx.Client) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    r = client.get("/api/fast")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert 60 <= len(r.content) <= 160
    assert r.json()["status"] == "ok"


def test_items_list_and_one(client: httpx.Client) -> None:
    r = client.get("/api/items")
    items = r.json()
    assert len(items) == 20
    assert 1500 <= len(r.content) <= 3000
    one = client.get("/api/items/7").json()
    assert one["id"] == 7 and one["name"] == "item-7"
    assert client.get("/api/items/abc").status_code == 404
    assert client.get("/api/items/1.5").status_code == 404


def test_unknown_path_and_wrong_method(client: httpx.Client) -> None:
    assert client.get("/nope").status_code == 404
    r = client.post("/api/fast", content=b"x")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"


def test_delay_is_roughly_right(client: httpx.Client) -> None:
    t0 = time.perf_counter()
    r = client.get("/api/delay", params={"ms": 150})
    elapsed = time.perf_counter() - t0
    assert r.status_code == 200
    assert elapsed >= 0.14  # never before its delay (a busy machine only adds to it)
    # How long the target's timer is set for, asked of the route itself: an upper bound
    # on the wall time would be a bound on how long a busy machine held client or target.
    ask = Request(b"GET", "/api/delay", "ms=150", [], b"", True, CONN_KEEP)
    reply = DemoApp().delay(ask)
    assert isinstance(reply, Reply) and reply.delay == 0.15


@pytest.mark.parametrize("query", ["ms=abc", "ms=-5", "ms=999999999"])
def test_delay_rejects_bad_values(client: httpx.Client, query: str) -> None:
    r = client.get(f"/api/delay?{query}")
    assert r.status_code == 400
    assert "ms" in r.json()["error"]


def test_jitter_stays_in_range(client: httpx.Client) -> None:
    for _ in range(5):
        t0 = time.perf_counter()
        r = client.get("/api/jitter", params={"ms": 60, "jitter": 40})
        elapsed_ms = (time.perf_counter() - t0) * 1000
        delay_ms = r.json()["delay_ms"]
        assert 20 <= delay_ms <= 100
        assert elapsed_ms >= delay_ms - 2


def test_flaky_rate_roughly_matches(client: httpx.Client) -> None:
    statuses = [client.get("/api/flaky", params={"fail": 0.5}).status_code for _ in range(200)]
    failed = sum(s != 200 for s in statuses)
    assert set(statuses) <= {200, 500, 503}
    assert 60 <= failed <= 140
    assert client.get("/api/flaky?fail=0").status_code == 200
    assert client.get("/api/flaky?fail=1").status_code in (500, 503)
    assert client.get("/api/flaky?fail=2").status_code == 400


def test_limiter_answers_429_with_retry_after(client: httpx.Client) -> None:
    t0 = time.perf_counter()
    responses = [client.get("/api/limited", params={"rate": 5}) for _ in range(20)]
    took = time.perf_counter() - t0
    ok = [r for r in responses if r.status_code == 200]
    limited = [r for r in responses if r.status_code == 429]
    # The burst, plus what refilled while we sent (5 a second, for as long as a busy
    # machine took over the 20).
    assert 5 <= len(ok) <= 5 + 5 * took + 1
    assert len(ok) + len(limited) == 20
    assert all(r.headers["retry-after"] == "1" for r in limited)


def test_limiter_is_shared_between_clients(target: DemoTarget) -> None:
    with httpx.Client(base_url=target.url) as a, httpx.Client(base_url=target.url) as b:
        codes = [c.get("/api/limited?rate=4").status_code for _ in range(4) for c in (a, b)]
    assert codes.count(200) <= 6
    assert codes.count(429) >= 2


def test_login_and_me(client: httpx.Client) -> None:
    r = client.post("/api/login", json={"user": "ana", "password": "pw"})
    assert r.status_code == 200
    token = r.json()["token"]
    assert r.json()["user"] == "ana" and len(token) == 32
    int(token, 16)
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json() == {"user": "ana"}
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/me", headers={"Authorization": f"Basic {token}"}).status_code == 401


@pytest.mark.parametrize(
    "body", [b"{not json", b'"just a string"', b'{"user": 1, "password": "x"}', b'{"user": "a"}']
)
def test_login_rejects_bad_bodies(client: httpx.Client, body: bytes) -> None:
    r = client.post("/api/login", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_push_msgpack(client: httpx.Client) -> None:
    mp = {"Content-Type": "application/x-msgpack"}
    body = msgpack.packb({"sensor": 3, "values": [1.5, 2.5]})
    first = client.post("/api/push", content=body, headers=mp)
    second = client.post("/api/push", content=body, headers=mp)
    assert first.status_code == second.status_code == 201
    assert second.json()["stored"] == first.json()["stored"] + 1
    assert first.json()["bytes"] == len(body)
    wrong_type = client.post("/api/push", content=body, headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    assert client.post("/api/push", content=b"\xc1\xc1", headers=mp).status_code == 400
    assert client.post("/api/push", content=msgpack.packb([1, 2]), headers=mp).status_code == 400


def test_echo_keeps_body_and_content_type(client: httpx.Client) -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB, binary
    r = client.post("/api/echo", content=payload, headers={"Content-Type": "application/x-demo"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-demo"
    assert r.content == payload


def test_grow_retains_memory(client: httpx.Client) -> None:
    before = client.get("/api/grow?kb=0").json()["retained_kb"]
    after = client.get("/api/grow?kb=16").json()["retained_kb"]
    assert after == before + 16
    assert client.get("/api/grow?kb=x").status_code == 400


def test_chunked_response_decodes(client: httpx.Client) -> None:
    r = client.get("/api/chunked", params={"chunks": 7, "size": 33})
    assert r.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in r.headers
    assert r.content == b"x" * (7 * 33)
    assert client.get("/api/chunked?chunks=100000").status_code == 400


def test_big_body_size(client: httpx.Client) -> None:
    assert len(client.get("/api/big", params={"kb": 300}).content) == 300 * 1024
    assert len(client.get("/api/big").content) == 100 * 1024
    assert client.get("/api/big?kb=-1").status_code == 400


def test_close_endpoint_sends_connection_close(client: httpx.Client) -> None:
    r = client.get("/api/close")
    assert r.status_code == 200
    assert r.headers["connection"] == "close"
    assert client.get("/health").status_code == 200  # the client reconnects


def test_plain_get_on_websocket_path_is_426(client: httpx.Client) -> None:
    r = client.get("/ws/echo")
    assert r.status_code == 426
    assert r.headers["upgrade"] == "websocket"
