"""How a controller reaches its workers: one interface, a transport per kind of worker.

`LocalLink` holds a worker on the controller's own loop (a run on one process);
`engine/fleet.py` adds worker processes and Ray actors behind the same interface. A link
that fails to answer is lost: `alive` turns False and `lost` says why; the controller
moves its share to the others.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from loadtui.engine.commands import WorkerCommand
from loadtui.engine.worker import Worker
from loadtui.metrics.delta import WorkerDelta


class WorkerLink(Protocol):
    index: int
    alive: bool
    lost: str | None  # why it was lost

    async def start(self) -> None:
        """Have the worker running (the controller starts all of them before t = 0)."""

    def send(self, command: WorkerCommand) -> None:
        """Fire and forget; a lost link ignores it."""

    async def delta(self) -> WorkerDelta | None:
        """The worker's delta for this tick; None once the link is lost."""

    async def finish(self, timeout: float) -> WorkerDelta | None:
        """After a Finish: wait (up to `timeout`) for the worker to drain; its last delta."""

    async def close(self) -> None:
        """Release the worker (ends its process, if it has one)."""


class LocalLink:
    """A worker on the controller's own event loop: calls, no transport."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.index = worker.index
        self.alive = True
        self.lost: str | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.worker.warm_up()  # the profile's warmup connections, before t = 0
        self._task = asyncio.get_running_loop().create_task(self.worker.run())

    def send(self, command: WorkerCommand) -> None:
        self.worker.apply(command)

    async def delta(self) -> WorkerDelta | None:
        return self.worker.delta()

    async def finish(self, timeout: float) -> WorkerDelta | None:
        if self._task is not None:
            # The worker's own drain is bounded by its grace; an error in it is the run's.
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        return self.worker.final

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
