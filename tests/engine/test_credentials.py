"""A target URL's user:password@ on the wire: never in Host; Basic auth only when the
target says `auth = "basic"`, and a header the scenario sets wins. Every client: the
native pool, httpx (HTTP/2 targets and Python tasks) and WebSocket handshakes, each
against a loopback server that records what it received."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from time import perf_counter
from typing import Any

import pytest
from support.recording import RecordingTarget, Seen
from support.runs import GUARD_S, run, stop_when
from support.scenarios import get, load, scenario, user
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request

from loadtui.engine.calls import UserState
from loadtui.engine.http.poolset import PoolSet
from loadtui.engine.plan import Binder
from loadtui.metrics.recorder import Recorder
from loadtui.scenario.model import HttpTask

USER, PASSWORD = "al ice", "p@ss:w/rd"  # percent-encoded in the URL, decoded for Basic
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def with_userinfo(url: str) -> str:
    return url.replace("http://", "http://al%20ice:p%40ss:w%2Frd@")


def creds(auth: str, http2: bool = False, **target: Any) -> str:
    """Two tasks, one without headers and one setting Authorization and X-Tenant."""
    headers = {"authorization": "Bearer {token}", "x-tenant": "task"}
    tasks = get("/plain", "plain"), get("/bearer", "bearer", headers=headers)
    return scenario(user(*tasks), name="creds", auth=auth, http2=http2, **target)


async def send_each_task(text: str, url: str) -> None:
    """Bind the scenario's tasks to its target as the engine does and run each once."""
    plan = load(text, with_userinfo(url))
    target = plan.targets[0]
    pools = PoolSet.for_target(target)
    binder = Binder(target, pools, Recorder())
    try:
        for task in plan.users[0].tasks:
            assert isinstance(task, HttpTask)
            await binder.bind(task).run(UserState(1, {"token": "t1"}), perf_counter())
    finally:
        await binder.aclose()
        await pools.close()


def only(seen: list[Seen]) -> Seen:
    assert len(seen) == 1, seen
    return seen[0]


@pytest.mark.parametrize("http2", [False, True], ids=["native", "httpx"])
async def test_without_auth_basic_the_userinfo_is_never_sent(http2: bool) -> None:
    with RecordingTarget() as server:
        await send_each_task(creds("none", http2), server.url)
        for path in ("/plain", "/bearer"):
            got = only(server.seen(path))
            assert got.values("host") == [f"127.0.0.1:{server.port}"]
        assert only(server.seen("/plain")).values("authorization") == []
        assert only(server.seen("/bearer")).values("authorization") == ["Bearer t1"]


@pytest.mark.parametrize("http2", [False, True], ids=["native", "httpx"])
async def test_auth_basic_sends_the_decoded_userinfo_unless_a_task_says_otherwise(
    http2: bool,
) -> None:
    with RecordingTarget() as server:
        await send_each_task(creds("basic", http2), server.url)
        plain, bearer = only(server.seen("/plain")), only(server.seen("/bearer"))
        assert plain.values("host") == bearer.values("host") == [f"127.0.0.1:{server.port}"]
        assert plain.values("authorization") == [BASIC]
        assert bearer.values("authorization") == ["Bearer t1"]  # the task's wins, alone


@pytest.mark.parametrize("http2", [False, True], ids=["native", "httpx"])
async def test_a_target_authorization_header_wins_over_the_userinfo(http2: bool) -> None:
    headers = {"Authorization": "Token abc", "X-Tenant": "target"}
    with RecordingTarget() as server:
        await send_each_task(creds("basic", http2, headers=headers), server.url)
        plain, bearer = only(server.seen("/plain")), only(server.seen("/bearer"))
        assert plain.values("authorization") == ["Token abc"]
        assert plain.values("x-tenant") == ["target"]
        # A task's header replaces the target's of the same name, in any case.
        assert bearer.values("authorization") == ["Bearer t1"]
        assert bearer.values("x-tenant") == ["task"]


@pytest.mark.parametrize(("auth", "expected"), [("none", []), ("basic", [BASIC])])
async def test_python_tasks_client_follows_the_same_rule(auth: str, expected: list[str]) -> None:
    with RecordingTarget() as server:
        plan = load(creds(auth), with_userinfo(server.url))
        target = plan.targets[0]
        pools = PoolSet.for_target(target)
        binder = Binder(target, pools, Recorder())
        try:
            resp = await binder.py_client().get("/py", headers={"X-Step": "1"})
            assert resp.status_code == 200
            assert str(resp.request.url) == f"{server.url}/py"  # what user code sees
        finally:
            await binder.aclose()
            await pools.close()
        got = only(server.seen("/py"))
        assert got.values("host") == [f"127.0.0.1:{server.port}"]
        assert got.values("authorization") == expected


@asynccontextmanager
async def recording_ws_server(heads: list[Request]) -> AsyncIterator[str]:
    async def keep(request_conn: ServerConnection, request: Request) -> None:
        heads.append(request)

    async def idle(conn: ServerConnection) -> None:
        await conn.wait_closed()

    async with serve(idle, "127.0.0.1", 0, process_request=keep) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"http://127.0.0.1:{port}"


def ws_creds(auth: str, headers: dict[str, str] | None) -> str:
    stream = {"path": "/ws", "expect": "none", "duration": "0.2s", "headers": headers}
    return scenario(user(name="s", websocket=stream), name="ws", auth=auth)


@pytest.mark.parametrize(
    ("auth", "headers", "expected"),
    [
        ("none", None, []),
        ("basic", None, [BASIC]),
        ("basic", {"Authorization": "Bearer ws"}, ["Bearer ws"]),
    ],
    ids=["none", "basic", "stream-header-wins"],
)
async def test_websocket_handshakes_follow_the_same_rule(
    auth: str, headers: dict[str, str] | None, expected: list[str]
) -> None:
    heads: list[Request] = []
    async with recording_ws_server(heads) as url:
        await run(
            ws_creds(auth, headers), with_userinfo(url), stop_when(lambda _snap: bool(heads)),
            users=1, spawn_rate=100, duration=GUARD_S,
        )  # fmt: skip
    assert heads, "no handshake reached the server"
    port = url.rsplit(":", 1)[1]
    for head in heads:
        assert head.headers.get_all("Host") == [f"127.0.0.1:{port}"]
        assert head.headers.get_all("Authorization") == expected
