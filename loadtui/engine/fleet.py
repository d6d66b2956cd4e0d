"""Worker processes on this machine: `--workers N`.

Each worker process runs one `Worker` on its own event loop (uvloop) and answers its
controller over a pipe: commands come down, one delta per tick goes up. The controller
reads the pipes on its own loop (`add_reader`, no thread), so a tick asks every worker
at once and waits for the slowest, within a deadline; a worker that dies, or stays
silent past the deadline, is lost (links.py). Processes are started with `spawn`, the
one start method that is safe beside threads and the same on every platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import signal
import sys
from collections import deque
from multiprocessing.connection import Connection
from typing import Any

from loadtui.engine.commands import Finish, WorkerCommand
from loadtui.engine.config import RunConfig
from loadtui.engine.links import LocalLink, WorkerLink
from loadtui.engine.loops import new_event_loop
from loadtui.engine.pycalls import describe
from loadtui.engine.worker import Worker
from loadtui.metrics.delta import WorkerDelta

START_TIMEOUT_S = 60.0  # importing and building a worker; a busy machine is slow
DELTA_TIMEOUT_S = 10.0  # a worker silent this long at a tick is lost


def usable_cores() -> int:
    """The cores this process may run on (its affinity), for `--workers auto`."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # platforms without affinity
        return max(1, os.cpu_count() or 1)


# ---- the worker process ---------------------------------------------------------------


def _worker_main(config: RunConfig, index: int, count: int, conn: Connection) -> None:
    """A worker process: build the worker, say ready, serve the pipe until finished."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the controller
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        worker = Worker(config, index, count)
    except BaseException as exc:
        _say(conn, ("failed", f"worker {index} could not start: {describe(exc)}"))
        return
    done = loop.create_future()

    def on_message() -> None:
        try:
            while conn.poll():
                message = conn.recv()
                if message == "delta":
                    _say(conn, ("delta", worker.delta()))
                else:
                    worker.apply(message)
        except (EOFError, OSError):  # the controller is gone: stop at once
            loop.remove_reader(conn.fileno())
            worker.apply(Finish(0.0))
            if not done.done():
                done.set_result(None)

    async def main() -> None:
        loop.add_reader(conn.fileno(), on_message)
        await worker.warm_up()  # the profile's warmup connections, before t = 0
        running = loop.create_task(worker.run())
        _say(conn, ("ready", os.getpid()))
        await running
        loop.remove_reader(conn.fileno())
        _say(conn, ("final", worker.final))

    try:
        loop.run_until_complete(main())
    except BaseException as exc:  # user code included: reported, never lost
        _say(conn, ("failed", f"worker {index} failed: {describe(exc)}"))
    finally:
        loop.close()
        conn.close()


def _say(conn: Connection, message: tuple[Any, ...]) -> None:
    with contextlib.suppress(OSError, ValueError):
        conn.send(message)


# ---- the controller's side ------------------------------------------------------------


class ProcessLink:
    """The controller's handle on one worker process."""

    def __init__(self, config: RunConfig, index: int, count: int) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._child = child
        self._proc = ctx.Process(
            target=_worker_main,
            args=(config, index, count, child),
            name=f"loadtui-worker-{index}",
            daemon=True,
        )
        self.index = index
        self.alive = True
        self.lost: str | None = None
        self.pid: int | None = None
        self._waiting: dict[str, deque[asyncio.Future[Any]]] = {
            "ready": deque(),
            "delta": deque(),
            "final": deque(),
        }
        self._final: WorkerDelta | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        # A TUI swaps sys.stderr for an object without a file descriptor; the spawned
        # process is handed this process's own.
        with contextlib.redirect_stderr(sys.__stderr__):
            self._proc.start()
        self._child.close()
        loop.add_reader(self._conn.fileno(), self._on_message)
        ready = self._expect("ready")
        try:
            self.pid = await asyncio.wait_for(ready, START_TIMEOUT_S)
        except TimeoutError:
            self._gone(f"worker {self.index} did not start within {START_TIMEOUT_S:g} s")
        if not self.alive:
            raise RuntimeError(self.lost)

    def _expect(self, kind: str) -> asyncio.Future[Any]:
        assert self._loop is not None
        future: asyncio.Future[Any] = self._loop.create_future()
        if not self.alive:
            future.set_result(None)
        else:
            self._waiting[kind].append(future)
        return future

    def _on_message(self) -> None:
        try:
            while self._conn.poll():
                kind, payload = self._conn.recv()
                if kind == "failed":
                    self._gone(payload)
                    return
                if kind == "final":
                    self._final = payload
                queue = self._waiting.get(kind)
                if queue:
                    future = queue.popleft()
                    if not future.done():
                        future.set_result(payload)
        except (EOFError, OSError):
            code = self._proc.exitcode
            self._gone(f"worker process ended (exit code {code})" if code else "worker gone")

    def _gone(self, why: str) -> None:
        """The process is gone or useless: every waiter gets None."""
        if self.lost is None:
            self.lost = why
        self.alive = False
        if self._loop is not None:
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(self._conn.fileno())
        for queue in self._waiting.values():
            while queue:
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)

    def send(self, command: WorkerCommand) -> None:
        if self.alive:
            with contextlib.suppress(OSError, ValueError):
                self._conn.send(command)

    async def delta(self) -> WorkerDelta | None:
        if not self.alive:
            return None
        answer = self._expect("delta")
        with contextlib.suppress(OSError, ValueError):
            self._conn.send("delta")
        try:
            delta: WorkerDelta | None = await asyncio.wait_for(answer, DELTA_TIMEOUT_S)
        except TimeoutError:
            self._gone(f"no answer within {DELTA_TIMEOUT_S:g} s")
            return None
        return delta

    async def finish(self, timeout: float) -> WorkerDelta | None:
        if self._final is None and self.alive:
            final = self._expect("final")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(final, timeout)
        return self._final

    async def close(self) -> None:
        self._gone(self.lost or "closed")
        self._conn.close()
        if self._proc.pid is None:
            return
        await asyncio.get_running_loop().run_in_executor(None, self._reap)

    def _reap(self) -> None:
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(timeout=5)

    def kill(self) -> None:
        """End the worker process now (tests use it to lose a worker)."""
        if self._proc.is_alive():
            self._proc.kill()


def links_for(config: RunConfig) -> list[WorkerLink]:
    """The workers a run asks for: one on the controller's loop, worker processes, or
    Ray actors."""
    if config.ray is not None:
        from loadtui.engine.raylink import ray_links

        return list(ray_links(config))
    if config.workers <= 1:
        return [LocalLink(Worker(config))]
    return [ProcessLink(config, i, config.workers) for i in range(config.workers)]
