"""The engine's native HTTP/1.1 client: request encoding, keep-alive pools, and an httpx
transport on top (import that from `loadtui.engine.http.transport`; it pulls in httpx)."""

from loadtui.engine.http.errors import KINDS, HttpError
from loadtui.engine.http.pool import Pool
from loadtui.engine.http.poolset import PoolSet, parse_origin
from loadtui.engine.http.request import encode_request, host_header
from loadtui.engine.http.response import Response

__all__ = [
    "KINDS",
    "HttpError",
    "Pool",
    "PoolSet",
    "Response",
    "encode_request",
    "host_header",
    "parse_origin",
]
