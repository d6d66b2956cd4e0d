"""A loopback HTTP/1.1 target that answers some requests and never answers the others.

Requests whose path starts with `/ok` get `200` with an empty body (keep-alive); every
other request is read and then left hanging until the client gives up or the server
stops, as a target that accepts connections and then stalls. `silent=True` hangs every
request. `wait_hung(n)` lets a test wait for a condition instead of sleeping.
"""

from __future__ import annotations

import asyncio
import threading

from support.loopback import Background, Counters, LoopbackServer
from support.waits import GUARD_S

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
LIFETIME_S = 300.0  # a hang guard: far past any test's own timeout


class StallingTarget(Background):
    def __init__(self, *, silent: bool = False) -> None:
        self.silent = silent
        self.answered = 0
        self.hung = 0  # requests read and never answered
        self._cond = threading.Condition()
        self._server = LoopbackServer(self._conversation, LIFETIME_S, "stalling-target")

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> None:
        self._server.start()

    def close(self) -> None:
        self._server.close()

    def wait_hung(self, n: int, timeout: float = GUARD_S) -> bool:
        """True once at least `n` requests are hanging (False after `timeout`)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.hung >= n, timeout)

    async def _conversation(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Counters
    ) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1]
            if self.silent or not path.startswith(b"/ok"):
                with self._cond:
                    self.hung += 1
                    self._cond.notify_all()
                await reader.read()  # hold the connection until the client closes it
                return
            writer.write(OK)
            await writer.drain()
            with self._cond:
                self.answered += 1
