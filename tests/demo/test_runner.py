"""Ways of running the demo target: thread, coroutine, child process, ``python -m``."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from loadtui.demo import DemoTarget, serve, start_subprocess
from loadtui.demo.__main__ import main as demo_main

ROOT = Path(__file__).resolve().parents[2]


def test_demo_target_binds_loopback_and_stops() -> None:
    target = DemoTarget()
    assert target.start() is target
    try:
        assert target.host == "127.0.0.1" and target.port > 0
        assert target.url == f"http://127.0.0.1:{target.port}"
        assert httpx.get(f"{target.url}/health").status_code == 200
    finally:
        target.stop()
    target.stop()  # idempotent
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", target.port), timeout=1).close()


def test_demo_target_on_busy_port_raises() -> None:
    with DemoTarget() as first, pytest.raises(RuntimeError, match="failed to start"):
        DemoTarget(port=first.port).start()


async def test_serve_coroutine_until_cancelled() -> None:
    bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve("127.0.0.1", 0, ready=bound.set_result))
    port = await asyncio.wait_for(bound, 5)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    rest = await asyncio.wait_for(reader.read(), 2)  # read() returns only at EOF
    assert rest.endswith(b'{"status":"ok"}')
    writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


def test_start_subprocess_serves_and_dies_on_terminate() -> None:
    proc, port = start_subprocess()
    with proc:
        assert proc.poll() is None
        r = httpx.get(f"http://127.0.0.1:{port}/api/fast", timeout=5)
        assert r.status_code == 200
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_subprocess_exits_when_parent_pipe_closes() -> None:
    proc, _port = start_subprocess()
    with proc:
        assert proc.stdin is not None
        proc.stdin.close()  # what the OS does when the parent dies
        assert proc.wait(timeout=10) == 0


def test_subprocess_survives_sigstop_and_sigcont() -> None:
    proc, port = start_subprocess()
    with proc:
        os.kill(proc.pid, signal.SIGSTOP)
        with pytest.raises(httpx.TimeoutException):
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.3)
        os.kill(proc.pid, signal.SIGCONT)
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
        proc.terminate()
        proc.wait(timeout=10)


def _module_run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "loadtui.demo", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=20, env=env)


def test_module_on_busy_port_exits_1() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = _module_run("127.0.0.1", str(busy.getsockname()[1]))
    assert result.returncode == 1
    assert "cannot listen" in result.stderr


@pytest.mark.parametrize(
    "args", [["127.0.0.1", "notaport"], ["127.0.0.1", "70000"], ["a", "1", "2"]]
)
def test_module_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert demo_main(args) == 2
    assert "usage" in capsys.readouterr().err


def test_module_prints_port_then_listening_line() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, "-m", "loadtui.demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        port = int(proc.stdout.readline())
        assert proc.stderr.readline().strip() == f"demo target listening on http://127.0.0.1:{port}"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
