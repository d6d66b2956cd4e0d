"""Runs a run's Controller in a child process, for the console.

Rendering a terminal UI costs CPU under the GIL; in a child process it can never delay
the load loop. Typed commands (commands.py) go down a pipe, snapshots come back up it,
and the parent sees the same surface as `EngineHost` (a `snapshots` queue, `send`,
`final`, `saturation`).
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
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from loadtui.engine.commands import Command, Stop
from loadtui.engine.config import RunConfig
from loadtui.engine.controller import Controller
from loadtui.engine.host import run_length
from loadtui.engine.loops import new_event_loop
from loadtui.engine.pycalls import describe
from loadtui.engine.watchdog import RunClock, Watchdog, where_blocked
from loadtui.metrics.snapshot import Snapshot

EXIT_OVERDUE = 3
ORPHAN_EXTRA_S = 2.0  # an overrunning child left alone ends itself this much later

def _child_main(config: RunConfig, conn: Connection) -> None:
    """Child process: the engine on this process's only loop; the pipe is read by the
    same loop (add_reader), so no second thread competes with it for the GIL. Only the
    watchdog's thread wakes, four times a second, to tell the console what blocks a
    loop that stopped ticking."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the console
    _quiet_stdio()  # the console owns the terminal: nothing may be printed over it
    lock = threading.Lock()  # the loop and the watchdog's thread both send

    def send(message: tuple[Any, ...]) -> None:
        with lock:
            _send(conn, message)

    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    engine: Controller | None = None
    error = None
    ended = threading.Event()
    try:
        clock = RunClock(config.grace_s, run_length(config))

        def on_snapshot(snap: Snapshot) -> None:
            clock.ticked(snap)
            send(("snap", snap))

        engine = Controller(config, on_snapshot)
        _watch_from_child(clock, send, ended)
        _handle_commands(loop, conn, engine)
        loop.run_until_complete(engine.run())
    except BaseException as exc:  # user code included: reported to the console, never lost
        error = f"engine failed: {describe(exc)}"
    finally:
        ended.set()
        loop.close()
    final = engine.final if engine is not None else None
    saturation = engine.saturation_periods() if engine is not None else []
    send(("final", final, saturation, error))
    conn.close()


def _handle_commands(
    loop: asyncio.AbstractEventLoop, conn: Connection, engine: Controller
) -> None:
    """Commands from the console, read on the loop; SIGTERM or SIGHUP sent to this
    process (a terminal hanging up signals the whole group) stop the run gracefully."""

    def on_command() -> None:
        try:
            while conn.poll():
                engine.apply(conn.recv())
        except (EOFError, OSError):  # the console is gone: stop now
            loop.remove_reader(conn.fileno())
            engine.stop(grace=0.0, reason="console went away")

    loop.add_reader(conn.fileno(), on_command)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        reason = f"{sig.name}: stopping gracefully"
        loop.add_signal_handler(sig, engine.stop, None, reason)


def _watch_from_child(
    clock: RunClock, send: Callable[[tuple[Any, ...]], None], ended: threading.Event
) -> None:
    """Tell the console what holds this loop once it stops ticking; the console kills
    this process when the run overruns (EngineProcess). Should the console be gone,
    the process ends itself a little after that moment."""
    loop_thread = threading.get_ident()

    def stalled() -> bool:
        held = where_blocked(loop_thread, _child_main.__code__)
        if held is None:  # merely idle: no ticks while the run drains
            return False
        send(("stalled", held))
        return True

    def overdue() -> None:
        time.sleep(ORPHAN_EXTRA_S)  # the console kills first when it is there
        os._exit(EXIT_OVERDUE)

    Watchdog(clock, ended.is_set, overdue, on_stall=stalled).start()


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    with contextlib.suppress(OSError, ValueError):
        conn.send(message)


def _quiet_stdio() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


class EngineProcess:
    """The console's handle on an engine running in a child process. A watchdog thread
    kills the child when the run overruns its end (the run's grace plus OVERDUE_S, as
    headless), e.g. a Python task blocking its loop; `error` then says what blocked."""

    def __init__(self, config: RunConfig) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._child_conn = child
        self._proc = ctx.Process(
            target=_child_main,
            args=(config, child),
            name="loadtui-engine",
            # A daemon may not start processes of its own: a fleet's controller ends with
            # its pipe instead (and is killed when the console gives up on it).
            daemon=config.workers <= 1 and config.ray is None,
        )
        self.snapshots: queue.Queue[Snapshot] = queue.Queue()
        self.final: Snapshot | None = None
        self.saturation: list[tuple[float, float]] = []
        self.error: str | None = None
        self.clock = RunClock(config.grace_s, run_length(config))
        self._stalled: str | None = None  # what the child said holds its loop
        self._done = threading.Event()
        self._send_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="loadtui-engine-pipe", daemon=True)
        self._watchdog = Watchdog(self.clock, self._done.is_set, self._overdue)

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
        self._watchdog.start()
        return self

    def _read(self) -> None:
        try:
            while True:
                kind, *payload = self._conn.recv()
                if kind == "snap":
                    self.clock.ticked(payload[0])
                    self._stalled = None
                    self.snapshots.put(payload[0])
                elif kind == "stalled":
                    self._stalled = f"{payload[0]} held its event loop"
                elif kind == "final":
                    self.final, self.saturation, self.error = payload
                    break
        except (EOFError, OSError):
            if self.final is None and self.error is None:
                self.error = "the engine process ended unexpectedly"
        finally:
            self._conn.close()
            self._done.set()

    def _overdue(self) -> None:
        """The watchdog's verdict: the run should be over and the child is still busy."""
        held = self._stalled or "its event loop stopped ticking"
        silent = self.clock.silent_for()
        self.error = (
            f"engine killed, the run overran its end: {held} (no tick for {silent:.0f} s);"
            " figures are from its last snapshot"
        )
        self.kill()

    def send(self, command: Command) -> None:
        """Hand a command to the child's controller (returns at once)."""
        if isinstance(command, Stop):
            self.clock.stopping(command.grace)
        with self._send_lock, contextlib.suppress(OSError, ValueError):
            self._conn.send(command)

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
