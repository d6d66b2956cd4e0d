"""One WebSocket session's schedule and figures, driven by callbacks, not by a Task.

Once the connection is open, a session sends its `on_connect` messages, then its
stream's SendClock (ws_clock.py) wakes it for each send, and a timer of its own for its
end; the connection calls `message` for each message that comes back. What `message`
times depends on `expect`: echoes (FIFO per connection), correlated replies (by a JSON
field), the gaps of a pushed stream, or nothing but counts. Thousands of sessions live
at once: slots, and no per-message allocation beyond the frame itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from time import perf_counter
from typing import TYPE_CHECKING

from websockets.client import ClientProtocol

from loadtui.engine.calls import UserState
from loadtui.engine.ws_connection import WsConnection
from loadtui.engine.ws_messages import encode_message, field_of, reply_key
from loadtui.scenario.model import WsMessage

if TYPE_CHECKING:
    from loadtui.engine.websocket import StreamPlan

PAUSED_POLL_S = 0.25  # how often a paused session looks whether the run resumed
TIMER_SLACK_S = 0.002  # a timer may fire this early (the loop's clock is in ms) and count
NORMAL_CLOSES = frozenset({1000, 1001})
# Close codes that name what went wrong with the messages (either side may send them).
CLOSE_ERRORS = {1002: "protocol error", 1007: "invalid data", 1009: "message too big"}
INF = float("inf")


class Session:
    """expect = "none": messages are counted, nothing is timed."""

    __slots__ = (
        "conn",
        "end",
        "every",
        "failed",
        "first",
        "n",
        "next_send",
        "plan",
        "planned",
        "rec",
        "seq",
        "timer",
        "user",
    )

    def __init__(
        self,
        plan: StreamPlan,
        user: UserState,
        n: int,
        ws: ClientProtocol,
        headers: Sequence[tuple[str, str]],
    ) -> None:
        self.plan = plan
        self.rec = plan.rec
        self.user = user
        self.n = n
        self.conn = WsConnection(ws, headers, plan.spec.ping, self.message, self.closing)
        self.seq = 0
        self.first = True
        self.failed = False  # why the connection failed is counted (once a session)
        self.planned = False  # the session ended as planned: its duration, or a stop
        self.timer: asyncio.TimerHandle | None = None  # the session's end
        self.end = INF
        self.every = 0.0
        self.next_send = INF

    # -- the session's life ------------------------------------------------------------

    def start(self) -> None:
        """The connection is open: send the `on_connect` messages, then keep time."""
        spec = self.plan.spec
        for msg in spec.on_connect:
            self._send(msg)
        opened = self.conn.opened_at
        if spec.duration:
            self.end = opened + spec.duration
            loop = asyncio.get_running_loop()
            self.timer = loop.call_later(self.end - perf_counter(), self._end)
        if spec.send is not None and spec.every > 0:
            clock = self.plan.clock
            self.every = spec.every
            self.next_send = opened + self.every * clock.spread()  # then every `every`
            clock.at(self.next_send, self._tick)

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def closing(self) -> None:
        """The connection left the open state: name a failure now, not after the server
        takes its time to hang up."""
        self.stop()
        self._close_errors()

    def finish(self) -> bool:
        """Count how the session ended; True when it ended as planned, closed normally."""
        conn, rec = self.conn, self.rec
        self._close_errors()
        unanswered = self.unanswered()
        if unanswered:
            rec.error(f"no reply ({unanswered} at close)")
        code = conn.close_code()
        clean = self.planned and code in NORMAL_CLOSES
        rec.closed(code, not clean)
        return clean

    def _close_errors(self) -> None:
        """Count why either side failed the connection over its messages (a frame
        breaking the protocol, text that is not UTF-8, a message over the size limit),
        once a session."""
        if self.failed:
            return
        for code in sorted(self.conn.close_codes() & CLOSE_ERRORS.keys()):
            self.rec.error(CLOSE_ERRORS[code])
            self.failed = True

    # -- sending on schedule -----------------------------------------------------------

    def _end(self) -> None:
        self.timer = None
        self.planned = True
        self.conn.close(1000)

    def _tick(self) -> None:
        """A send is due (or, paused, a look whether the run resumed)."""
        conn = self.conn
        if not conn.open:  # a wake left over from a session that ended
            return
        now = perf_counter()
        gate = self.plan.gate
        if gate is not None and gate.paused:  # keep the session, send nothing
            self.next_send = max(self.next_send, now + PAUSED_POLL_S)
        elif now + TIMER_SLACK_S >= self.next_send:
            send = self.plan.spec.send
            # Not in the end's last moments; not to a server that stopped reading.
            if send is not None and now + TIMER_SLACK_S < self.end and conn.writable:
                self._send(send)
            every = self.every
            self.next_send = max(self.next_send + every, perf_counter() - every)
        if self.next_send < self.end:
            self.plan.clock.at(self.next_send, self._tick)

    def _send(self, msg: WsMessage) -> None:
        conn = self.conn
        if not conn.open:
            return
        self.seq += 1
        try:
            data, text = encode_message(msg, self.user, self.seq, self.n)
        except KeyError as exc:
            self.rec.error(f"missing variable: {exc.args[0]}")
            return
        self.track(msg, data, perf_counter())
        conn.send(data, text)
        self.rec.sent(len(data))

    # -- what each kind of session does with messages ----------------------------------

    def track(self, msg: WsMessage, data: bytes, now: float) -> None:
        """A message is about to go at `now`: remember what its answer is timed from."""

    def unanswered(self) -> int:
        return 0

    def message(self, payload: bytes, text: bool) -> None:
        self._count(len(payload), perf_counter())

    def _count(self, size: int, now: float) -> None:
        self.rec.received(size)
        if self.first:
            self.first = False
            # From the handshake's end: a message may come before `start` (in its packet).
            self.rec.first_message(int((now - self.conn.opened_at) * 1e6))


class EchoSession(Session):
    """expect = "echo": each message is the echo of the oldest one unanswered."""

    __slots__ = ("fifo",)

    def __init__(
        self,
        plan: StreamPlan,
        user: UserState,
        n: int,
        ws: ClientProtocol,
        headers: Sequence[tuple[str, str]],
    ) -> None:
        super().__init__(plan, user, n, ws, headers)
        # A list, not a deque: an empty deque costs ~600 bytes, times 10,000 sessions.
        self.fifo: list[float] = []

    def track(self, msg: WsMessage, data: bytes, now: float) -> None:
        self.fifo.append(now)

    def unanswered(self) -> int:
        return len(self.fifo)

    def message(self, payload: bytes, text: bool) -> None:
        now = perf_counter()
        self._count(len(payload), now)
        fifo = self.fifo
        if fifo:
            self.rec.rtt(int((now - fifo.pop(0)) * 1e6))
        else:
            self.rec.error("unexpected message")


class ReplySession(Session):
    """expect = "reply": a reply carries its request's value of the reply field."""

    __slots__ = ("keyed",)

    def __init__(
        self,
        plan: StreamPlan,
        user: UserState,
        n: int,
        ws: ClientProtocol,
        headers: Sequence[tuple[str, str]],
    ) -> None:
        super().__init__(plan, user, n, ws, headers)
        self.keyed: dict[str, float] = {}

    def track(self, msg: WsMessage, data: bytes, now: float) -> None:
        if msg is self.plan.spec.send:
            key = reply_key(msg, data, self.plan.reply_field)
            if key is not None:
                self.keyed[key] = now

    def unanswered(self) -> int:
        return len(self.keyed)

    def message(self, payload: bytes, text: bool) -> None:
        now = perf_counter()
        self._count(len(payload), now)
        key = field_of(payload, self.plan.reply_field)
        if key is None:  # not a reply (a push, another user's message): fine
            return
        sent = self.keyed.pop(key, None)
        if sent is None:
            self.rec.error("unmatched reply")
        else:
            self.rec.rtt(int((now - sent) * 1e6))


class StreamSession(Session):
    """expect = "stream": the server pushes; the gaps between its messages are timed."""

    __slots__ = ("last_rx",)

    def __init__(
        self,
        plan: StreamPlan,
        user: UserState,
        n: int,
        ws: ClientProtocol,
        headers: Sequence[tuple[str, str]],
    ) -> None:
        super().__init__(plan, user, n, ws, headers)
        self.last_rx = 0.0

    def message(self, payload: bytes, text: bool) -> None:
        now = perf_counter()
        self._count(len(payload), now)
        if self.last_rx:
            self.rec.gap(int((now - self.last_rx) * 1e6))
        self.last_rx = now


SESSIONS: dict[str, type[Session]] = {
    "none": Session,
    "echo": EchoSession,
    "reply": ReplySession,
    "stream": StreamSession,
}
