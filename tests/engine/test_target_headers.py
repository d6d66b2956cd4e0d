"""A target's headers are sent as written, by every client: they are no template (the
loader checks no placeholder in them and draws no data row for them), so a token with
braces in it, from the file or from `${ENV}`, must not be read as `{var}` when the task
or stream beside it happens to have placeholders of its own. Before, it failed such
requests as "missing variable" (or filled `{uuid}` in), and sent `{{` as `{` there only."""

from __future__ import annotations

from support.h2server import H2Server
from support.recording import RecordingTarget
from support.runs import GUARD_S, run, stop_when
from support.scenarios import get, scenario, user
from support.wsservers import ws_server
from websockets.asyncio.server import ServerConnection

LITERAL = "a{b}c{{d} {uuid} {"
TARGET_HEADERS = {"headers": {"X-Lit": LITERAL}}


def templated_task() -> str:
    task = get("/t", "t", headers={"X-User": "u{user_id}"})
    return scenario(user(task), **TARGET_HEADERS)


async def test_http1_sends_the_targets_headers_as_written() -> None:
    with RecordingTarget() as server:
        final, _, _ = await run(templated_task(), server.url, users=1, spawn_rate=10, iterations=2)
        seen = server.seen("/t")
    assert final.total.failures == 0, final.total.errors
    assert [(s.values("X-Lit"), s.values("X-User")) for s in seen] == [([LITERAL], ["u1"])] * 2


async def test_http2_sends_the_targets_headers_as_written() -> None:
    async with H2Server() as server:
        text = templated_task().replace("[targets.demo]", "[targets.demo]\nhttp2 = true")
        final, _, _ = await run(text, server.url, users=1, spawn_rate=10, iterations=2)
    seen = server.seen("/t")
    assert final.total.failures == 0, final.total.errors
    assert [(s.headers["x-lit"], s.headers["x-user"]) for s in seen] == [(LITERAL, "u1")] * 2


async def test_a_stream_handshake_sends_the_targets_headers_as_written() -> None:
    heard: list[tuple[str, str]] = []

    async def note(ws: ServerConnection) -> None:
        assert ws.request is not None
        heard.append((ws.request.headers["X-Lit"], ws.request.headers["X-User"]))
        await ws.wait_closed()

    stream = {"path": "/ws", "expect": "none", "headers": {"X-User": "u{user_id}"}}
    async with ws_server(note) as url:
        text = scenario(user(websocket=stream), **TARGET_HEADERS)
        opened = stop_when(lambda s: s.stream_total is not None and s.stream_total.opened == 1)
        final, _, _ = await run(text, url, opened, users=1, spawn_rate=10, duration=GUARD_S)
    assert heard == [(LITERAL, "u1")]
    stats = final.stream_total
    assert stats.opened == 1 and not stats.errors, stats.errors
