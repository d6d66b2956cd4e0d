"""Workers as Ray actors: `--ray ADDRESS` spreads one run over a Ray cluster.

Ray places the actors (one CPU each, spread over the nodes) and carries our calls; we
add no scheduler of our own. Each actor holds one `Worker` on its own event loop (an
async actor) and answers the same three things a worker process does: commands, one
delta per tick, its last delta after a Finish. The package and the scenario's folder
(its Python task modules) travel with the job as Ray's `runtime_env`, so the cluster's
nodes need only Ray and this package's dependencies. An actor or node that is lost
raises on its next call: the link is lost and its share moves to the others.

`ray` is an optional extra (`pip install 'loadtui[ray]'`); nothing here imports it until
a run asks for Ray.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from loadtui.engine.commands import WorkerCommand
from loadtui.engine.config import RunConfig
from loadtui.engine.worker import Worker
from loadtui.metrics.delta import WorkerDelta
from loadtui.scenario.model import PythonTask, Scenario, Task

INSTALL_HINT = "--ray needs Ray: pip install 'loadtui[ray]'"
START_TIMEOUT_S = 120.0  # placing actors may wait for a node to come up
DELTA_TIMEOUT_S = 10.0


class RayMissing(RuntimeError):
    """Ray is not installed: the one line says how to get it."""


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayMissing(INSTALL_HINT) from None
    return ray


def connect(address: str, scenario: Scenario | None = None) -> tuple[str, int]:
    """Join (or, for "local", start) a Ray cluster from this process; returns the
    address other processes of this run join it by, and the CPUs the cluster has."""
    ray = _ray()
    if not ray.is_initialized():
        if address == "local":  # this machine: the actors share this environment's files
            ray.init(include_dashboard=False, logging_level="WARNING", log_to_driver=False)
        else:
            _join(address, scenario)
    joined = ray.get_runtime_context().gcs_address if address == "local" else address
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return joined, max(1, cpus)


def _join(address: str, scenario: Scenario | None) -> None:
    """Join as a driver whose job carries the scenario's Python task modules, and this
    package too unless the cluster was started beside us (`auto`, a loopback address:
    its nodes run an image or environment that has it, as KubeRay's do)."""
    ray = _ray()
    beside = address == "auto" or _is_here(address)
    env = _runtime_env(scenario, package=not beside) or None
    ray.init(address=address, runtime_env=env, logging_level="WARNING", log_to_driver=False)


def _is_here(address: str) -> bool:
    host = address.removeprefix("ray://").rsplit(":", 1)[0]
    return host in ("127.0.0.1", "localhost", "::1", "[::1]")


def _python_folders(scenario: Scenario | None) -> set[str]:
    if scenario is None:
        return set()
    return {
        task.search_path
        for cls in scenario.users
        for task in (*cls.on_start, *cls.tasks)
        if isinstance(task, PythonTask)
    }


def _runtime_env(scenario: Scenario | None, *, package: bool) -> dict[str, Any]:
    """What travels with the job: this package (`package`), and the scenario's folder
    when it has Python tasks (their modules are imported from beside the file)."""
    import loadtui

    env: dict[str, Any] = {"py_modules": [str(Path(loadtui.__file__).parent)]} if package else {}
    folders = _python_folders(scenario)
    if folders:
        env["working_dir"] = sorted(folders)[0]
    return env


def _on_this_node(config: RunConfig) -> RunConfig:
    """Python tasks import from the scenario's folder; on a node where that path does
    not exist, the job's working directory (that folder, shipped by Ray) stands in."""
    if all(os.path.isdir(f) for f in _python_folders(config.scenario)):
        return config

    def moved(task: Task) -> Task:
        if isinstance(task, PythonTask) and not os.path.isdir(task.search_path):
            return replace(task, search_path=os.getcwd())
        return task

    users = tuple(
        replace(
            cls,
            on_start=tuple(moved(t) for t in cls.on_start),
            tasks=tuple(moved(t) for t in cls.tasks),
        )
        for cls in config.scenario.users
    )
    return replace(config, scenario=replace(config.scenario, users=users))


class WorkerActor:
    """The actor's body: one Worker on the actor's event loop (Ray runs async methods
    there)."""

    def __init__(self, config: RunConfig, index: int, count: int) -> None:
        self.worker = Worker(_on_this_node(config), index, count)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> bool:
        await self.worker.warm_up()  # the profile's warmup connections, before t = 0
        self.task = asyncio.get_running_loop().create_task(self.worker.run())
        return True

    async def apply(self, command: WorkerCommand) -> None:
        self.worker.apply(command)

    async def delta(self) -> WorkerDelta:
        return self.worker.delta()

    async def final(self) -> WorkerDelta | None:
        if self.task is not None:
            await self.task
        return self.worker.final


async def _call(ref: Any, timeout: float) -> Any:
    """Await a Ray object ref on whatever loop runs (uvloop included)."""
    return await asyncio.wait_for(asyncio.wrap_future(ref.future()), timeout)


class RayLink:
    """The controller's handle on one worker actor."""

    def __init__(self, actor: Any, index: int) -> None:
        self._actor = actor
        self.index = index
        self.alive = True
        self.lost: str | None = None

    def _gone(self, why: str) -> None:
        self.alive = False
        self.lost = self.lost or why

    async def start(self) -> None:
        try:
            await _call(self._actor.start.remote(), START_TIMEOUT_S)
        except Exception as exc:  # Ray's own errors: placement, a dead node, ...
            self._gone(f"worker {self.index} did not start on Ray: {exc}".splitlines()[0])
            raise RuntimeError(self.lost) from None

    def send(self, command: WorkerCommand) -> None:
        if self.alive:
            self._actor.apply.remote(command)  # ordered after earlier calls by Ray

    async def delta(self) -> WorkerDelta | None:
        if not self.alive:
            return None
        try:
            delta: WorkerDelta = await _call(self._actor.delta.remote(), DELTA_TIMEOUT_S)
        except TimeoutError:
            self._gone(f"no answer within {DELTA_TIMEOUT_S:g} s")
            return None
        except Exception as exc:  # RayActorError, node died, ...
            self._gone(f"Ray actor lost ({type(exc).__name__})")
            return None
        return delta

    async def finish(self, timeout: float) -> WorkerDelta | None:
        if not self.alive:
            return None
        try:
            final: WorkerDelta | None = await _call(self._actor.final.remote(), timeout)
        except Exception as exc:
            self._gone(f"Ray actor lost while stopping ({type(exc).__name__})")
            return None
        return final

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            _ray().kill(self._actor)


def ray_links(config: RunConfig) -> list[RayLink]:
    """`config.workers` actors of one CPU each, spread over the cluster's nodes."""
    ray = _ray()
    if config.ray is not None and not ray.is_initialized():  # the console's engine process
        _join(config.ray, config.scenario)
    actor = ray.remote(WorkerActor).options(
        num_cpus=1,
        scheduling_strategy="SPREAD",
        max_restarts=0,
        max_concurrency=1000,  # calls run on the actor's loop; a tick never waits on a call
    )
    count = config.workers
    return [RayLink(actor.remote(config, i, count), i) for i in range(count)]
