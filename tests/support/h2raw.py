"""A raw HTTP/2 server on 127.0.0.1 that writes whatever frames a test scripts, faults
included, for the native client's frame layer (tests/http/test_h2_frames.py).

h2's server (h2server.py) cannot send what HTTP/2 forbids; this one sends any bytes. It
sends its SETTINGS (`settings`) on connect, acknowledges the client's, reads the client's
frames with hyperframe (every one is kept in `frames`, in order) and decodes each request
head with hpack. Once a request is whole (its END_STREAM), its path picks its script from
`scripts`: `script(conn, sid)` writes the answer with `conn.head(...)`, `conn.data(...)`
and `conn.write(...)` (raw bytes). A path with no script gets 200 and body `ok`; `/hang`
gets nothing. Response heads are encoded with the
connection's own hpack Encoder, which adds to the client's dynamic table as real
servers do.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hpack import Decoder, Encoder
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    HeadersFrame,
    SettingsFrame,
)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
Script = Callable[["RawConn", int], None]


@dataclass
class Received:
    """A frame from a client: its type name (`HEADERS`, `PING`...), flags, stream, frame."""

    kind: str
    flags: set[str]
    sid: int
    frame: Frame
    connection: int


@dataclass
class RawServer:
    scripts: dict[str, Script] = field(default_factory=dict)
    settings: dict[int, int] = field(default_factory=dict)
    connections: int = 0
    closed: int = 0  # connections the client closed or dropped
    paths: list[str] = field(default_factory=list)  # whole requests, in arrival order
    bodies: list[bytes] = field(default_factory=list)  # and their bodies
    frames: list[Received] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _conns: list[RawConn] = field(default_factory=list)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def got(self, kind: str) -> list[Received]:
        return [f for f in self.frames if f.kind == kind]

    async def __aenter__(self) -> RawServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: RawConn(self), "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for conn in self._conns:
            with contextlib.suppress(Exception):
                conn.transport.abort()
        await self._server.wait_closed()


class RawConn(asyncio.Protocol):
    def __init__(self, server: RawServer) -> None:
        self.server = server
        self.transport: Any = None
        self.number = 0
        self.encoder = Encoder()
        self.decoder = Decoder()
        self._buf = b""
        self._preface = False
        # A request head awaiting CONTINUATION: stream, block so far, END_STREAM seen.
        self._block: tuple[int, bytes, bool] | None = None
        self._open: dict[int, tuple[str, bytes]] = {}  # requests not whole yet: path, body

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.server.connections += 1
        self.number = self.server.connections
        self.server._conns.append(self)
        self.write(SettingsFrame(0, settings=self.server.settings).serialize())

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.closed += 1

    def write(self, *chunks: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(b"".join(chunks))

    def head(
        self,
        sid: int,
        headers: list[tuple[str, str]],
        *,
        end_stream: bool = False,
        pad: int | None = None,
        priority: bool = False,
    ) -> bytes:
        """A HEADERS frame carrying `headers`, encoded by this connection's encoder."""
        frame = HeadersFrame(sid, self.encoder.encode(headers))
        frame.flags.add("END_HEADERS")
        if end_stream:
            frame.flags.add("END_STREAM")
        if pad is not None:
            frame.flags.add("PADDED")
            frame.pad_length = pad
        if priority:
            frame.flags.add("PRIORITY")
            frame.depends_on, frame.stream_weight = 0, 15
        return frame.serialize()

    def data(
        self, sid: int, payload: bytes, *, end_stream: bool = True, pad: int | None = None
    ) -> bytes:
        frame = DataFrame(sid, payload)
        if end_stream:
            frame.flags.add("END_STREAM")
        if pad is not None:
            frame.flags.add("PADDED")
            frame.pad_length = pad
        return frame.serialize()

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if not self._preface:
            if len(self._buf) < len(PREFACE):
                return
            assert self._buf.startswith(PREFACE), self._buf[:24]
            self._buf = self._buf[len(PREFACE) :]
            self._preface = True
        while len(self._buf) >= 9:
            frame, length = Frame.parse_frame_header(memoryview(self._buf[:9]))
            if len(self._buf) < 9 + length:
                return
            frame.parse_body(memoryview(self._buf[9 : 9 + length]))
            self._buf = self._buf[9 + length :]
            self._frame(frame)

    def _frame(self, frame: Frame) -> None:
        kind = type(frame).__name__.removesuffix("Frame").upper()
        kind = {"WINDOWUPDATE": "WINDOW_UPDATE", "RSTSTREAM": "RST_STREAM"}.get(kind, kind)
        received = Received(kind, set(frame.flags), frame.stream_id, frame, self.number)
        self.server.frames.append(received)
        if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
            ack = SettingsFrame(0)
            ack.flags.add("ACK")
            self.write(ack.serialize())
        elif isinstance(frame, HeadersFrame):
            self._block = (frame.stream_id, frame.data, "END_STREAM" in frame.flags)
        elif isinstance(frame, ContinuationFrame) and self._block is not None:
            sid, block, ended = self._block
            self._block = (sid, block + frame.data, ended)
        elif isinstance(frame, DataFrame) and frame.stream_id in self._open:
            path, body = self._open[frame.stream_id]
            self._open[frame.stream_id] = (path, body + frame.data)
        ended = "END_STREAM" in frame.flags
        if self._block is not None and "END_HEADERS" in frame.flags:
            sid, block, ended = self._block
            self._block = None
            head = dict(self.decoder.decode(block, raw=True))
            self._open[sid] = (head[b":path"].decode(), b"")
        if ended and frame.stream_id in self._open:
            self._request(frame.stream_id, *self._open.pop(frame.stream_id))

    def _request(self, sid: int, path: str, body: bytes) -> None:
        self.server.paths.append(path)
        self.server.bodies.append(body)
        script = self.server.scripts.get(path)
        if script is not None:
            script(self, sid)
        elif path != "/hang":
            self.write(self.head(sid, [(":status", "200")]), self.data(sid, b"ok"))
