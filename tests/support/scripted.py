"""A loopback HTTP/1.1 target that plays a script, so a run's totals are known in advance.

The n-th request it reads (over all connections, in arrival order) gets the script's
n-th reply; every request past the script's end gets a response that never ends (its
head, then a body byte every DRIP_S: it neither completes nor times out), so a run
against it settles with each user's last request in flight. Stopped then, every
request is accounted for by the script alone, whatever the timing: `until_parked(n)`
lets a test wait for that instead of sleeping. A "held" reply waits for `release()`
before it answers, so a test can act while a request is known to be out. The waits
yield to the caller's event loop, where the code under test runs.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading

from support.loopback import Background, Counters, LoopbackServer
from support.waits import wait_for

LIFETIME_S = 120.0  # a hang guard: far past any test's own timeout
DRIP_S = 0.05

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
ERROR = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops"
PART = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10  # 10 of 100 bytes
ENDLESS = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"
REFUSED = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0.1\r\nContent-Length: 0\r\n\r\n"

# Each reply: what the client sees, and the error kind it counts (None: a success).
REPLIES: dict[str, str | None] = {
    "ok": None,
    "held": None,  # "ok" once the test calls release()
    "429": None,  # rate-limited, Retry-After 0.1 s: neither a request nor a failure
    "double": None,  # "ok" twice in one write: the second answers nothing that was asked
    "500": "HTTP 500",
    "close-mid-body": "closed",  # 10 of 100 body bytes, then FIN
    "garbage": "protocol",  # bytes that are not HTTP
    "silent": "read_timeout",  # nothing, connection held open
    "close": "closed",  # FIN before any byte (retried once on a reused connection)
    "reset": "reset",  # RST before any byte (retried once on a reused connection)
}


def expected_errors(script: list[str]) -> dict[str, int]:
    """Error kinds a script's replies count (when none is retried)."""
    out: dict[str, int] = {}
    for reply in script:
        kind = REPLIES[reply]
        if kind is not None:
            out[kind] = out.get(kind, 0) + 1
    return out


def _rst(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class ScriptedTarget(Background):
    def __init__(self, script: list[str]) -> None:
        unknown = set(script) - set(REPLIES)
        if unknown:
            raise ValueError(f"no such replies: {sorted(unknown)}")
        self.script = list(script)
        self.served = 0  # requests read, the parked ones included
        self.parked = 0  # requests past the script, held with an endless response
        self.holding = 0  # "held" replies reached
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._conversation, LIFETIME_S, "scripted-target")

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> None:
        self._server.start()

    def close(self) -> None:
        self._server.close()

    async def until_parked(self, n: int = 1) -> None:
        """Once `n` requests are past the script and held (fails the test after a guard)."""
        await wait_for(lambda: self.parked >= n, what=f"{n} requests past the script")

    async def until_holding(self, n: int = 1) -> None:
        """Once `n` "held" replies wait for `release()` (fails the test after a guard)."""
        await wait_for(lambda: self.holding >= n, what=f'{n} "held" replies reached')

    def release(self) -> None:
        """Let every "held" reply answer, now and from now on."""
        self._released.set()

    def _next(self) -> str | None:
        with self._lock:
            n = self.served
            self.served += 1
            if n < len(self.script):
                return self.script[n]
            self.parked += 1
            return None

    async def _hold(self) -> None:
        with self._lock:
            self.holding += 1
        while not self._released.is_set():
            await asyncio.sleep(0.005)

    async def _conversation(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Counters
    ) -> None:
        while True:
            try:
                await reader.readuntil(b"\r\n\r\n")  # tests send no request bodies
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            reply = self._next()
            if reply is None:
                writer.write(ENDLESS)
                while True:  # until the client goes (the write fails) or the server stops
                    await asyncio.sleep(DRIP_S)
                    writer.write(b"x")
                    await writer.drain()
            elif reply == "ok":
                writer.write(OK)
            elif reply == "held":
                await self._hold()
                writer.write(OK)
            elif reply == "429":
                writer.write(REFUSED)
            elif reply == "double":
                writer.write(OK + OK)
            elif reply == "500":
                writer.write(ERROR)
            elif reply == "close-mid-body":
                writer.write(PART)
                await writer.drain()
                return
            elif reply == "garbage":
                writer.write(b"\x00\xffNOT HTTP\r\n\r\n")
                await reader.read()  # held until the client gives up on it
                return
            elif reply == "silent":
                await reader.read()
                return
            elif reply == "reset":
                _rst(writer)
                return
            else:  # "close"
                return
            await writer.drain()
