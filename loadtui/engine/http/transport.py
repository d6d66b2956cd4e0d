"""httpx on the engine's pool: scripted Python tasks get the httpx API they know while
their HTTP/1.1 requests share the engine's fast connections (the stock httpx pool is
~200x slower under concurrency; see docs/architecture.md, "HTTP paths").

Errors surface as the usual httpx exceptions; the engine's HttpError (with its `kind`)
is the exception's `__cause__`. Request bodies are read fully; responses are buffered,
up to the pool set's body cap (beyond it: kind "too large"). httpx's per-request
connect/read timeouts are honoured (a None value means the pool's own limit, not "no
limit"); its pool and write timeouts are not used. Every request is bounded by
`total_timeout`, or else by the pool set's (a target's total timeout): kind "timeout".
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.poolset import PoolSet
from loadtui.engine.http.request import (
    BODY_METHODS,
    DEFAULT_PORTS,
    InvalidHeaderValue,
    encode_raw,
)

OnResponse = Callable[[httpx.Request, "httpx.Response | None", "HttpError | None", float], None]

_HTTPX_ERRORS: dict[str, type[httpx.TransportError]] = {
    "connect_timeout": httpx.ConnectTimeout,
    "read_timeout": httpx.ReadTimeout,
    "timeout": httpx.TimeoutException,
    "refused": httpx.ConnectError,
    "dns": httpx.ConnectError,
    "tls": httpx.ConnectError,
    "reset": httpx.ReadError,
    "closed": httpx.RemoteProtocolError,
    "protocol": httpx.RemoteProtocolError,
    "too large": httpx.RemoteProtocolError,
    "unexpected upgrade": httpx.RemoteProtocolError,
    "invalid header value": httpx.LocalProtocolError,
}


def to_httpx_error(err: HttpError, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception user code expects for an engine error kind."""
    return _HTTPX_ERRORS.get(err.kind, httpx.TransportError)(str(err), request=request)


class PoolTransport(httpx.AsyncBaseTransport):
    """Mount with `httpx.AsyncClient(transport=PoolTransport(pools))`.

    With `pools` given the transport shares them and never closes them; otherwise it
    owns a PoolSet built from the keyword arguments. `on_response(request, response,
    error, elapsed_s)` is called once per request, response or error being None.
    """

    def __init__(
        self,
        pools: PoolSet | None = None,
        *,
        verify_tls: bool = True,
        max_connections: int = 10_000,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        total_timeout: float | None = None,
        on_response: OnResponse | None = None,
    ) -> None:
        self._owns = pools is None
        self.pools = pools or PoolSet(
            max_connections=max_connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            verify_tls=verify_tls,
        )
        self.total_timeout = self.pools.total_timeout if total_timeout is None else total_timeout
        self.on_response = on_response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self._send(request)
        except HttpError as err:
            if self.on_response is not None:
                self.on_response(request, None, err, time.perf_counter() - started)
            raise to_httpx_error(err, request) from err
        if self.on_response is not None:
            self.on_response(request, response, None, time.perf_counter() - started)
        return response

    async def _send(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported scheme {scheme!r}", request=request)
        pool = self.pools.pool_for((scheme, url.host, url.port or DEFAULT_PORTS[scheme]))
        method = request.method.upper()
        body = await request.aread()
        try:
            raw = encode_raw(
                method.encode("ascii"),
                url.raw_path,
                request.headers.raw,
                body if body or method in BODY_METHODS else None,
            )
        except InvalidHeaderValue as exc:
            raise HttpError("invalid header value", str(exc)) from exc
        except ValueError as exc:
            raise httpx.LocalProtocolError(str(exc), request=request) from exc
        timeouts = request.extensions.get("timeout") or {}
        resp = await pool.request(
            raw,
            want_body=True,
            want_headers=True,
            head=method == "HEAD",
            total_timeout=self.total_timeout,
            read_timeout=timeouts.get("read"),
            connect_timeout=timeouts.get("connect"),
        )
        return httpx.Response(
            status_code=resp.status,
            headers=resp.headers,
            stream=httpx.ByteStream(resp.body or b""),
            extensions={"http_version": b"HTTP/1.1"},
            request=request,
        )

    async def aclose(self) -> None:
        if self._owns:
            await self.pools.close()
