"""Runs an Engine in a child process, for the console.

Rendering a terminal UI costs CPU under the GIL; in a child process it can never delay
the load loop. Commands go down a pipe, snapshots come back up it, and the parent sees
the same surface as `EngineHost` (a `snapshots` queue, the command methods, `final`).
The same boundary is where remote workers would plug in later.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any

from loadtui.engine.host import new_event_loop
from loadtui.engine.runner import Engine, RunConfig
from loadtui.metrics.snapshot import Snapshot

COMMANDS = frozenset(
    {
        "set_users",
        "set_rate",
        "set_streams",
        "pause",
        "resume",
        "next_stage",
        "follow_profile",
        "stop",
    }
)


def _child_main(config: RunConfig, conn: Connection) -> None:
    """Child process: the engine on this process's only loop; the pipe is read by the
    same loop (add_reader), so no second thread competes with it for the GIL."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the console
    _quiet_stdio()  # the console owns the terminal: nothing may be printed over it
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    engine = Engine(config, lambda snap: _send(conn, ("snap", snap)))

    def on_command() -> None:
        try:
            while conn.poll():
                name, *args = conn.recv()
                if name in COMMANDS:
                    getattr(engine, name)(*args)
        except (EOFError, OSError):  # the console is gone: stop now
            loop.remove_reader(conn.fileno())
            engine.stop(grace=0.0, reason="console went away")

    loop.add_reader(conn.fileno(), on_command)
    error = None
    try:
        loop.run_until_complete(engine.run())
    except BaseException as exc:  # reported to the console, never lost
        error = f"{type(exc).__name__}: {exc}"
    finally:
        loop.close()
    _send(conn, ("final", engine.final, engine.saturation_periods(), error))
    conn.close()


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    with contextlib.suppress(OSError, ValueError):
        conn.send(message)


def _quiet_stdio() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


class EngineProcess:
    """The console's handle on an engine running in a child process."""

    def __init__(self, config: RunConfig) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._child_conn = child
        self._proc = ctx.Process(
            target=_child_main, args=(config, child), name="loadtui-engine", daemon=True
        )
        self.snapshots: queue.Queue[Snapshot] = queue.Queue()
        self.final: Snapshot | None = None
        self.saturation: list[tuple[float, float]] = []
        self.error: str | None = None
        self._done = threading.Event()
        self._send_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="loadtui-engine-pipe", daemon=True)

    @property
    def pid(self) -> int | None:
        return self._proc.pid

    def start(self) -> EngineProcess:
        # A TUI replaces sys.stderr with an object without a real file descriptor;
        # multiprocessing passes stderr's fd to its helper processes, so hand it the
        # process's own stderr while starting.
        with contextlib.redirect_stderr(sys.__stderr__):
            self._proc.start()
        self._child_conn.close()
        self._reader.start()
        return self

    def _read(self) -> None:
        try:
            while True:
                kind, *payload = self._conn.recv()
                if kind == "snap":
                    self.snapshots.put(payload[0])
                elif kind == "final":
                    self.final, self.saturation, self.error = payload
                    break
        except (EOFError, OSError):
            if self.final is None and self.error is None:
                self.error = "the engine process ended unexpectedly"
        finally:
            self._conn.close()
            self._done.set()

    def _send(self, *command: Any) -> None:
        with self._send_lock, contextlib.suppress(OSError, ValueError):
            self._conn.send(command)

    def set_users(self, users: int, spawn_rate: float | None = None) -> None:
        self._send("set_users", users, spawn_rate)

    def set_rate(self, rate: float) -> None:
        self._send("set_rate", rate)

    def set_streams(self, streams: int, spawn_rate: float | None = None) -> None:
        self._send("set_streams", streams, spawn_rate)

    def pause(self) -> None:
        self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    def next_stage(self) -> None:
        self._send("next_stage")

    def follow_profile(self) -> None:
        self._send("follow_profile")

    def stop(self, grace: float | None = None, reason: str = "stopped by operator") -> None:
        self._send("stop", grace, reason)

    def alive(self) -> bool:
        return self._proc.pid is not None and not self._done.is_set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the final snapshot (and the child's exit); True when both came."""
        self._done.wait(timeout)
        if self._done.is_set():
            self._proc.join(timeout=5)
        return self._done.is_set() and not self._proc.is_alive()

    def kill(self) -> None:
        if self._proc.pid is None:  # never started
            return
        if self._proc.is_alive():
            self._proc.kill()
        self._proc.join(timeout=5)
