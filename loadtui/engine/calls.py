"""Tasks bound to a target, a connection pool and an endpoint recorder, ready to run.

A call is timed from `started`, which the caller chooses: the actual send time for
closed-model users, the intended send time for open-model arrivals (so a stalled
target's backlog shows in the percentiles instead of vanishing).

A call cancelled while its request is in flight (the run stopped and cut it off) counts
it as a failure of kind "unfinished", with the time it had waited: a lower bound, so a
hung target shows in the tail instead of in no figure at all. Catching the cancellation
in the call costs the hot path nothing (no extra Future or Task per request).

A value with CR, LF or NUL bound for a header or the request line (a variable extracted
from a hostile response, say) is a failure of kind "invalid header value": nothing is
sent. The HTTP/2 (httpx) path streams each response and keeps at most the target's
`max_body_size` of a body it needs, like the native pool: past it, "too large".
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from time import perf_counter
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import httpx
import msgpack

from loadtui.engine.auth import target_headers
from loadtui.engine.checks import ResponseChecks, extract, header, retry_after
from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.pool import Pool
from loadtui.engine.http.protocol import HttpConn
from loadtui.engine.http.request import InvalidHeaderValue, encode_request
from loadtui.engine.http.response import Sink
from loadtui.engine.uservars import UserVars
from loadtui.metrics.recorder import EndpointRecorder
from loadtui.scenario.model import HttpTask, Target
from loadtui.scenario.template import render, render_value
from loadtui.scenario.userinfo import split_userinfo


class UserState:
    """A virtual user's identity and variables (tokens, ids extracted on the way)."""

    __slots__ = ("busy", "id", "iteration", "stopping", "vars")

    def __init__(self, uid: int, variables: dict[str, Any]) -> None:
        self.id = uid
        self.vars = variables
        self.stopping = False
        self.busy = False  # inside a call: let it finish rather than cancel it
        # Iterations this user has begun (a task pick, or a pass of an ordered flow);
        # the user loop counts them, data feeders and `{iteration}` read them.
        self.iteration = 0
        if isinstance(variables, UserVars):
            variables.user = self  # its `{iteration}` and per-iteration rows read ours


class Call(Protocol):
    name: str

    async def run(self, user: UserState, started: float) -> float:
        """Run once; return seconds the user should wait (an honoured Retry-After)."""
        ...


def _us(started: float) -> int:
    return int((perf_counter() - started) * 1_000_000)


# Failures before a connection exists say nothing about the target's response time;
# putting their (tiny) latency in the histogram would flatter it.
NO_LATENCY_KINDS = frozenset({"refused", "dns", "tls", "connect_timeout", "invalid header value"})
UNFINISHED = "unfinished"  # the error kind of a request cut off at stop
INVALID_VALUE = "invalid header value"  # CR/LF/NUL headed for the wire: nothing sent
TOO_LARGE = "too large"
_BAD_VALUE = re.compile(r"[\x00\r\n]")
# A query value as httpx types it (its list of pairs is invariant, so say it in full).
_QueryValue = str | int | float | bool | None


def failure_latency(kind: str, started: float) -> int | None:
    return None if kind in NO_LATENCY_KINDS else _us(started)


def request_target(base_path: str, path: str, query: tuple[tuple[str, str], ...]) -> str:
    """The request-target (path + query) under the target's base path."""
    full = base_path.rstrip("/") + (path if path.startswith("/") else "/" + path)
    if query:
        full += ("&" if "?" in full else "?") + urlencode(query)
    return full or "/"


def encode_body(task: HttpTask, variables: dict[str, Any]) -> bytes | None:
    if not task.templated or task.body_template is None:
        return task.body
    value = render_value(task.body_template, variables)
    if task.body_format == "json":
        return json.dumps(value, separators=(",", ":")).encode()
    if task.body_format == "msgpack":
        return msgpack.packb(value)
    return str(value).encode()


