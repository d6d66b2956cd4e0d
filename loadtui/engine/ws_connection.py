"""One WebSocket client connection on our own asyncio Protocol: no Task, no stream reader.

websockets' Sans-I/O `ClientProtocol` does the opening and closing handshakes and
everything unusual: control frames, fragments, compression, protocol errors, size limits.
The common frames, a whole unfragmented text or binary message either way, take a short
path instead: sent ones are built by ws_frames, received ones are cut out of the byte
stream here and handed to `on_message` as they arrive. So that the Sans-I/O parser stays
in step, it is only ever fed whole frames (or the rest of a frame it began): it always
sits at a frame boundary when the short path reads. Once its parser discards input (a
close frame came, or the connection failed), everything goes to it as is; with
compression on, from the start.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from time import perf_counter
from typing import cast

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import CONNECTING, OPEN

from loadtui.engine.ws_frames import BINARY, TEXT, client_frame, frame_head

CLOSE_TIMEOUT_S = 2.0  # after a close frame, how long the server has to hang up
PONG_GRACE_S = 0.005  # a ping found unanswered when the next is due is judged this later
NO_CLOSE_FRAME = 1006
END_OF_HEAD = b"\r\n\r\n"

OnMessage = Callable[[bytes, bool], None]  # (payload, is text)


class WsConnection(asyncio.Protocol):
    """A client connection: `opened` resolves when the handshake is done (or fails with
    the reason), `done` when the connection is gone. `on_closing` is called once, when
    the connection leaves the open state (either side closed, or it failed)."""

    __slots__ = (
        "_close_timer",
        "_framing",
        "_head_seen",
        "_headers",
        "_held",
        "_max_size",
        "_need",
        "_on_closing",
        "_on_message",
        "_parts",
        "_parts_text",
        "_ping_every",
        "_ping_late",
        "_ping_out",
        "_ping_timer",
        "_plain",
        "_slow_left",
        "_whole",
        "done",
        "open",
        "opened",
        "opened_at",
        "transport",
        "writable",
        "ws",
    )

    def __init__(
        self,
        ws: ClientProtocol,
        headers: Sequence[tuple[str, str]],
        ping_every: float | None,
        on_message: OnMessage,
        on_closing: Callable[[], None],
    ) -> None:
        loop = asyncio.get_running_loop()
        self.ws = ws
        self.opened: asyncio.Future[None] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()
        self.opened_at = 0.0
        self.transport: asyncio.Transport | None = None
        self.open = False  # the handshake is done and no close frame went either way
        self.writable = True  # False while the transport's write buffer is over its limit
        self._headers = headers  # sent with the handshake request, then let go
        self._ping_every = ping_every
        self._on_message = on_message
        self._on_closing = on_closing
        self._max_size = ws.max_message_size if ws.max_message_size is not None else 1 << 62
        self._framing = False  # True: this class cuts frames (see the module's docstring)
        self._plain = False  # no extension negotiated: frames are sent as built here
        self._whole = True  # no fragmented message is in progress
        self._head_seen = False  # the end of the handshake response's head was read
        self._held = bytearray()  # an incomplete frame (during the handshake: a tail)
        self._need = 0  # bytes `_held` must reach before it is worth reading again
        self._slow_left = 0  # bytes of a frame still owed to the Sans-I/O parser
        self._parts: list[bytes] | None = None  # fragments of a message in progress
        self._parts_text = False
        self._ping_out: bytes | None = None  # the keepalive ping awaiting its pong
        self._ping_timer: asyncio.TimerHandle | None = None
        self._ping_late = False  # the next ping fell due with one unanswered: judged soon
        self._close_timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        request = self.ws.connect()
        request.headers.update(self._headers)
        self._headers = ()
        self.ws.send_request(request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        if not self._framing:
            if self.ws.state is CONNECTING:
                self._handshake(data)
            else:
                self._to_protocol(data)
            return
        left = self._slow_left
        if left:
            if len(data) <= left:
                self._slow_left = left - len(data)
                self._to_protocol(data)
                return
            self._slow_left = 0
            self._to_protocol(data[:left])
            data = data[left:]
            if not self._framing:
                self._to_protocol(data)
                return
        held = self._held
        if held:
            held += data
            if len(held) < self._need:
                return
            data = bytes(held)
            del held[:]
        self._frames(data)

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._after()
        self._handshake_failed()
        return None  # the transport closes itself

    def pause_writing(self) -> None:
        self.writable = False

    def resume_writing(self) -> None:
        self.writable = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self._cancel_timers()
        if not self.opened.done():
            self.opened.set_exception(self.ws.handshake_exc or exc or EOFError("connection lost"))
        if not self.done.done():
            self.done.set_result(None)

    # -- what a session does -----------------------------------------------------------

    def send(self, payload: bytes, text: bool) -> None:
        """Send one message (the caller checks `open` first)."""
        transport = self.transport
        assert transport is not None
        if self._plain:
            transport.write(client_frame(TEXT if text else BINARY, payload))
        elif text:
            self.ws.send_text(payload)
            self._flush()
        else:
            self.ws.send_binary(payload)
            self._flush()

    def close(self, code: int) -> None:
        """Start the closing handshake (the server then hangs up, or is hung up on after
        CLOSE_TIMEOUT_S)."""
        if self.ws.state is OPEN:
            self.ws.send_close(code)
            self._after()

    def fail(self, code: int, reason: str) -> None:
        """Fail the connection: a close frame with `code`, then nothing more is read."""
        self._framing = False
        del self._held[:]
        self.ws.fail(code, reason)
        self._after()

    def abort(self) -> None:
        """Drop the connection now (a handshake given up on, a close cut short)."""
        self._cancel_timers()
        self.open = False
        self.opened.cancel()  # nobody waits for it any more
        if self.transport is not None and not self.done.done():
            self.transport.abort()

    def close_code(self) -> int:
        """The code that ended the session: the peer's close frame, else ours (e.g. 1009
        when we refused an oversized message), else 1006 (the connection just dropped)."""
        frame = self.ws.close_rcvd or self.ws.close_sent
        return int(frame.code) if frame is not None else NO_CLOSE_FRAME

    def close_codes(self) -> set[int]:
        """The codes of the close frames sent and received so far."""
        return {int(f.code) for f in (self.ws.close_sent, self.ws.close_rcvd) if f is not None}

    # -- the opening handshake ---------------------------------------------------------

    def _handshake(self, data: bytes) -> None:
        """Feed the response to the Sans-I/O protocol, but not a byte past its head: what
        follows a 101 is frames, which this class cuts itself."""
        ws = self.ws
        rest = b""
        if not self._head_seen:
            tail = bytes(self._held)  # the last bytes of the previous read
            at = (tail + data).find(END_OF_HEAD)
            if at < 0:
                self._held[:] = (tail + data)[-3:]
            else:
                cut = at + len(END_OF_HEAD) - len(tail)
                data, rest = data[:cut], data[cut:]
                del self._held[:]
                self._head_seen = True
        ws.receive_data(data)
        ws.events_received()  # the response: its verdict is the state or handshake_exc
        self._flush()
        if ws.state is OPEN:
            self._opened()
            if rest:
                self.data_received(rest)
        elif rest and ws.handshake_exc is None:  # a refusal's body
            ws.receive_data(rest)
            ws.events_received()
            self._flush()
        self._handshake_failed()

    def _opened(self) -> None:
        self.opened_at = perf_counter()
        self.open = True
        self._plain = self._framing = not self.ws.extensions
        if not self.opened.done():
            self.opened.set_result(None)
        if self._ping_every:
            loop = asyncio.get_running_loop()
            self._ping_timer = loop.call_later(self._ping_every, self._ping)

    def _handshake_failed(self) -> None:
        exc = self.ws.handshake_exc
        if exc is not None and not self.opened.done():
            self.opened.set_exception(exc)

    # -- frames ------------------------------------------------------------------------

    def _frames(self, data: bytes) -> None:
        """Deliver the whole short-path frames in `data`, pass every other frame to the
        Sans-I/O parser, and hold an incomplete frame until the rest comes."""
        pos, end = 0, len(data)
        while pos < end:
            head = frame_head(data, pos, end)
            if head is None:
                self._held += data[pos:]
                self._need = end - pos + 1
                return
            start = pos + head[0]
            stop = start + head[1]
            first = data[pos]
            if (
                first in (TEXT, BINARY)
                and data[pos + 1] < 0x80  # not masked
                and head[1] <= self._max_size
                and self._whole
            ):
                if stop > end:
                    self._held += data[pos:]
                    self._need = stop - pos
                    return
                self._deliver(data[start:stop], first == TEXT)
                pos = stop
                if not self._framing:  # the message failed the connection
                    return
                continue
            if stop > end:
                self._slow_left = stop - end
                self._to_protocol(data[pos:])
                return
            self._to_protocol(data[pos:stop])
            pos = stop
            if not self._framing:
                if pos < end:
                    self._to_protocol(data[pos:])
                return

    def _to_protocol(self, data: bytes) -> None:
        self.ws.receive_data(data)
        self._after()

    def _after(self) -> None:
        """After the Sans-I/O protocol moved: its frames, its output, its state."""
        ws = self.ws
        for event in ws.events_received():
            if isinstance(event, Frame):
                self._event(event)
        self._flush()
        if ws.close_rcvd is not None or ws.parser_exc is not None:
            self._framing = False  # its parser now discards what comes
        self._whole = ws.current_size is None
        if self.open and ws.state is not OPEN:
            self.open = False
            self._on_closing()
            if self._close_timer is None and self.transport is not None:
                loop = asyncio.get_running_loop()
                self._close_timer = loop.call_later(CLOSE_TIMEOUT_S, self.abort)

    def _event(self, frame: Frame) -> None:
        op = frame.opcode
        if op is Opcode.TEXT or op is Opcode.BINARY:
            if frame.fin:
                self._deliver(bytes(frame.data), op is Opcode.TEXT)
            else:
                self._parts, self._parts_text = [bytes(frame.data)], op is Opcode.TEXT
        elif op is Opcode.CONT:
            parts = self._parts
            if parts is not None:  # the parser checks fragments come in order
                parts.append(bytes(frame.data))
                if frame.fin:
                    self._parts = None
                    self._deliver(b"".join(parts), self._parts_text)
        elif op is Opcode.PONG:
            self._ping_out = None

    def _deliver(self, payload: bytes, text: bool) -> None:
        if text:
            try:
                payload.decode()
            except UnicodeDecodeError as exc:
                self.fail(1007, f"{exc.reason} at position {exc.start}")
                return
        self._on_message(payload, text)

    def _flush(self) -> None:
        transport = self.transport
        if transport is None:
            return
        for data in self.ws.data_to_send():
            if transport.is_closing():
                return
            if data:
                transport.write(data)
            else:  # end of stream: the closing handshake is over, or the opening failed
                transport.close()

    # -- keepalive and timers ----------------------------------------------------------

    def _ping(self) -> None:
        """Ping every `ping_every` seconds; a ping still unanswered at the next one fails
        the connection, as websockets' own keepalive does.

        Not at once: a loop runs its due timers before it reads its sockets, so after a
        stall of the generator's own (longer than the interval) the next ping falls due
        before the pong that came meanwhile is read. It is judged PONG_GRACE_S later,
        once the loop has read what arrived: the generator's lag is not the server's."""
        self._ping_timer = None
        if not self.open or self._ping_every is None:
            return
        loop = asyncio.get_running_loop()
        if self._ping_out is not None:
            if not self._ping_late:
                self._ping_late = True
                self._ping_timer = loop.call_later(PONG_GRACE_S, self._ping)
                return
            self.fail(1011, "keepalive ping timeout")
            return
        self._ping_late = False
        self._ping_out = payload = os.urandom(4)
        self.ws.send_ping(payload)
        self._flush()
        self._ping_timer = loop.call_later(self._ping_every, self._ping)

    def _cancel_timers(self) -> None:
        for timer in (self._ping_timer, self._close_timer):
            if timer is not None:
                timer.cancel()
        self._ping_timer = self._close_timer = None
