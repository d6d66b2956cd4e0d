"""Ways to run the demo target: a coroutine, a background thread, a blocking call, a child.

Binds loopback unless told otherwise. The child-process form exists so benchmarks and
the freeze (SIGSTOP) test can treat the target as a separate process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from loadtui.demo.protocol import Connection, HttpProtocol
from loadtui.demo.routes import DemoApp

DEFAULT_HOST = "127.0.0.1"
WATCH_STDIN_ENV = "LOADTUI_DEMO_WATCH_STDIN"  # child exits when its parent's pipe closes
SHUTDOWN_GRACE_S = 0.2


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (the target should never be the bottleneck), else asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def url_for(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def serve(host: str, port: int, *, ready: Callable[[int], None] | None = None) -> None:
    """Serve until cancelled; ``ready`` gets the bound port once the socket listens."""
    loop = asyncio.get_running_loop()
    app = DemoApp()
    conns: set[Connection] = set()
    server = await loop.create_server(
        lambda: HttpProtocol(app, conns), host, port, reuse_address=True, backlog=2048
    )
    try:
        if ready is not None:
            ready(server.sockets[0].getsockname()[1])
        await asyncio.Future()
    finally:
        server.close()
        for conn in list(conns):
            conn.shutdown()
        deadline = loop.time() + SHUTDOWN_GRACE_S
        while conns and loop.time() < deadline:
            await asyncio.sleep(0.01)
        for conn in list(conns):
            conn.abort()
        await asyncio.sleep(0)  # let connection_lost run for the aborted ones
        await server.wait_closed()


class DemoTarget:
    """The demo target on its own event loop in a background thread (tests, the console)."""

    def __init__(self, host: str = DEFAULT_HOST, port: int = 0) -> None:
        self.host = host
        self.port = port
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return url_for(self.host, self.port)

    def start(self, timeout: float = 10.0) -> DemoTarget:
        """Start serving; returns once the socket listens (``port`` is then the real one)."""
        if self._thread is not None:
            raise RuntimeError("DemoTarget already started")
        self._thread = threading.Thread(target=self._run, name="loadtui-demo", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise RuntimeError("demo target did not start in time")
        if self._error is not None:
            raise RuntimeError(f"demo target failed to start: {self._error}") from self._error
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close every connection and the listening socket; idempotent."""
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(task.cancel)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> DemoTarget:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _on_ready(self, port: int) -> None:
        self.port = port
        self._ready.set()

    def _run(self) -> None:
        loop = new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._task = loop.create_task(serve(self.host, self.port, ready=self._on_ready))
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


def _run_main(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(main())


def run_forever(host: str = DEFAULT_HOST, port: int = 0, *, announce_port: bool = False) -> None:
    """Serve in the foreground until SIGINT/SIGTERM (``loadtui demo-target``).

    ``announce_port`` also prints the bound port alone on stdout's first line, which is
    how :func:`start_subprocess` learns it.
    """

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, task.cancel)
        if os.environ.get(WATCH_STDIN_ENV) == "1":
            _watch_stdin(loop, task)

        def ready(bound: int) -> None:
            if announce_port:
                print(bound, flush=True)
            print(f"demo target listening on {url_for(host, bound)}", file=sys.stderr, flush=True)

        with contextlib.suppress(asyncio.CancelledError):
            await serve(host, port, ready=ready)

    _run_main(main)


def _watch_stdin(loop: asyncio.AbstractEventLoop, task: asyncio.Task[None]) -> None:
    """Stop when stdin reaches EOF: the parent that holds the pipe has gone away."""
    fd = sys.stdin.fileno()

    def on_readable() -> None:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            task.cancel()

    loop.add_reader(fd, on_readable)


def start_subprocess(
    host: str = DEFAULT_HOST,
    port: int = 0,
    *,
    timeout: float = 15.0,
    stderr: int | IO[Any] | None = subprocess.DEVNULL,
) -> tuple[subprocess.Popen[bytes], int]:
    """Run ``python -m loadtui.demo HOST PORT`` as a child; return it and its bound port.

    The child also exits when this process dies (it watches its stdin pipe). Use the
    Popen as a context manager, or close its pipes, when done.
    """
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env[WATCH_STDIN_ENV] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadtui.demo", host, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=env,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        readable, _, _ = select.select([proc.stdout], [], [], max(0.0, remaining))
        if not readable:
            break
        chunk = os.read(proc.stdout.fileno(), 64)
        if not chunk:
            break
        line += chunk
    if not line.strip().isdigit():
        proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
        raise RuntimeError(
            f"demo target child did not report its port (exit code {proc.returncode})"
        )
    return proc, int(line)


def stop_subprocess(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """Terminate a child from start_subprocess, kill it if it lingers, close its pipes."""
    with proc:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
