"""Runs an Engine on its own thread and event loop (uvloop when installed).

The caller's thread (the headless CLI, later the console) never shares the load loop:
commands cross over with call_soon_threadsafe, snapshots come back on a queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any

from loadtui.engine.runner import Engine, RunConfig
from loadtui.metrics.snapshot import Snapshot


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # platforms without uvloop run on the default loop
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class EngineHost:
    def __init__(self, config: RunConfig) -> None:
        self.snapshots: queue.Queue[Snapshot] = queue.Queue()
        self.engine = Engine(config, self.snapshots.put)
        self.final: Snapshot | None = None
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="loadtui-engine", daemon=True)

    def start(self) -> EngineHost:
        self._thread.start()
        self._ready.wait()
        return self

    def _main(self) -> None:
        loop = new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        loop.call_soon(self._ready.set)
        try:
            self.final = loop.run_until_complete(self.engine.run())
        except BaseException as exc:  # reported to the caller's thread, never lost
            self.error = exc
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._ready.set()

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run an engine method on the engine's loop (thread-safe, returns at once)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed between the check and the call
                loop.call_soon_threadsafe(fn, *args)

    def set_users(self, users: int, spawn_rate: float | None = None) -> None:
        self.call(self.engine.set_users, users, spawn_rate)

    def set_rate(self, rate: float) -> None:
        self.call(self.engine.set_rate, rate)

    def set_streams(self, streams: int, spawn_rate: float | None = None) -> None:
        self.call(self.engine.set_streams, streams, spawn_rate)

    def pause(self) -> None:
        self.call(self.engine.pause)

    def resume(self) -> None:
        self.call(self.engine.resume)

    def next_stage(self) -> None:
        self.call(self.engine.next_stage)

    def follow_profile(self) -> None:
        self.call(self.engine.follow_profile)

    def stop(self, grace: float | None = None, reason: str = "stopped by operator") -> None:
        self.call(self.engine.stop, grace, reason)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()
