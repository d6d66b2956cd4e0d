"""Binding a scenario's user classes to a target: calls, weights, think times.

Built once per run on the engine's loop; the per-request path then only picks a call
and awaits it.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
import random
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import httpx

from loadtui.engine.auth import target_headers
from loadtui.engine.calls import Call, HttpCall, UserState
from loadtui.engine.h2calls import H2Call
from loadtui.engine.http.h2pool import H2Pool
from loadtui.engine.http.poolset import PoolSet
from loadtui.engine.http.transport import PoolTransport
from loadtui.engine.pycalls import PyCall, TimedTransport, load_function
from loadtui.engine.uservars import UserVars, Values
from loadtui.engine.websocket import StreamPlan
from loadtui.metrics.recorder import Recorder
from loadtui.scenario.model import HttpTask, PythonTask, Target, Task, UserClass, Wait
from loadtui.scenario.placeholders import data_tables
from loadtui.scenario.userinfo import split_userinfo


@dataclass
class ClassPlan:
    cls: UserClass
    calls: list[Call]
    cum_weights: list[float]
    on_start: list[Call]
    stream: StreamPlan | None = None
    on_stop: list[Call] = field(default_factory=list)
    # An ordered flow: `calls` run in order, a pass after another (see users.py).
    sequence: bool = False
    # Data fields and built-ins (engine/uservars.py); `tables`: the [data] tables this
    # class's templates read, whose per-user rows a user draws as it starts.
    values: Values = field(default_factory=Values)
    tables: tuple[str, ...] = ()

    @property
    def wait(self) -> Wait:
        return self.cls.wait

    @property
    def starved(self) -> bool:
        """A unique table this class reads has no row on this worker (fewer rows than
        workers, engine/feeders.py): its users begin no iteration here."""
        feeders = self.values.feeders
        return any(feeders[t].empty for t in self.tables if t in feeders)

    def begin_pass(self, user: UserState) -> None:
        """A new pass of the flow: what the last one's steps set is gone, extracted or
        set by a Python step alike (UserVars.begin_pass), so a step never sends what an
        earlier pass extracted (it fails "missing variable" instead)."""
        if isinstance(user.vars, UserVars):
            user.vars.begin_pass()

    async def run_pass(self, user: UserState, started: float, rng: random.Random) -> None:
        """Open model: an arrival of an ordered flow runs one whole pass (the first step
        timed from `started`, the intended start; the others from their own start, after
        the class's think time)."""
        self.begin_pass(user)
        for i, call in enumerate(self.calls):
            if i:
                await asyncio.sleep(think_time(self.wait, rng))
                started = perf_counter()
            await call.run(user, started)

    def pick(self, rng: random.Random) -> Call:
        if len(self.calls) == 1:
            return self.calls[0]
        x = rng.random() * self.cum_weights[-1]
        return self.calls[bisect.bisect_right(self.cum_weights, x)]

    def initial_vars(self, uid: int) -> dict[str, Any]:
        variables = UserVars({"user_id": uid, **dict(self.cls.variables)}, self.values)
        variables.take_rows(self.tables)
        return variables


def think_time(wait: Wait, rng: random.Random) -> float:
    """Seconds to wait after a task (pacing is handled by the user loop)."""
    if wait.kind == "constant":
        return wait.a
    if wait.kind == "uniform":
        return rng.uniform(wait.a, wait.b)
    if wait.kind == "exponential":
        return rng.expovariate(1.0 / wait.a) if wait.a > 0 else 0.0
    return 0.0


class WeightedPicker:
    """Deterministic weighted round robin, so 40/30/20/5/3/2 holds at any user count
    (as Locust spreads users over classes) instead of drifting with random draws."""

    def __init__(self, weights: list[float]) -> None:
        self.weights = weights
        self.total = sum(weights)
        self.counts = [0] * len(weights)

    def next(self) -> int:
        n = sum(self.counts) + 1
        deficits = [w / self.total * n - c for w, c in zip(self.weights, self.counts, strict=True)]
        i = max(range(len(deficits)), key=deficits.__getitem__)
        self.counts[i] += 1
        return i

    def release(self, i: int) -> None:
        self.counts[i] = max(0, self.counts[i] - 1)


class Binder:
    """Owns the clients that calls share (the pool set, the HTTP/2 pool, httpx clients)
    for one run."""

    def __init__(
        self, target: Target, pools: PoolSet, recorder: Recorder, values: Values | None = None
    ) -> None:
        self.target = target
        self.pools = pools
        self.recorder = recorder
        self.values = values or Values()
        self._py_client: httpx.AsyncClient | None = None
        self._h2_pool: H2Pool | None = None

    def _timeout(self) -> httpx.Timeout:
        t = self.target.timeouts
        return httpx.Timeout(t.total, connect=t.connect, read=t.read)

    def py_client(self) -> httpx.AsyncClient:
        if self._py_client is None:
            if self.target.http2:
                inner: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(
                    http2=True, verify=self.target.verify_tls
                )
            else:
                inner = PoolTransport(self.pools)
            self._py_client = httpx.AsyncClient(
                transport=TimedTransport(inner, self.recorder),
                base_url=split_userinfo(self.target.url)[0],  # else httpx sends Basic unasked
                headers=dict(target_headers(self.target, self.target.url)),
                timeout=self._timeout(),
            )
        return self._py_client

    def h2_pool(self) -> H2Pool:
        """The target's HTTP/2 pool, counted and closed with the run's pools."""
        if self._h2_pool is None:
            self._h2_pool = H2Pool.for_target(self.target)
            self.pools.adopt(self._h2_pool)
        return self._h2_pool

    def bind(self, task: Task) -> Call:
        if isinstance(task, PythonTask):
            return PyCall(task, load_function(task), self.py_client(), self.recorder)
        assert isinstance(task, HttpTask)
        rec = self.recorder.endpoint(task.name, task.method)
        call = HttpCall(task, self.target, self.pools.pool_for(self.target.url), rec)
        if self.target.http2:  # HTTP/1.1 stays the fall-back when the server has no h2
            return H2Call(task, self.target, self.h2_pool(), call)
        return call

    def plan(self, cls: UserClass) -> ClassPlan:
        calls = [self.bind(t) for t in cls.tasks]
        weights = list(itertools.accumulate(t.weight for t in cls.tasks))
        stream = None
        if cls.websocket is not None:
            stream = StreamPlan(
                cls.websocket,
                self.target,
                self.recorder.stream(cls.websocket.name),
                self.pools.ssl_context(self.target.verify_tls),
            )
        plan = ClassPlan(
            cls,
            calls,
            weights,
            [self.bind(t) for t in cls.on_start],
            stream,
            on_stop=[self.bind(t) for t in cls.on_stop],
            sequence=cls.order == "sequence",
            values=self.values,
            tables=tuple(sorted(data_tables(cls))),
        )
        if cls.wait.kind == "pacing" and math.isfinite(cls.wait.a):
            interval_us = int(cls.wait.a * 1_000_000)
            for t in cls.tasks:
                if isinstance(t, HttpTask):
                    self.recorder.endpoint(t.name, t.method).expected_interval_us = interval_us
        return plan

    async def aclose(self) -> None:
        if self._py_client is not None:
            await self._py_client.aclose()
