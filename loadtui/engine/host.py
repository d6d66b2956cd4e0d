"""Runs a run's Controller on its own thread and event loop (uvloop when installed).

The caller's thread (the headless CLI) never shares the load loop: typed commands
(commands.py) cross over with call_soon_threadsafe, snapshots come back on a queue. A
watchdog thread gives up on a loop that user code holds past the run's end (see
engine/watchdog.py): `stuck` then says what held it, and the host reports itself done.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading

from loadtui.engine.commands import Command, Stop
from loadtui.engine.config import RunConfig
from loadtui.engine.controller import Controller
from loadtui.engine.links import WorkerLink
from loadtui.engine.loops import new_event_loop
from loadtui.engine.watchdog import RunClock, Watchdog, where_blocked
from loadtui.metrics.snapshot import Snapshot


def run_length(config: RunConfig) -> float | None:
    """How long the run lasts by itself (None: until stopped)."""
    if config.duration is not None:
        return config.duration
    return config.profile.duration or None


class EngineHost:
    def __init__(self, config: RunConfig, links: list[WorkerLink] | None = None) -> None:
        self.snapshots: queue.Queue[Snapshot] = queue.Queue()
        self.clock = RunClock(config.grace_s, run_length(config))
        self.controller = Controller(config, self._on_snapshot, links)
        self.final: Snapshot | None = None
        # When the generator was saturated (seconds since the start): read once done.
        self.saturation: list[tuple[float, float]] = []
        self.error: BaseException | None = None
        # Set by the watchdog when the run overran its end: what held the loop.
        self.stuck: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="loadtui-engine", daemon=True)
        self._watchdog = Watchdog(self.clock, lambda: not self._thread.is_alive(), self._give_up)

    def start(self) -> EngineHost:
        self._thread.start()
        self._ready.wait()
        self._watchdog.start()
        return self

    def _on_snapshot(self, snap: Snapshot) -> None:  # on the engine's loop
        self.clock.ticked(snap)
        self.snapshots.put(snap)

    def _give_up(self) -> None:
        """The watchdog's verdict (on its thread): the run is over, the loop is not."""
        silent = self.clock.silent_for()
        held = where_blocked(self._thread.ident, EngineHost._main.__code__)
        if held is None:  # the loop turns, the run still does not end
            self.stuck = "the engine did not finish stopping"
        else:
            self.stuck = f"{held} has held the engine's event loop for {silent:.1f} s"

    def _main(self) -> None:
        loop = new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        loop.call_soon(self._ready.set)
        try:
            self.final = loop.run_until_complete(self.controller.run())
        except BaseException as exc:  # reported to the caller's thread, never lost
            self.error = exc
        finally:
            self.saturation = self.controller.saturation_periods()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._ready.set()

    def send(self, command: Command) -> None:
        """Hand a command to the controller's loop (thread-safe, returns at once)."""
        if isinstance(command, Stop):
            self.clock.stopping(command.grace)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed between the check and the call
                loop.call_soon_threadsafe(self.controller.apply, command)

    def alive(self) -> bool:
        """True while the run goes on (False once it ended, or was given up on)."""
        return self._thread.is_alive() and self.stuck is None

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()
