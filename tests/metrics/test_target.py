"""Finding a local target's process from its listening port."""

from __future__ import annotations

import socket

from loadtui.demo.runner import start_subprocess, stop_subprocess
from loadtui.metrics.target import is_local, listening_pid, pid_exists


def test_listening_pid_finds_the_demo_target_process() -> None:
    proc, port = start_subprocess("127.0.0.1", 0)
    try:
        assert listening_pid(f"http://127.0.0.1:{port}/api") == proc.pid
        assert pid_exists(proc.pid)
    finally:
        stop_subprocess(proc)


def test_nothing_listening_or_not_local() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert listening_pid(f"http://127.0.0.1:{port}") is None
    assert listening_pid("http://target.invalid:80") is None  # not local: never looked up
    assert is_local("localhost") and is_local("[::1]") and not is_local("example.invalid")
    assert not pid_exists(-1)
