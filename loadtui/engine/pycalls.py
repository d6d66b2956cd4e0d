"""Python tasks: `call = "module:function"`, given an httpx client on the engine's pool.

Every request the function makes is timed and recorded under the task's name, or under
the name of the `loadtui.tasks.step` it is made in (`extensions={"name": ...}` on one
request wins over both), exactly like a declarative request (one still in flight when
the run cuts it off counts as "unfinished"); an exception that escapes a step counts
under that step. Names made at run time get rows of their own up to a limit per run
(metrics/rows.py: an id in a step name must not grow memory without bound). The first
request of an open-model arrival is timed from the arrival's intended start.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from pathlib import Path
from time import perf_counter
from types import CodeType, ModuleType
from typing import Any

import httpx

from loadtui.engine.calls import UNFINISHED, UserState, failure_latency, httpx_error_kind
from loadtui.engine.uservars import MissingVariable
from loadtui.metrics.recorder import Recorder
from loadtui.scenario.model import PythonTask, Scenario
from loadtui.scenario.pytask import module_file
from loadtui.stop_signals import StopRequested
from loadtui.tasks import MAX_NAME, current_step, failed_step

MESSAGE_CHARS = 80  # an error kind carries this much of the exception's message
MAX_KINDS = 20  # distinct `python: Type: message` kinds per task; more count by type

TaskFn = Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[Any]]


class _CallContext:
    __slots__ = ("intended", "name")

    def __init__(self, name: str, intended: float | None) -> None:
        self.name = name
        self.intended = intended


_current: ContextVar[_CallContext | None] = ContextVar("loadtui_call", default=None)
# Each task function's code, by task name: the watchdog names a task that blocks the
# loop from the blocked thread's stack (engine/watchdog.py).
_TASK_CODES: dict[CodeType, str] = {}


def task_name_of(code: CodeType) -> str | None:
    """The Python task whose function has this code, if any."""
    return _TASK_CODES.get(code)


def load_function(task: PythonTask) -> TaskFn:
    """Import the task's module from the scenario's folder; it must be an async def."""
    module = import_task_module(task)
    fn: TaskFn | None = getattr(module, task.function, None)
    if fn is None or not inspect.iscoroutinefunction(fn):
        raise TypeError(f"{task.module}:{task.function} is not an async function")
    return fn


def import_task_module(task: PythonTask) -> ModuleType:
    """The task's module from the scenario's folder. A module of the same name imported
    earlier from elsewhere (another scenario run in this process, from the console's
    launch screen) is not reused: its functions are not this scenario's."""
    if task.search_path and task.search_path not in sys.path:
        sys.path.insert(0, task.search_path)
    cached = sys.modules.get(task.module)
    if cached is not None and task.search_path:
        wanted = module_file(task.search_path, task.module)
        file = getattr(cached, "__file__", None)
        if wanted is not None and (file is None or Path(file).resolve() != wanted.resolve()):
            for name in [
                n for n in sys.modules if n == task.module or n.startswith(task.module + ".")
            ]:
                del sys.modules[name]
            sys.path.remove(task.search_path)
            sys.path.insert(0, task.search_path)  # first, so this folder's module wins
            importlib.invalidate_caches()
    return importlib.import_module(task.module)


def python_task_problems(scenario: Scenario) -> list[str]:
    """Import every Python task (this runs user code, so only before a run): one line
    per module that fails to import, whatever it raises (SystemExit included), and one
    per task whose function is missing or not async. A stop signal still stops."""
    problems = []
    broken: set[str] = set()
    for cls in scenario.users:
        for task in (*cls.tasks, *cls.on_start):
            if not isinstance(task, PythonTask) or task.module in broken:
                continue
            try:
                import_task_module(task)
            except StopRequested:
                raise
            except BaseException as exc:  # user code at import: never a crash or an exit
                broken.add(task.module)
                problems.append(
                    f"Python task module {task.module!r} failed to import "
                    f"({_where(task)}): {describe(exc)}"
                )
                continue
            try:
                load_function(task)
            except Exception as exc:
                problems.append(f"user {cls.name!r}, task {task.name!r}: {exc}")
    return problems


def _where(task: PythonTask) -> str:
    found = module_file(task.search_path, task.module) if task.search_path else None
    return str(found) if found is not None else f"task {task.name!r}"


def describe(exc: BaseException, limit: int = MESSAGE_CHARS) -> str:
    """`Type: message` on one line (the message's first line, cut at `limit`)."""
    lines = str(exc).strip().splitlines()
    message = lines[0] if lines else ""
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


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
        given = request.extensions.get("name") or current_step()
        if given or ctx is None:  # a name made at run time: rows bounded (metrics/rows.py)
            rec = self.recorder.named(row_name(given or request.url.path), request.method)
        else:
            rec = self.recorder.endpoint(ctx.name, request.method)
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
        self._kinds: set[str] = set()
        code = getattr(fn, "__code__", None)
        if isinstance(code, CodeType):
            _TASK_CODES[code] = task.name

    async def run(self, user: UserState, started: float) -> float:
        token = _current.set(_CallContext(self.name, started))
        task = asyncio.current_task()
        try:
            await self.fn(self.client, user.vars)
        except httpx.HTTPError:
            pass  # already recorded by the transport under the request's name
        except asyncio.CancelledError as exc:
            if task is None or task.cancelling():
                raise  # the run cut it off: the transport counted its request unfinished
            self._failed(exc)  # raised by the user's code itself
        except GeneratorExit as exc:
            if task is None or _running_task() is not task:
                raise  # the coroutine is being closed from outside, not failing
            self._failed(exc)
        except BaseException as exc:  # user code, SystemExit included: a counted error
            self._failed(exc)
        finally:
            _current.reset(token)
        return 0.0

    def _failed(self, exc: BaseException) -> None:
        """Count the error as `python: Type: message` (a variable the user lacks as
        `missing variable: NAME`); past MAX_KINDS distinct messages a task's further ones
        count by type alone (kinds are kept per tick and shown)."""
        if isinstance(exc, MissingVariable):  # `vars[name]` had nothing: as a declarative step
            kind = f"missing variable: {str(exc.args[0])[:MESSAGE_CHARS]}"
        else:
            kind = f"python: {describe(exc)}"
        if kind not in self._kinds:
            if len(self._kinds) >= MAX_KINDS:
                kind = f"python: {type(exc).__name__}"
            else:
                self._kinds.add(kind)
        step = failed_step(exc)
        rec = self.recorder.named(step) if step else self.recorder.endpoint(self.name)
        rec.failure(kind)


def row_name(given: object) -> str:
    """A row's label from what a task gave (`extensions={"name": ...}` may hold any
    object, a path any length): text of at most MAX_NAME characters, like a step's."""
    name = str(given)
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def _running_task() -> asyncio.Task[Any] | None:
    """The task being stepped now (None when a coroutine is closed by the collector)."""
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop
        return None
