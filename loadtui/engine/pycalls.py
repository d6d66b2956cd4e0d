"""Python tasks: `call = "module:function"`, given an httpx client on the engine's pool.

Every request the function makes is timed and recorded under the task's name (or the
name given with `extensions={"name": ...}`), exactly like a declarative request (one
still in flight when the run cuts it off counts as "unfinished"). The first request of an
open-model arrival is timed from the arrival's intended start.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from time import perf_counter
from typing import Any

import httpx

from loadtui.engine.calls import UNFINISHED, UserState, failure_latency, httpx_error_kind
from loadtui.metrics.recorder import Recorder
from loadtui.scenario.model import PythonTask, Scenario

TaskFn = Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[Any]]


class _CallContext:
    __slots__ = ("intended", "name")

    def __init__(self, name: str, intended: float | None) -> None:
        self.name = name
        self.intended = intended


_current: ContextVar[_CallContext | None] = ContextVar("loadtui_call", default=None)


def load_function(task: PythonTask) -> TaskFn:
    """Import the task's module from the scenario's folder; it must be an async def."""
    if task.search_path and task.search_path not in sys.path:
        sys.path.insert(0, task.search_path)
    module = importlib.import_module(task.module)
    fn = getattr(module, task.function, None)
    if fn is None or not inspect.iscoroutinefunction(fn):
        raise TypeError(f"{task.module}:{task.function} is not an async function")
    return fn


def python_task_problems(scenario: Scenario) -> list[str]:
    """Import every Python task (this runs user code, so only before a run): one line
    per task that cannot be loaded."""
    problems = []
    for cls in scenario.users:
        for task in (*cls.tasks, *cls.on_start):
            if isinstance(task, PythonTask):
                try:
                    load_function(task)
                except Exception as exc:  # any import-time failure of user code
                    problems.append(
                        f"user {cls.name!r}, task {task.name!r}: cannot load "
                        f"{task.module}:{task.function}: {type(exc).__name__}: {exc}"
                    )
    return problems


class TimedTransport(httpx.AsyncBaseTransport):
    """Wraps the pool transport: records each request under the running task's name."""

    def __init__(self, inner: httpx.AsyncBaseTransport, recorder: Recorder) -> None:
        self.inner = inner
        self.recorder = recorder

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        ctx = _current.get()
        started = perf_counter()
        if ctx is not None and ctx.intended is not None:
            started, ctx.intended = min(started, ctx.intended), None
        name = str(request.extensions.get("name") or (ctx.name if ctx else request.url.path))
        rec = self.recorder.endpoint(name, request.method)
        sent = len(request.content) if request.content else 0
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
        except httpx.HTTPError as exc:
            kind = httpx_error_kind(exc)
            rec.failure(kind, failure_latency(kind, started), None, 0, sent)
            raise
        except asyncio.CancelledError:  # cut off at stop: waited this long, at least
            rec.failure(UNFINISHED, int((perf_counter() - started) * 1e6), None, 0, sent)
            raise
        us = int((perf_counter() - started) * 1e6)
        status = response.status_code
        if status == 429 or (status == 503 and "retry-after" in response.headers):
            try:
                wait: float | None = float(response.headers.get("retry-after", ""))
            except ValueError:
                wait = None
            rec.rate_limited(status, wait, us)
        elif status >= 400:
            rec.failure(f"HTTP {status}", us, status, len(response.content), sent)
        else:
            rec.success(us, status, len(response.content), sent)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class PyCall:
    """Runs a Python task's function with the shared client and the user's variables."""

    def __init__(
        self, task: PythonTask, fn: TaskFn, client: httpx.AsyncClient, recorder: Recorder
    ) -> None:
        self.name = task.name
        self.fn = fn
        self.client = client
        self.recorder = recorder

    async def run(self, user: UserState, started: float) -> float:
        token = _current.set(_CallContext(self.name, started))
        try:
            await self.fn(self.client, user.vars)
        except httpx.HTTPError:
            pass  # already recorded by the transport under the request's name
        except Exception as exc:  # a user's code failing is a counted error, never a crash
            self.recorder.endpoint(self.name).failure(f"python: {type(exc).__name__}")
        finally:
            _current.reset(token)
        return 0.0
