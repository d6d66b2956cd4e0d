"""Closed-model users driven from the completion callback: no Future and no coroutine
resume per request.

A user of an eligible class (`driven_eligible`) runs as a `DrivenUser`. Its coroutine
(`run`, awaited by the user's task in users.py) starts a chain of callbacks: the
connection hands each outcome to the user (`on_response` / `on_error`: the user is the
request's `Sink`), which counts it with the task's `HttpCall`, picks the next task and
sends it on an idle connection, all within the protocol callback. The coroutine wakes
only when the chain hands back, for what needs awaiting: no idle connection (the pool
connects or queues), the keep-alive race's resend, a Retry-After to honour, a pause, a
request that could not be encoded, the user stopping. It does that step the ordinary
way (`HttpCall.exchange`) and starts the chain again.

What it records is what the coroutine loop (users.py) records, through the same
`HttpCall` methods: latency runs from just before the send, `user.busy` is set while a
request is out (a stop lets it finish; one cut off counts as `unfinished`), each task
picked counts in `user.iteration`, the pool's sweep times requests out and its retry
rule applies (`may_retry`).
"""

from __future__ import annotations

import asyncio
import math
import random
from time import perf_counter
from typing import cast

from loadtui.engine.calls import HttpCall, UserState, sleep_honoured
from loadtui.engine.gate import Gate
from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.pool import may_retry
from loadtui.engine.http.protocol import HttpConn
from loadtui.engine.http.response import Response
from loadtui.engine.plan import ClassPlan

DRIVEN_WAITS = frozenset({"none", "pacing"})
YIELD_EVERY = 64  # steps without awaiting anything, at most, before the loop gets a turn

# What a step leads to: CHAINED, the chain runs on (a request is out or a pacing timer
# is set); anything else is what the coroutine must do next.
CHAINED, STOP, PAUSED, HONOUR, QUEUE, RESEND, UNSENT = range(7)


def driven_eligible(plan: ClassPlan) -> bool:
    """True when the class's task loop can run callback-driven: weighted picks of
    declarative HTTP/1.1 tasks (`HttpCall`), no think time but pacing. Whatever a task
    loop gains later (ordered flows, iteration budgets...) must make this False until
    DrivenUser handles it."""
    wait = plan.wait
    return (
        not plan.sequence  # ordered flows: the coroutine loop (users.py)
        and wait.kind in DRIVEN_WAITS
        and math.isfinite(wait.a)
        and bool(plan.calls)
        and all(type(call) is HttpCall for call in plan.calls)
    )


