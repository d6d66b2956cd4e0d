"""A loopback HTTP/1.1 target that keeps every request it gets.

For tests of what goes on the wire (a clean Host header, Basic auth only when asked,
which Authorization won, the bytes of a body): `requests` holds each request's method,
target, headers and body as sent, duplicates kept. `POST /api/login` answers
`{"token": TOKEN}` as the demo target's login does; anything else gets 200 and a small
JSON body. Keep-alive and a thread per connection, so the engine's own pool and httpx
both talk to it as to a real server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from support.loopback import Background


@dataclass(frozen=True)
class Seen:
    method: str
    target: str  # the request-target: path and query
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def values(self, name: str) -> list[str]:
        """Every value sent under `name` (any case), in order."""
        return [v for k, v in self.headers if k.lower() == name.lower()]


class RecordingTarget(Background):
    def __init__(self, token: str = "token-0") -> None:
        self.token = token
        self.requests: list[Seen] = []
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="recording", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def seen(self, path: str) -> list[Seen]:
        """The requests whose path (before any query) is `path`."""
        with self._cond:
            return [r for r in self.requests if r.target.split("?")[0] == path]

    def wait_for(self, done: Callable[[list[Seen]], bool], timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: done(self.requests), timeout)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def _record(self, seen: Seen) -> None:
        with self._cond:
            self.requests.append(seen)
            self._cond.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        target = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # head and body are two writes: no 40 ms wait

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                target._record(Seen(self.command, self.path, tuple(self.headers.items()), body))
                data = {"token": target.token} if self.path == "/api/login" else {"ok": True}
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the test reads `requests`, not a log

        return Handler
