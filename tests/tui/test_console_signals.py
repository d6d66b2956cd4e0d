"""The console and stop signals, as an operator's terminal sees it: `loadtui` on the demo
runs in a pseudo-terminal; SIGTERM or SIGHUP stop the run gracefully, the session gets
its summary, the terminal leaves the alternate screen with mouse reporting off, and no
process the console started (engine child, demo target) outlives it. On the launch
screen, with no run yet, the console just leaves, restoring the terminal."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import signal
import struct
import sys
import termios
import threading
import time
from pathlib import Path

import psutil
import pytest

ALT_SCREEN_ON, ALT_SCREEN_OFF = b"\x1b[?1049h", b"\x1b[?1049l"
MOUSE_ON, MOUSE_OFF = b"\x1b[?1000h", b"\x1b[?1000l"


class Console:
    """`python -m loadtui ARGS` on a 120x40 pseudo-terminal; everything it draws is
    read (and kept) by a thread, so it never blocks on a full terminal."""

    def __init__(self, *args: str, cwd: Path) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: become the console
            os.chdir(cwd)
            os.environ.update(TERM="xterm-256color", PYTHONWARNINGS="ignore")
            os.execv(sys.executable, [sys.executable, "-m", "loadtui", *args])
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.pid, self.fd = pid, fd
        self.output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with contextlib.suppress(OSError):  # EIO once the console is gone
            while chunk := os.read(self.fd, 65536):
                self.output += chunk

    def wait(self, timeout: float) -> int:
        """The exit code (a signal's death counts as -signal); fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self._reader.join(5)
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            assert time.monotonic() < deadline, "the console did not exit"
            time.sleep(0.05)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)


def wait_until(
    check: object, what: str, timeout: float = 60.0, console: Console | None = None
) -> None:
    """Poll `check`; the timeout is a hang guard sized for a loaded 2-core machine, where
    the console, its demo target and the engine child all start from cold. A failure
    shows what the console last drew."""
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        shown = bytes(console.output[-1500:]) if console is not None else b""
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {shown!r}"
        time.sleep(0.05)


def alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    return [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stop_signal_ends_the_console_gracefully(tmp_path: Path, sig: signal.Signals) -> None:
    session = tmp_path / "s.json"
    console = Console("--session", str(session), cwd=tmp_path)
    try:
        wait_until(
            lambda: session.exists() and session.read_text().count('"type":"tick"') >= 2,
            "the run to tick",
            console=console,
        )
        started = psutil.Process(console.pid).children(recursive=True)
        assert len(started) >= 2  # the demo target and the engine child, at least
        os.kill(console.pid, sig)
        code = console.wait(timeout=30)
    finally:
        console.kill()
    out = bytes(console.output)
    assert code == 3, out[-2000:]
    assert f"loadtui: aborted by {sig.name}".encode() in out
    assert b"Traceback" not in out
    # Textual restored the terminal on its way out, before the summary was printed.
    assert out.rfind(ALT_SCREEN_OFF) > out.rfind(ALT_SCREEN_ON) >= 0
    assert out.rfind(MOUSE_OFF) > out.rfind(MOUSE_ON) >= 0
    assert f"session saved to {session}".encode() in out
    records = [json.loads(line) for line in session.read_text().splitlines()]
    assert records[-1]["type"] == "summary"
    events = [r["message"] for r in records if r.get("type") == "event"]
    assert f"{sig.name}: stopping gracefully" in events
    wait_until(lambda: not alive(started), "the console's children to end", timeout=30)


def test_a_stop_signal_on_the_launch_screen_restores_the_terminal(tmp_path: Path) -> None:
    (tmp_path / "waiting.toml").write_text(
        'name = "waiting"\n[targets.t]\nurl = "http://127.0.0.1:9"\n'
        '[[users]]\nname = "u"\n[[users.tasks]]\nname = "t"\npath = "/"\n'
    )
    console = Console("waiting.toml", cwd=tmp_path)
    try:
        wait_until(lambda: b"waiting" in console.output, "the launch screen", console=console)
        os.kill(console.pid, signal.SIGTERM)
        code = console.wait(timeout=30)
    finally:
        console.kill()
    out = bytes(console.output)
    assert code == 3, out[-2000:]
    assert out.rfind(ALT_SCREEN_OFF) > out.rfind(ALT_SCREEN_ON) >= 0
    assert out.rstrip().endswith(b"loadtui: aborted by SIGTERM")
