"""The demo target's HTTP endpoints (contract: brief/demo_endpoints.md).

A handler gets a parsed :class:`Request` and returns either the response bytes to write
now or a :class:`Reply` (delayed and/or closing). Handlers never await: delays are timers
owned by the connection, so a slow endpoint costs no task per request.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable

import msgpack

from loadtui.demo.http11 import (
    CONN_CLOSE,
    Reply,
    Request,
    chunked,
    error,
    json_response,
    response,
    static,
)
from loadtui.demo.jobs import MAX_WORK_MS
from loadtui.demo.state import DemoState

Result = bytes | Reply
Handler = Callable[[Request], Result]

MAX_DELAY_MS = 60_000
MAX_BIG_KB = 64 * 1024
MAX_CHUNKS = 10_000
MAX_CHUNK_SIZE = 1024 * 1024

ENDPOINTS: list[dict[str, str]] = [
    {"method": "GET", "path": "/", "about": "this index"},
    {"method": "GET", "path": "/health", "about": "liveness"},
    {"method": "GET", "path": "/api/fast", "about": "small JSON, as fast as possible"},
    {"method": "GET", "path": "/api/items", "about": "20 items (~2 KB)"},
    {"method": "GET", "path": "/api/items/{id}", "about": "one item; 404 unless integer"},
    {"method": "GET", "path": "/api/delay?ms=20", "about": "answers after ms milliseconds"},
    {"method": "GET", "path": "/api/jitter?ms=20&jitter=10", "about": "delay in ms±jitter"},
    {"method": "GET", "path": "/api/flaky?fail=0.1", "about": "500/503 with probability fail"},
    {"method": "GET", "path": "/api/limited?rate=50", "about": "shared token bucket; 429"},
    {"method": "POST", "path": "/api/login", "about": "JSON user/password -> token"},
    {"method": "GET", "path": "/api/me", "about": "needs Authorization: Bearer <token>"},
    {"method": "POST", "path": "/api/logout", "about": "forgets the Bearer token"},
    {"method": "POST", "path": "/api/jobs?ms=100", "about": "Bearer: a job, done after ms"},
    {"method": "GET", "path": "/api/jobs/{id}", "about": "Bearer: the job's state"},
    {"method": "GET", "path": "/api/jobs/{id}/result", "about": "Bearer: its result; 409 first"},
    {"method": "POST", "path": "/api/push", "about": "msgpack map -> 201"},
    {"method": "POST", "path": "/api/echo", "about": "echoes body and content type"},
    {"method": "GET", "path": "/api/grow?kb=64", "about": "retain memory (cap 256 MiB)"},
    {"method": "GET", "path": "/api/chunked?chunks=5&size=100", "about": "chunked body"},
    {"method": "GET", "path": "/api/big?kb=100", "about": "a body of kb KiB"},
    {"method": "GET", "path": "/api/close", "about": "answers with Connection: close"},
    {"method": "WS", "path": "/ws/echo", "about": "echoes text and binary messages"},
    {"method": "WS", "path": "/ws/push?rate=10&size=64", "about": "JSON pushes at rate/s"},
]

_ITEM_ID = re.compile(r"-?\d{1,18}")


class BadParam(ValueError):
    """A query parameter that is missing its shape or its range: the client gets a 400."""


def int_param(params: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParam(f"{name} must be an integer") from None
    if not lo <= value <= hi:
        raise BadParam(f"{name} must be between {lo} and {hi}")
    return value


def float_param(params: dict[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadParam(f"{name} must be a number") from None
    if not lo <= value <= hi:  # also rejects nan
        raise BadParam(f"{name} must be between {lo:g} and {hi:g}")
    return value


def bearer(req: Request) -> str:
    """The token of an `Authorization: Bearer` header ("" without one)."""
    auth = req.header(b"authorization") or b""
    scheme, _, token = auth.decode("latin-1").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def unauthorized(req: Request) -> bytes:
    return error(401, "unauthorized", req.conn, b"WWW-Authenticate: Bearer\r\n")


def item(item_id: int) -> dict[str, object]:
    return {
        "id": item_id,
        "name": f"item-{item_id}",
        "description": f"Demo item {item_id}, for load tests.",
        "price": round(1 + (item_id * 7919 % 10000) / 100, 2),
        "stock": item_id * 31 % 97,
        "tags": ["demo", "loadtui"],
    }


class DemoApp:
    """Routing plus the handlers; precomputes the bytes of every fixed response."""

    def __init__(self, state: DemoState | None = None) -> None:
        self.state = state or DemoState()
        self.fast = static(
            200,
            {
                "status": "ok",
                "service": "loadtui-demo",
                "endpoint": "fast",
                "value": 42,
                "items": [1, 2, 3],
                "ok": True,
            },
        )
        self.health = static(200, {"status": "ok"})
        self.index = static(200, {"service": "loadtui-demo", "endpoints": ENDPOINTS})
        self.items = static(200, [item(i) for i in range(1, 21)])
        self.delay_ok = static(200, {"status": "ok", "delayed": True})
        self.flaky_ok = static(200, {"status": "ok"})
        self.limited_ok = static(200, {"status": "ok"})
        self.routes: dict[str, tuple[tuple[bytes, ...], Handler]] = {
            "/": ((b"GET",), lambda r: self.index[r.conn]),
            "/health": ((b"GET",), lambda r: self.health[r.conn]),
            "/api/fast": ((b"GET",), lambda r: self.fast[r.conn]),
            "/api/items": ((b"GET",), lambda r: self.items[r.conn]),
            "/api/delay": ((b"GET",), self.delay),
            "/api/jitter": ((b"GET",), self.jitter),
            "/api/flaky": ((b"GET",), self.flaky),
            "/api/limited": ((b"GET",), self.limited),
            "/api/login": ((b"POST",), self.login),
            "/api/me": ((b"GET",), self.me),
            "/api/logout": ((b"POST",), self.logout),
            "/api/jobs": ((b"POST",), self.create_job),
            "/api/push": ((b"POST",), self.push),
            "/api/echo": ((b"POST", b"PUT"), self.echo),
            "/api/grow": ((b"GET", b"POST"), self.grow),
            "/api/chunked": ((b"GET",), self.chunked),
            "/api/big": ((b"GET",), self.big),
            "/api/close": ((b"GET",), self.close),
        }

    def handle(self, req: Request) -> Result:
        """Answer one request; never raises for anything a client can send."""
        route = self.routes.get(req.path)
        if route is None:
            if req.path.startswith("/api/items/"):
                route = ((b"GET",), self.one_item)
            elif req.path.startswith("/api/jobs/"):
                route = ((b"GET",), self.job)
            elif req.path.startswith("/ws/"):
                return error(426, "WebSocket upgrade required", req.conn, b"Upgrade: websocket\r\n")
            else:
                return error(404, "not found", req.conn)
        methods, handler = route
        method = b"GET" if req.method == b"HEAD" else req.method
        if method not in methods:
            allow = b"Allow: " + b", ".join(methods) + b"\r\n"
            return error(405, "method not allowed", req.conn, allow)
        try:
            return handler(req)
        except BadParam as exc:
            return error(400, str(exc), req.conn)

    # -- handlers ---------------------------------------------------------------------

    def one_item(self, req: Request) -> Result:
        raw = req.path[len("/api/items/") :]
        if not _ITEM_ID.fullmatch(raw):
            return error(404, "no such item", req.conn)
        return json_response(200, item(int(raw)), req.conn)

    def delay(self, req: Request) -> Result:
        ms = int_param(req.params(), "ms", 20, 0, MAX_DELAY_MS)
        return Reply(self.delay_ok[req.conn], ms / 1000)

    def jitter(self, req: Request) -> Result:
        params = req.params()
        ms = int_param(params, "ms", 20, 0, MAX_DELAY_MS)
        jit = int_param(params, "jitter", 10, 0, MAX_DELAY_MS)
        delay_ms = max(0.0, random.uniform(ms - jit, ms + jit))
        body = json_response(200, {"status": "ok", "delay_ms": round(delay_ms, 3)}, req.conn)
        return Reply(body, delay_ms / 1000)

    def flaky(self, req: Request) -> Result:
        fail = float_param(req.params(), "fail", 0.1, 0.0, 1.0)
        if random.random() < fail:
            status = random.choice((500, 503))
            return error(status, "injected failure", req.conn)
        return self.flaky_ok[req.conn]

    def limited(self, req: Request) -> Result:
        rate = float_param(req.params(), "rate", 50.0, 0.001, 1_000_000.0)
        if self.state.limiter(rate).take():
            return self.limited_ok[req.conn]
        return error(429, "rate limited", req.conn, b"Retry-After: 1\r\n")

    def login(self, req: Request) -> Result:
        try:
            data = json.loads(req.body)
        except (ValueError, UnicodeDecodeError):
            return error(400, "body must be JSON", req.conn)
        if not (
            isinstance(data, dict)
            and isinstance(data.get("user"), str)
            and data["user"]
            and isinstance(data.get("password"), str)
        ):
            return error(400, 'expected {"user": str, "password": str}', req.conn)
        token = self.state.login(data["user"])
        return json_response(200, {"token": token, "user": data["user"]}, req.conn)

    def me(self, req: Request) -> Result:
        user = self.state.user_for(bearer(req))
        if user is None:
            return unauthorized(req)
        return json_response(200, {"user": user}, req.conn)

    def logout(self, req: Request) -> Result:
        user = self.state.logout(bearer(req))
        if user is None:
            return unauthorized(req)
        return json_response(200, {"user": user, "logged_out": True}, req.conn)

    def create_job(self, req: Request) -> Result:
        token = bearer(req)
        if self.state.user_for(token) is None:
            return unauthorized(req)
        ms = int_param(req.params(), "ms", 100, 0, MAX_WORK_MS)
        job_id = self.state.jobs.create(token, ms)
        return json_response(201, {"id": job_id, "state": "running"}, req.conn)

    def job(self, req: Request) -> Result:
        """GET /api/jobs/ID (its state) and /api/jobs/ID/result (once done)."""
        token = bearer(req)
        if self.state.user_for(token) is None:
            return unauthorized(req)
        job_id, _, rest = req.path[len("/api/jobs/") :].partition("/")
        jobs = self.state.jobs
        found = jobs.find(token, job_id) if rest in ("", "result") else None
        if found is None:
            return error(404, "no such job", req.conn)
        done = jobs.done(found)
        if not rest:
            jobs.polled += 1
            state = "done" if done else "running"
            return json_response(200, {"id": job_id, "state": state}, req.conn)
        if not done:
            return error(409, "the job is still running", req.conn)
        jobs.downloaded += 1
        return json_response(200, {"id": job_id, "result": f"result of {job_id}"}, req.conn)

    def push(self, req: Request) -> Result:
        ctype = (req.header(b"content-type") or b"").split(b";")[0].strip().lower()
        if ctype != b"application/x-msgpack":
            return error(415, "expected application/x-msgpack", req.conn)
        try:
            data = msgpack.unpackb(req.body, raw=False, strict_map_key=False)
        except Exception:  # msgpack raises several unrelated types for bad input
            return error(400, "body is not msgpack", req.conn)
        if not isinstance(data, dict):
            return error(400, "expected a msgpack map", req.conn)
        self.state.pushed += 1
        self.state.pushed_bytes += len(req.body)
        return json_response(201, {"stored": self.state.pushed, "bytes": len(req.body)}, req.conn)

    def echo(self, req: Request) -> Result:
        ctype = req.header(b"content-type") or b"application/octet-stream"
        if b"\r" in ctype or b"\n" in ctype:  # cannot happen via httptools; stay safe
            ctype = b"application/octet-stream"
        return response(200, req.body, ctype, req.conn)

    def grow(self, req: Request) -> Result:
        kb = int_param(req.params(), "kb", 64, 0, 1024 * 1024)
        return json_response(200, {"retained_kb": self.state.grow(kb)}, req.conn)

    def chunked(self, req: Request) -> Result:
        params = req.params()
        chunks = int_param(params, "chunks", 5, 0, MAX_CHUNKS)
        size = int_param(params, "size", 100, 1, MAX_CHUNK_SIZE)
        if chunks * size > MAX_BIG_KB * 1024:
            raise BadParam("chunks*size too large")
        return chunked(200, chunks, size, req.conn)

    def big(self, req: Request) -> Result:
        kb = int_param(req.params(), "kb", 100, 0, MAX_BIG_KB)
        return response(200, b"x" * (kb * 1024), b"application/octet-stream", req.conn)

    def close(self, req: Request) -> Result:
        return Reply(json_response(200, {"status": "ok", "closing": True}, CONN_CLOSE), close=True)
