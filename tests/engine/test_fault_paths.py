"""Faults on the other request paths, through the real engine: bodies nobody keeps,
`http2 = true` targets on HTTP/1.1-only servers, Python tasks (the target's total timeout), and
CR/LF/NUL in values headed for the wire (an extracted login token, a Python task's
header). Each is a counted error kind, with memory flat and the run on time."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.fault_runs import CUT_OFF, MAX_GROWTH, assert_bounded, fault_run
from support.faulty import SHORT_TOTAL
from support.runs import run
from support.scenarios import call, get, post, scenario, user

from loadtui.engine.controller import Controller
from loadtui.metrics.snapshot import Snapshot

INVALID = "invalid header value"


@pytest.mark.parametrize("mode", ["endless-chunked", "endless-length"])
async def test_endless_body_nobody_reads_is_counted_not_kept(mode: str) -> None:
    """No check needs the body: bytes are counted as they pass, never buffered, so the
    request runs into its total timeout with memory flat, however much went by."""
    out = await fault_run(
        mode, keep_body=False, run_s=SHORT_TOTAL + 0.5, expect={"timeout"}, total=SHORT_TOTAL
    )
    assert set(out.errors) <= {"timeout", CUT_OFF} and out.errors.get("timeout"), out.errors
    assert out.served > 2 * MAX_GROWTH  # far past the body cap and the memory bound
    assert_bounded(out)


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        ("endless-chunked", "too large"),
        ("endless-headers", "too large"),
        ("upgrade-101", "unexpected upgrade"),
        ("garbage", "protocol"),
    ],
)
async def test_http2_targets_on_http1_servers_are_bounded_too(mode: str, kind: str) -> None:
    """These servers answer the h2c preface in HTTP/1.x (or not in HTTP/2), so targets
    with `http2 = true` fall back to the native HTTP/1.1 pool: same kinds, same bounds.
    (HTTP/2's own faults: tests/http/test_h2_errors.py.)"""
    out = await fault_run(mode, http2=True, expect={kind})
    assert set(out.errors) - {CUT_OFF} == {kind}, out.errors
    assert_bounded(out)


def python_scenario(module: str) -> str:
    timeout = {"connect": "3s", "read": "1.2s", "total": "1.4s"}
    return scenario(user(call(f"{module}:flow", "flow")), name="py", timeout=timeout)


async def test_python_task_request_gets_the_targets_total_timeout(tmp_path: Path) -> None:
    """A byte a second never trips the read timeout (1.2 s); the target's total timeout
    (1.4 s) ends the request as `timeout` instead of leaving it to the end of the run."""
    (tmp_path / "fault_py_slow.py").write_text(
        "async def flow(client, vars):\n    await client.get('/byte-a-second')\n"
    )
    text = python_scenario("fault_py_slow")
    out = await fault_run(
        "byte-a-second", text=text, run_s=1.9, folder=tmp_path, expect={"timeout"}
    )
    flow = out.final.endpoint("flow")
    assert flow is not None
    assert set(flow.errors) <= {"timeout", CUT_OFF} and flow.errors.get("timeout"), flow.errors
    assert_bounded(out)


LOGIN = post(
    "/api/login",
    "login",
    json={"user": "ann\r\nX-Injected: 1\x00", "password": "p"},
    extract=[{"var": "who", "json": "/user"}],
)
LOGIN_THEN_ME = user(get("/api/me", "me", headers={"X-User": "{who}"}), on_start=(LOGIN,))


@pytest.mark.parametrize("http2", [False, True])
async def test_extracted_value_with_crlf_is_a_counted_invalid_header_value(
    demo_url: str, http2: bool
) -> None:
    """The demo target echoes the login name; a name holding CR/LF/NUL, extracted into a
    header, fails every "me" request as `invalid header value`: counted, nothing sent
    (so no latency), no traceback."""
    text = scenario(LOGIN_THEN_ME, http2=http2)

    def enough(engine: Controller, snap: Snapshot) -> None:  # not a fixed length: a busy
        me = snap.endpoint("me")  # machine may take longer to log both users in
        if me is not None and me.requests >= 4:
            engine.stop()

    final, _, _ = await run(text, demo_url, enough, users=2, spawn_rate=100, duration=30, grace=0.3)
    login, me = final.endpoint("login"), final.endpoint("me")
    assert login is not None and login.failures == 0 and login.requests == 2
    assert me is not None and me.requests > 0
    assert me.errors == {INVALID: me.requests} == {INVALID: me.failures}
    assert me.latency.count == 0


async def test_python_task_header_with_crlf_is_invalid_header_value(tmp_path: Path) -> None:
    """Through the httpx transport on the engine's pool: nothing is sent, so the target
    (one that would reset the connection) never sees a connection."""
    (tmp_path / "fault_py_crlf.py").write_text(
        "async def flow(client, vars):\n"
        "    await client.get('/x', headers={'X-User': 'ann\\r\\nX-Injected: 1'})\n"
    )
    text = python_scenario("fault_py_crlf")
    out = await fault_run("reset", text=text, run_s=0.3, folder=tmp_path, expect={INVALID})
    flow = out.final.endpoint("flow")
    assert flow is not None and flow.requests > 0
    assert flow.errors == {INVALID: flow.requests}
    assert out.connections == 0
