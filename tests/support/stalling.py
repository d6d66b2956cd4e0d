"""A loopback HTTP/1.1 target that answers some requests and never answers the others.

Requests whose path starts with `/ok` get `200` with an empty body (keep-alive); every
other request is read and then left hanging until the client gives up or the server
stops, as a target that accepts connections and then stalls. `silent=True` hangs every
request. It runs on its own thread and loop, so in-process engines and `loadtui run`
subprocesses can both be aimed at it; `wait_hung(n)` lets a test wait for a condition
instead of sleeping.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


class StallingTarget:
    def __init__(self, *, silent: bool = False) -> None:
        self.silent = silent
        self.answered = 0
        self.hung = 0  # requests read and never answered
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="stalling-target", daemon=True)
        self._server: asyncio.Server | None = None
        self._stop: asyncio.Event | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> StallingTarget:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the stalling target did not start")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def wait_hung(self, n: int, timeout: float = 10.0) -> bool:
        """True once at least `n` requests are hanging (False after `timeout`)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.hung >= n, timeout)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        handlers: set[asyncio.Task[None]] = set()

        async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            handlers.add(task)
            try:
                await self._conversation(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
                pass
            finally:
                handlers.discard(task)
                writer.close()

        self._server = await asyncio.start_server(client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        self._server.close()
        for task in list(handlers):
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    async def _conversation(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
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
