"""Test servers on 127.0.0.1 that run beside the code under test, each on its own thread
and event loop, so in-process engines and `loadtui` subprocesses alike can be aimed at
them. `with server:` starts one and stops it when the block ends, however it ends."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Self


class Background:
    """`with thing:` calls `thing.start()`, and `thing.close()` when the block ends."""

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Counters:
    """What a server has done so far (written on its thread, read from any)."""

    def __init__(self) -> None:
        self.connections = 0
        self.bytes_sent = 0


# A connection's handler, given the serving server's counters.
ConnHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, Counters], Awaitable[None]]


class LoopbackServer(Background):
    """One connection handler on 127.0.0.1; stops at `close()` or after `lifetime` s.
    A handler ends quietly when the client goes or the server stops."""

    def __init__(
        self,
        handler: ConnHandler,
        lifetime: float,
        name: str,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.handler = handler
        self.lifetime = lifetime
        self.ssl = tls
        self.port = 0
        self.counters = Counters()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"{self._thread.name} did not start")

    def close(self) -> None:
        if self._stop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop ended on its own meanwhile
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        # Failed TLS handshakes and resets are the point of many tests, not news.
        self._loop.set_exception_handler(lambda loop, context: None)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            # A client accepted as the server stopped may not have run yet: end it here,
            # on a loop still open, rather than in the garbage collector after it closed.
            left = asyncio.all_tasks(self._loop)
            for task in left:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        handlers: set[asyncio.Task[None]] = set()

        async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            handlers.add(task)
            self.counters.connections += 1
            try:
                await self.handler(reader, writer, self.counters)
            except (OSError, EOFError, asyncio.CancelledError):
                pass  # the client went, or the server is stopping
            finally:
                handlers.discard(task)
                writer.close()

        server = await asyncio.start_server(client, "127.0.0.1", 0, ssl=self.ssl)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), self.lifetime)
        server.close()
        for task in list(handlers):
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses connections for as long as the block runs: bound,
    never listening. Holding it keeps a parallel test's server from taking the port (a
    port merely closed a moment ago can be, and then it answers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]
