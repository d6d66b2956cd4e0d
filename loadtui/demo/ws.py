"""WebSocket endpoints of the demo target, on the HTTP port.

The HTTP protocol parses the handshake request with httptools, then hands the transport
to :class:`WsProtocol`, which drives websockets' Sans-I/O ``ServerProtocol``: bytes in via
``receive_data``, frames out via ``data_to_send``. No extra task per connection: pushes
are ``loop.call_at`` timers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import cast

from websockets.frames import Frame, Opcode
from websockets.http11 import Request as WsRequest
from websockets.http11 import Response
from websockets.protocol import OPEN
from websockets.server import ServerProtocol
from websockets.typing import Subprotocol

from loadtui.demo.http11 import Request
from loadtui.demo.protocol import Connection
from loadtui.demo.routes import BadParam, float_param, int_param

log = logging.getLogger("loadtui.demo.ws")

MAX_MESSAGE = 16 * 1024 * 1024
MAX_PUSH_RATE = 10_000.0
MAX_PUSH_SIZE = 1024 * 1024
MAX_BATCH = 100  # pushes sent by one timer callback when the loop fell behind


def _any_subprotocol(
    _protocol: ServerProtocol, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    """Accept whatever subprotocol a scenario asks for: the demo speaks them all alike."""
    return offered[0] if offered else None


class WsProtocol(asyncio.Protocol):
    """One upgraded connection: ``/ws/echo`` or ``/ws/push``."""

    def __init__(self, conns: set[Connection], request: Request) -> None:
        self.conns = conns
        self.request = request
        self.ws = ServerProtocol(
            max_size=MAX_MESSAGE, logger=log, select_subprotocol=_any_subprotocol
        )
        self.transport: asyncio.Transport | None = None
        self.push = False
        self.rate = 10.0
        self.pad = ""
        self.seq = 0
        self._ticks = 0
        self._t0 = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._paused = False

    # -- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.conns.add(self)
        # Replay the handshake request (already parsed by httptools) through the Sans-I/O
        # parser, so websockets validates it and steps its own state machine past it.
        req = self.request
        target = req.path + ("?" + req.query if req.query else "")
        head = [req.method, b" ", target.encode("latin-1"), b" HTTP/1.1\r\n"]
        for name, value in req.headers:
            head += (name, b": ", value, b"\r\n")
        head.append(b"\r\n")
        self.ws.receive_data(b"".join(head))
        events = self.ws.events_received()
        if events and isinstance(events[0], WsRequest):
            self.ws.send_response(self._handshake(events[0]))
        self._flush()
        if self.push and self.ws.state is OPEN:
            self._t0 = asyncio.get_running_loop().time()
            self._tick()

    def data_received(self, data: bytes) -> None:
        try:
            self.ws.receive_data(data)
        except EOFError:  # data after EOF: nothing to do but drop it
            return
        for event in self.ws.events_received():
            if isinstance(event, Frame) and not self.push:
                self._echo(event)
        self._flush()

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._flush()
        return None

    def pause_writing(self) -> None:
        # A client that stops reading: echo stops reading too; push skips its ticks.
        self._paused = True
        if not self.push and self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self._paused = False
        if not self.push and self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.conns.discard(self)

    # -- Connection --------------------------------------------------------------------

    def shutdown(self) -> None:
        """Say goodbye with a 1001 close frame, then close the socket."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.ws.state is OPEN:
            self.ws.send_close(1001, "server shutting down")
            self._flush()
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # -- internals ---------------------------------------------------------------------

    def _handshake(self, ws_request: WsRequest) -> Response:
        req = self.request
        if req.path == "/ws/push":
            params = req.params()
            try:
                self.rate = float_param(params, "rate", 10.0, 0.001, MAX_PUSH_RATE)
                self.pad = "x" * int_param(params, "size", 64, 0, MAX_PUSH_SIZE)
            except BadParam as exc:
                return self.ws.reject(400, f"{exc}\n")
            self.push = True
        elif req.path != "/ws/echo":
            return self.ws.reject(404, "no such WebSocket endpoint\n")
        return self.ws.accept(ws_request)

    def _echo(self, frame: Frame) -> None:
        """Echo frame by frame, so a long fragmented message is never held in memory."""
        if self.ws.state is not OPEN:  # a close frame arrived in the same read
            return
        opcode = frame.opcode
        if opcode is Opcode.TEXT:
            self.ws.send_text(frame.data, fin=frame.fin)
        elif opcode is Opcode.BINARY:
            self.ws.send_binary(frame.data, fin=frame.fin)
        elif opcode is Opcode.CONT:
            self.ws.send_continuation(frame.data, fin=frame.fin)

    def _tick(self) -> None:
        """Send the pushes due by now, then sleep until the next one is due."""
        self._timer = None
        if self.ws.state is not OPEN or self.transport is None or self.transport.is_closing():
            return
        loop = asyncio.get_running_loop()
        due = int((loop.time() - self._t0) * self.rate) + 1
        if due - self._ticks > MAX_BATCH:  # far behind (frozen loop): drop, don't burst
            self._ticks = due - MAX_BATCH
        now = time.time()
        while self._ticks < due:
            self._ticks += 1
            if not self._paused:
                self.seq += 1
                msg = f'{{"seq":{self.seq},"t":{now:.6f},"pad":"{self.pad}"}}'
                self.ws.send_text(msg.encode())
        self._flush()
        self._timer = loop.call_at(self._t0 + self._ticks / self.rate, self._tick)

    def _flush(self) -> None:
        transport = self.transport
        if transport is None:
            return
        for data in self.ws.data_to_send():
            if transport.is_closing():
                return
            if data:
                transport.write(data)
            else:  # SEND_EOF: a server closes TCP as soon as the closing handshake allows
                transport.close()