class _Judge:
    """What every HTTP call does with a response once it has one.

    A rate-limited response (429, 503 with Retry-After) goes to the rate-limit lane; it
    is judged only by `checks.on_rate_limited`, and failing that also counts it as a
    failed check."""

    __slots__ = ("checks", "rec", "task")

    def __init__(self, task: HttpTask, rec: EndpointRecorder) -> None:
        self.task = task
        self.rec = rec
        self.checks = ResponseChecks(task.checks)

    def judge(
        self,
        user: UserState,
        status: int,
        headers: list[tuple[bytes, bytes]] | None,
        body: bytes | None,
        body_len: int,
        sent: int,
        started: float,
    ) -> float:
        latency = perf_counter() - started
        us = int(latency * 1_000_000)
        task = self.task
        if status == 429 or (status == 503 and header(headers, "retry-after") is not None):
            wait = retry_after(headers)
            refused = self.checks.rate_limited
            kind = None if refused is None else refused.failed_content(headers, body)
            if kind is None:
                self.rec.rate_limited(status, wait, us)
            else:
                self.rec.rate_limited_failure(kind, status, wait, body_len, sent)
            return (wait or 0.0) if task.on_429 == "honor" else 0.0
        kind = self.checks.failed(status, headers, body, latency)
        if kind is None and task.extract:
            kind = extract(task.extract, headers, body, user.vars)
        if kind is None:
            self.rec.success(us, status, body_len, sent)
        else:
            self.rec.failure(kind, us, status, body_len, sent)
        return 0.0


class HttpCall(_Judge):
    """A declarative task over the engine's own HTTP/1.1 pool (the fast path)."""

    __slots__ = (
        "_base",
        "_head",
        "_host",
        "_raw",
        "_timeout",
        "name",
        "pool",
        "target",
        "want_body",
        "want_headers",
    )

    def __init__(self, task: HttpTask, target: Target, pool: Pool, rec: EndpointRecorder) -> None:
        super().__init__(task, rec)
        self.name = task.name
        self.pool = pool
        # Host and path come from the URL without its user:password@; the target's
        # headers become the ones this task sends beside its own (Basic auth included).
        url, _ = split_userinfo(target.url)
        target = replace(target, headers=target_headers(target, target.url, task.headers))
        self.target = target
        parts = urlsplit(url)
        self._host = parts.netloc
        self._base = parts.path
        self._head = task.method == "HEAD"
        self._timeout = target.timeouts.total
        self.want_body = task.needs_body
        self.want_headers = task.needs_headers  # Retry-After honoured, extract, checks
        self._raw = None if task.templated else self._encode_static(task, target)

    def _encode_static(self, task: HttpTask, target: Target) -> bytes | None:
        """The request's bytes, once; None if a value cannot go on the wire (then every
        run re-encodes and counts the failure, as for a templated value)."""
        try:
            return self._encode(task, target, {})
        except InvalidHeaderValue:
            return None

    def _encode(self, task: HttpTask, target: Target, variables: dict[str, Any]) -> bytes:
        if task.templated:
            path = render(task.path, variables)
            query = tuple((k, render(v, variables)) for k, v in task.query)
            # The target's headers are sent as written: only the task's are templates.
            hdrs = (*target.headers, *((k, render(v, variables)) for k, v in task.headers))
        else:
            path, query, hdrs = task.path, task.query, (*target.headers, *task.headers)
        if task.content_type and not any(k.lower() == "content-type" for k, _ in hdrs):
            hdrs = (*hdrs, ("Content-Type", task.content_type))
        body = encode_body(task, variables)
        return encode_request(
            task.method, request_target(self._base, path, query), self._host, hdrs, body
        )

    def wire(self, user: UserState) -> bytes | None:
        """The request's bytes for `user`; None when they cannot be sent (a missing
        variable, a value that cannot go on the wire), counted as that failure."""
        raw = self._raw
        if raw is not None:
            return raw
        try:
            return self._encode(self.task, self.target, user.vars)
        except KeyError as exc:
            self.rec.failure(f"missing variable: {exc.args[0]}")
        except InvalidHeaderValue:
            self.rec.failure(INVALID_VALUE)
        return None

    def send_now(self, raw: bytes, sink: Sink) -> HttpConn | None:
        """Send `raw` on an idle connection, its outcome going to `sink` (Pool.send_now);
        None when none is idle."""
        return self.pool.send_now(
            raw,
            sink,
            want_body=self.want_body,
            want_headers=self.want_headers,
            head=self._head,
            total_timeout=self._timeout,
        )

    def failed(self, err: HttpError, started: float, sent: int) -> None:
        """Count a request that ended in a transport error."""
        self.rec.failure(err.kind, failure_latency(err.kind, started), None, 0, sent)

    def cut_off(self, started: float, sent: int) -> None:
        """Count a request in flight when its user was cancelled (the run's stop)."""
        self.rec.failure(UNFINISHED, _us(started), None, 0, sent)

    async def run(self, user: UserState, started: float) -> float:
        raw = self._raw
        if raw is None:
            raw = self.wire(user)
            if raw is None:
                return 0.0
        # `exchange`, inlined: the open model and the coroutine loop run this per request.
        try:
            resp = await self.pool.request(
                raw,
                want_body=self.want_body,
                want_headers=self.want_headers,
                head=self._head,
                total_timeout=self._timeout,
            )
        except HttpError as exc:
            self.failed(exc, started, len(raw))
            return 0.0
        except asyncio.CancelledError:
            self.cut_off(started, len(raw))
            raise
        return self.judge(
            user, resp.status, resp.headers, resp.body, resp.body_len, len(raw), started
        )

    async def exchange(
        self, user: UserState, raw: bytes, started: float, retry_until: float | None = None
    ) -> float:
        """Send `raw` through the pool (connecting or queueing as needed) and judge the
        answer; `retry_until`: a resend after the keep-alive race (Pool.request)."""
        try:
            resp = await self.pool.request(
                raw,
                want_body=self.want_body,
                want_headers=self.want_headers,
                head=self._head,
                total_timeout=self._timeout,
                retry_until=retry_until,
            )
        except HttpError as exc:
            self.failed(exc, started, len(raw))
            return 0.0
        except asyncio.CancelledError:
            self.cut_off(started, len(raw))
            raise
        return self.judge(
            user, resp.status, resp.headers, resp.body, resp.body_len, len(raw), started
        )