class DrivenUser:
    """One closed-model user's task loop as a state machine (module doc)."""

    __slots__ = (
        "call",
        "conn",
        "gate",
        "honour",
        "loop",
        "next_start",
        "only",
        "out",
        "pacing",
        "plan",
        "raw",
        "resend_by",
        "rng",
        "started",
        "stint",
        "timer",
        "user",
    )

    def __init__(self, plan: ClassPlan, user: UserState, gate: Gate, rng: random.Random) -> None:
        self.plan = plan
        self.user = user
        self.gate = gate
        self.rng = rng
        self.pacing = plan.wait.a if plan.wait.kind == "pacing" else 0.0
        # A class of one task needs no pick (driven_eligible: every call an HttpCall).
        self.only = cast(HttpCall, plan.calls[0]) if len(plan.calls) == 1 else None
        self.next_start = 0.0
        self.loop: asyncio.AbstractEventLoop | None = None
        # The coroutine's wait while the chain runs; resolved with what it must do next.
        self.stint: asyncio.Future[int] | None = None
        self.timer: asyncio.TimerHandle | None = None  # the pacing wait, when set
        # The current task: its call, bytes, start, the connection it is out on, and
        # whether it still has to be counted (`out`).
        self.call: HttpCall | None = None
        self.raw = b""
        self.started = 0.0
        self.conn: HttpConn | None = None
        self.out = False
        self.honour = 0.0  # seconds of Retry-After to wait out (HONOUR)
        self.resend_by = 0.0  # the resend's deadline, loop time (RESEND)

    async def run(self) -> None:
        """The task loop, until the user stops (or is cancelled: a request out is then
        cut off and counted as unfinished)."""
        loop = self.loop = asyncio.get_running_loop()
        user = self.user
        self.next_start = perf_counter()
        spins = 0
        try:
            act = self._step()
            while True:
                if act == CHAINED:
                    # Created before anything can call back: nothing awaited since the send.
                    self.stint = loop.create_future()
                    act = await self.stint
                    self.stint = None
                    continue
                if act == STOP:
                    return
                # No request is on the wire here. Steps that may await nothing (an
                # unsent request, a pool that fails at once) give the loop a turn now
                # and then, as the coroutine loop does.
                spins += 1
                if not spins % YIELD_EVERY:
                    await asyncio.sleep(0)
                if act == PAUSED:
                    await self.gate.wait()
                    self.next_start = perf_counter()
                    act = self._step()
                elif act == HONOUR:
                    await sleep_honoured(self.honour, self._call(), user)
                    act = self._step()
                elif act in (QUEUE, RESEND):
                    until = self.resend_by if act == RESEND else None
                    self.out = False  # exchange() counts it from here, a cut-off included
                    user.busy = True
                    wait = await self._call().exchange(user, self.raw, self.started, until)
                    act = self._after(wait)
                else:  # UNSENT: counted already
                    act = self._step()
        except asyncio.CancelledError:
            self._cut_off()
            raise
        finally:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None

    # -- steps ---------------------------------------------------------------------------

    def _step(self, paced: bool = False) -> int:
        """Between two tasks: send the next one, or say what must be done first.
        `paced`: the pacing wait is over (a timer may fire a little early, as a sleep
        may; it is not waited again)."""
        if self.user.stopping:
            return STOP
        if self.gate.paused:
            return PAUSED
        pacing = self.pacing
        if pacing:
            if not paced:
                delay = self.next_start - perf_counter()
                if delay > 0:
                    assert self.loop is not None
                    self.timer = self.loop.call_later(delay, self._paced)
                    return CHAINED
            self.next_start = max(self.next_start + pacing, perf_counter())
        return self._send()

    def _send(self) -> int:
        call = self.only or cast(HttpCall, self.plan.pick(self.rng))
        user = self.user
        user.iteration += 1
        started = perf_counter()
        raw = call.wire(user)
        if raw is None:  # counted by wire()
            return UNSENT
        self.call, self.raw, self.started = call, raw, started
        conn = call.send_now(raw, self)
        if conn is None:
            return QUEUE
        self.conn = conn
        self.out = True
        user.busy = True
        return CHAINED

    def _after(self, wait: float) -> int:
        """A task has been counted: what comes next."""
        user = self.user
        user.busy = False
        if user.stopping:
            return STOP
        if wait:
            self.honour = wait
            return HONOUR
        return self._step()

    def _call(self) -> HttpCall:
        call = self.call
        assert call is not None
        return call

    # -- the chain (protocol and timer callbacks: nothing may escape) --------------------

    def on_response(self, conn: HttpConn, resp: Response) -> None:
        call = self.call
        assert call is not None  # set with the send
        self.conn = None
        call.pool.settle(conn)
        stint = self.stint
        if stint is None or stint.done():
            return  # cancelled meanwhile: run() counts it as cut off
        self.out = False
        try:
            wait = call.judge(
                self.user,
                resp.status,
                resp.headers,
                resp.body,
                resp.body_len,
                len(self.raw),
                self.started,
            )
            act = self._after(wait)
        except Exception as exc:  # as in the coroutine loop, it ends the user's task
            stint.set_exception(exc)
            return
        if act != CHAINED:
            stint.set_result(act)

    def on_error(self, conn: HttpConn, err: HttpError) -> None:
        call = self.call
        assert call is not None  # set with the send
        self.conn = None
        call.pool.settle(conn)
        stint = self.stint
        if stint is None or stint.done():
            return  # cancelled meanwhile: run() counts it as cut off
        try:
            if may_retry(conn, err, self.raw):
                self.resend_by = conn.total_deadline
                act = RESEND
            else:
                self.out = False
                call.failed(err, self.started, len(self.raw))
                act = self._after(0.0)
        except Exception as exc:
            stint.set_exception(exc)
            return
        if act != CHAINED:
            stint.set_result(act)

    def _paced(self) -> None:
        self.timer = None
        stint = self.stint
        if stint is None or stint.done():
            return
        try:
            act = self._step(paced=True)
        except Exception as exc:
            stint.set_exception(exc)
            return
        if act != CHAINED:
            stint.set_result(act)

    def _cut_off(self) -> None:
        """The user's task was cancelled: drop and count a request still out."""
        conn = self.conn
        if conn is not None:
            self.conn = None
            conn.abandon()
            self._call().pool.settle(conn)
        if self.out:
            self.out = False
            self._call().cut_off(self.started, len(self.raw))
