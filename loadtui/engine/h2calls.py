"""A declarative task of an `http2 = true` target, over the engine's own HTTP/2 pool.

It behaves as `HttpCall` (calls.py) does on HTTP/1.1: the request is encoded once, its
HPACK header block included (each time when templated), timed from the `started` its
caller gives, judged by the same checks, and its failures are the same kinds ("invalid
header value" with nothing sent, "unfinished" when cut off at stop). When the server
turns out not to speak HTTP/2 (`Http1Only`: ALPN chose http/1.1, or a plain server
answered the h2c preface in HTTP/1.x), this task and every later one go through its
HTTP/1.1 twin instead.

Python tasks (`call = ...`) on such targets keep httpx's own HTTP/2 client (plan.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from loadtui.engine.auth import target_headers
from loadtui.engine.calls import (
    INVALID_VALUE,
    UNFINISHED,
    HttpCall,
    UserState,
    encode_body,
    failure_latency,
    request_target,
)
from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.h2hpack import encode_block
from loadtui.engine.http.h2pool import H2Pool, Http1Only
from loadtui.engine.http.h2request import H2Headers, encode_h2_request, header_bytes
from loadtui.engine.http.request import InvalidHeaderValue
from loadtui.scenario.model import HttpTask, Target
from loadtui.scenario.template import render
from loadtui.scenario.userinfo import split_userinfo

# The header list, its HPACK block (h2hpack.py: stateless, so reused byte for byte), the
# body, and the bytes the request counts as sent.
Encoded = tuple[H2Headers, bytes, bytes | None, int]


class H2Call:
    """A declarative task over HTTP/2, with `http1` (the same task on the HTTP/1.1
    pool) to fall back on and to judge responses."""

    __slots__ = (
        "_authority",
        "_base",
        "_req",
        "_scheme",
        "_timeout",
        "http1",
        "name",
        "pool",
        "rec",
        "target",
        "task",
        "want_body",
        "want_headers",
    )

    def __init__(self, task: HttpTask, target: Target, pool: H2Pool, http1: HttpCall) -> None:
        self.task = task
        self.name = task.name
        self.pool = pool
        self.http1 = http1
        self.rec = http1.rec
        # As HttpCall: no user:password@ in the authority; the target's headers are sent
        # beside the task's own (Basic auth included when the target asks for it).
        url, _ = split_userinfo(target.url)
        self.target = replace(target, headers=target_headers(target, target.url, task.headers))
        parts = urlsplit(url)
        self._scheme = parts.scheme
        self._authority = parts.netloc
        self._base = parts.path
        self._timeout = target.timeouts.total
        self.want_body = task.needs_body
        self.want_headers = task.needs_headers  # Retry-After honoured, extract, checks
        self._req: Encoded | None = None
        if not task.templated:
            # A value that cannot go on the wire: every run re-encodes and counts it.
            with contextlib.suppress(InvalidHeaderValue):
                self._req = self._encode({})

    def _encode(self, variables: dict[str, Any]) -> Encoded:
        task = self.task
        hdrs = (*self.target.headers, *task.headers)
        if task.templated:
            path = render(task.path, variables)
            query = tuple((k, render(v, variables)) for k, v in task.query)
            # The target's headers are sent as written: only the task's are templates.
            own = ((k, render(v, variables)) for k, v in task.headers)
            hdrs = (*self.target.headers, *own)
        else:
            path, query = task.path, task.query
        if task.content_type and not any(k.lower() == "content-type" for k, _ in hdrs):
            hdrs = (*hdrs, ("Content-Type", task.content_type))
        body = encode_body(task, variables)
        headers = encode_h2_request(
            task.method,
            self._scheme,
            self._authority,
            request_target(self._base, path, query),
            hdrs,
            body,
        )
        return headers, encode_block(headers), body, header_bytes(headers) + len(body or b"")

    async def run(self, user: UserState, started: float) -> float:
        if self.pool.http1:
            return await self.http1.run(user, started)
        req = self._req
        if req is None:
            try:
                req = self._encode(user.vars)
            except KeyError as exc:
                self.rec.failure(f"missing variable: {exc.args[0]}")
                return 0.0
            except InvalidHeaderValue:
                self.rec.failure(INVALID_VALUE)
                return 0.0
        headers, block, body, sent = req
        try:
            resp = await self.pool.request(
                headers,
                body,
                block=block,
                want_body=self.want_body,
                want_headers=self.want_headers,
                total_timeout=self._timeout,
            )
        except Http1Only:
            return await self.http1.run(user, started)
        except HttpError as exc:
            self.rec.failure(exc.kind, failure_latency(exc.kind, started), None, 0, sent)
            return 0.0
        except asyncio.CancelledError:
            self.rec.failure(UNFINISHED, failure_latency(UNFINISHED, started), None, 0, sent)
            raise
        return self.http1.judge(
            user, resp.status, resp.headers, resp.body, resp.body_len, sent, started
        )
