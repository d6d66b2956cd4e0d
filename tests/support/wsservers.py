"""WebSocket servers for stream tests, on 127.0.0.1 and on the test's own loop, and the
one-class scenario they are aimed with.

- `ws_server(handler)`: websockets' asyncio server playing `handler` per connection;
- `raw_ws_server(after)`: the handshake done by websockets' Sans-I/O server, then bytes
  of the test's choosing written in the same packet as the 101, and nothing more: no
  pong, no close frame, until the client goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request
from websockets.server import ServerProtocol

from support.scenarios import echo_stream, scenario, user

Handler = Callable[[ServerConnection], Awaitable[None]]


def streamer(path: str, **fields: Any) -> str:
    """One user class, "streamer", holding a stream on `path` that sends "ping" every
    50 ms and expects it echoed, unless `fields` say otherwise."""
    return scenario(user(name="streamer", websocket=echo_stream(path, **fields)))


@asynccontextmanager
async def ws_server(handler: Handler, **kwargs: Any) -> AsyncIterator[str]:
    """`handler` served on a free port; yields the target URL (http://, as a target's)."""
    async with serve(handler, "127.0.0.1", 0, **kwargs) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"http://127.0.0.1:{port}"


@asynccontextmanager
async def raw_ws_server(after: bytes = b"") -> AsyncIterator[str]:
    """A server that accepts the handshake and writes `after` with its 101, then only
    reads; yields the target URL."""

    async def play(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ws = ServerProtocol()
        try:
            events: list[object] = []
            while not events:
                data = await reader.read(65536)
                if not data:
                    return
                ws.receive_data(data)
                events = list(ws.events_received())
            request = events[0]
            assert isinstance(request, Request)
            ws.send_response(ws.accept(request))
            writer.write(b"".join(ws.data_to_send()) + after)
            while await reader.read(65536):
                pass
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(play, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
