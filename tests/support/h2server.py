"""A scripted HTTP/2 server on 127.0.0.1 (h2's server-side state machine on an asyncio
Protocol), on the test's own loop, for the native HTTP/2 client's tests.

h2c by prior knowledge, or TLS with ALPN "h2" when given a context. What a request
gets depends on its path:

- `/status/<code>`: that status, body `status <code>`;
- `/bytes/<n>`: n bytes of `x`, sent as the client's flow-control windows allow;
- `/json`: `{"ok": true}`;
- `/echo`: 200 once the whole request body is in, the body's length in `x-length`;
- `/slow/<ms>`: 200 after ms milliseconds (keeps streams open together);
- `/hang`: never answered;
- `/rst`: RST_STREAM(INTERNAL_ERROR);
- `/refuse-once`: RST_STREAM(REFUSED_STREAM) the first time, 200 after;
- `/big-header/<n>`: 200 with a header of n bytes;
- anything else: 200 with body `ok`.

Options: `max_streams` (SETTINGS_MAX_CONCURRENT_STREAMS), `window` (the server's
initial stream window, so a large request body must wait for WINDOW_UPDATEs),
`goaway_after` (on the first connection only: after that many requests a GOAWAY with
the last of them as last stream id and `goaway_code` as error; later streams are left
unprocessed, earlier ones are served and the connection closes after them, as nginx
does at keepalive_requests),
`silent` (accept connections, send nothing); `frozen`, set while the server runs,
makes it ignore everything and send nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass, field
from typing import Any

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    RequestReceived,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)
from h2.exceptions import ProtocolError
from h2.settings import SettingCodes
from hyperframe.frame import GoAwayFrame


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    connection: int = 0  # which connection (1, 2, ...) carried it


@dataclass
class H2Server:
    max_streams: int | None = None
    window: int | None = None
    goaway_after: int | None = None
    goaway_code: int = 0
    silent: bool = False
    frozen: bool = False  # set by a test: read nothing, send nothing, as a stopped process
    tls: ssl.SSLContext | None = None
    connections: int = 0
    max_open: int = 0  # the most streams open at once on one connection
    requests: list[Seen] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _conns: list[_Conn] = field(default_factory=list)
    _refused: set[str] = field(default_factory=set)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def open_streams(self) -> int:
        """Streams open now (requests read, not yet answered nor reset), all connections."""
        return sum(len(c.open) for c in self._conns)

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    async def __aenter__(self) -> H2Server:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Conn(self), "127.0.0.1", 0, ssl=self.tls)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for conn in self._conns:
            conn.stop()
        await self._server.wait_closed()


class _Conn(asyncio.Protocol):
    def __init__(self, server: H2Server) -> None:
        self.server = server
        self.h2 = H2Connection(H2Configuration(client_side=False, header_encoding=None))
        self.transport: Any = None
        self.number = 0
        self.heads: dict[int, Seen] = {}
        self.open: set[int] = set()
        self.sending: dict[int, memoryview] = {}  # bodies waiting for the client's window
        self.timers: list[asyncio.TimerHandle] = []
        self.received = 0
        self.last_id: int | None = None  # after our GOAWAY: the last stream we serve

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        server = self.server
        server.connections += 1
        self.number = server.connections
        server._conns.append(self)
        if server.silent:
            return
        settings = {}
        if server.max_streams is not None:
            settings[SettingCodes.MAX_CONCURRENT_STREAMS] = server.max_streams
        if server.window is not None:
            settings[SettingCodes.INITIAL_WINDOW_SIZE] = server.window
        self.h2.local_settings.update(settings)
        self.h2.local_settings.acknowledge()  # in force from the first request on
        self.h2.initiate_connection()
        self.flush()

    def data_received(self, data: bytes) -> None:
        if self.server.silent or self.server.frozen:
            return
        try:
            events = self.h2.receive_data(data)
        except ProtocolError:
            self.flush()
            self.transport.close()
            return
        for ev in events:
            if isinstance(ev, RequestReceived):
                self._request(ev.stream_id, ev.headers)
            elif isinstance(ev, DataReceived):
                self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                if ev.stream_id in self.heads:
                    self.heads[ev.stream_id].body += ev.data
            elif isinstance(ev, StreamEnded):
                self._complete(ev.stream_id)
            elif isinstance(ev, WindowUpdated):
                for sid in list(self.sending):
                    self._pump(sid)
            elif isinstance(ev, StreamReset):
                self._forget(ev.stream_id)
            elif isinstance(ev, ConnectionTerminated):
                self.transport.close()
        self.flush()

    def _request(self, sid: int, headers: Any) -> None:
        pairs = {bytes(k).decode(): bytes(v).decode() for k, v in headers}
        self.received += 1
        server = self.server
        if self.last_id is not None and sid > self.last_id:
            return  # past our GOAWAY: not processed
        seen = Seen(pairs[":method"], pairs[":path"], pairs, connection=self.number)
        server.requests.append(seen)
        self.heads[sid] = seen
        self.open.add(sid)
        server.max_open = max(server.max_open, len(self.open))
        if server.goaway_after == self.received and self.number == 1:
            # Written past h2, whose state would close at its own GOAWAY and so refuse
            # to serve the streams this one promises to finish.
            self.last_id = sid
            self.flush()
            goaway = GoAwayFrame(0, last_stream_id=sid, error_code=server.goaway_code)
            self.transport.write(goaway.serialize())

    def _complete(self, sid: int) -> None:
        seen = self.heads.get(sid)
        if seen is None:
            return
        path = seen.path
        kind, _, arg = path.lstrip("/").partition("/")
        if kind == "hang":
            return
        if kind == "rst":
            self._reset(sid, ErrorCodes.INTERNAL_ERROR)
        elif kind == "refuse-once" and path not in self.server._refused:
            self.server._refused.add(path)
            self._reset(sid, ErrorCodes.REFUSED_STREAM)
        elif kind == "slow":
            later = asyncio.get_running_loop().call_later(int(arg) / 1000, self._answer, sid, seen)
            self.timers.append(later)
        else:
            self._answer(sid, seen)

    def _answer(self, sid: int, seen: Seen) -> None:
        kind, _, arg = seen.path.lstrip("/").partition("/")
        status, body, extra = 200, b"ok", []
        if kind == "status":
            status, body = int(arg), f"status {arg}".encode()
        elif kind == "bytes":
            body = b"x" * int(arg)
        elif kind == "json":
            body = b'{"ok": true}'
        elif kind == "echo":
            extra = [("x-length", str(len(seen.body)))]
        elif kind == "big-header":
            extra = [("x-big", "y" * int(arg))]
        head = [(":status", str(status)), ("content-length", str(len(body))), *extra]
        if sid not in self.open:
            return  # reset by the client meanwhile
        self.h2.send_headers(sid, head, end_stream=not body)
        if body:
            self.sending[sid] = memoryview(body)
            self._pump(sid)
        else:
            self._forget(sid)
        self.flush()

    def _pump(self, sid: int) -> None:
        data = self.sending[sid]
        while data:
            room = min(self.h2.local_flow_control_window(sid), self.h2.max_outbound_frame_size)
            if room <= 0:
                self.sending[sid] = data
                return
            self.h2.send_data(sid, data[:room].tobytes(), end_stream=len(data) <= room)
            data = data[room:]
        self._forget(sid)
        self.flush()

    def _reset(self, sid: int, code: ErrorCodes) -> None:
        self.h2.reset_stream(sid, code)
        self._forget(sid)

    def _forget(self, sid: int) -> None:
        self.open.discard(sid)
        self.heads.pop(sid, None)
        self.sending.pop(sid, None)
        if self.last_id is not None and not self.open:
            self.flush()
            self.transport.close()  # served every stream up to our GOAWAY

    def flush(self) -> None:
        if self.server.frozen:
            return
        data = self.h2.data_to_send()
        if data and not self.transport.is_closing():
            self.transport.write(data)

    def stop(self) -> None:
        for timer in self.timers:
            timer.cancel()
        with contextlib.suppress(Exception):
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in self.timers:
            timer.cancel()