def httpx_error_kind(exc: BaseException) -> str:
    """Our short error kinds for httpx's exceptions (or the pool's, when it is the cause)."""
    cause = exc.__cause__
    if isinstance(cause, HttpError):
        return cause.kind
    if isinstance(exc, httpx.RemoteProtocolError) and "buffer too long" in str(exc):
        return TOO_LARGE  # h11's cap on a response head (httpcore sets it to 100 KiB)
    mapping: tuple[tuple[type[BaseException], str], ...] = (
        (httpx.ConnectTimeout, "connect_timeout"),
        (httpx.ReadTimeout, "read_timeout"),
        (httpx.TimeoutException, "timeout"),
        (httpx.ConnectError, "refused"),
        (httpx.RemoteProtocolError, "protocol"),
        (httpx.LocalProtocolError, INVALID_VALUE),  # h11/h2 refused a header value
        (httpx.ReadError, "reset"),
        (httpx.WriteError, "reset"),
    )
    for cls, kind in mapping:
        if isinstance(exc, cls):
            return kind
    return type(exc).__name__


async def sleep_honoured(seconds: float, call: Call, user: UserState) -> None:
    """Wait out a Retry-After (bounded at 60 s), cut short if the user is stopped."""
    seconds = min(seconds, 60.0)
    start = perf_counter()
    while not user.stopping and perf_counter() - start < seconds:
        await asyncio.sleep(min(0.25, seconds - (perf_counter() - start)))
    rec = getattr(call, "rec", None)
    if rec is not None:
        rec.honoured(perf_counter() - start)
