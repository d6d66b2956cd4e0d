"""A pre-fork HTTP server for target-watching tests, shaped like gunicorn: a parent that
binds one listening socket on loopback and forks worker processes that all accept on it.

`GET /leak` makes the serving worker allocate and keep `--leak-mb` MiB (touched, so it
counts in RSS), at most `--leak-max` times per worker so a runaway loop stays bounded;
any other path answers a few bytes.

Run as a script (stdlib only): prints the port once every worker is forked. The
`prefork_server` context manager starts it in its own session and kills the whole
process group on the way out, whatever happened.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MiB = 1024 * 1024


def _serve(sock: socket.socket, leak_mb: int, leak_max: int) -> None:
    kept: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path == "/leak" and len(kept) < leak_max:
                kept.append(b"\x01" * (leak_mb * MiB))
            body = str(os.getpid()).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(sock.getsockname(), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock  # the parent's listening socket, shared by every worker
    server.daemon_threads = True
    server.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--leak-mb", type=int, default=30)
    ap.add_argument("--leak-max", type=int, default=2)
    args = ap.parse_args()
    sock = socket.create_server(("127.0.0.1", 0), backlog=128)
    workers = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            try:
                _serve(sock, args.leak_mb, args.leak_max)
            finally:
                os._exit(0)
        workers.append(pid)

    def stop(_sig: int, _frame: object) -> None:
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    print(sock.getsockname()[1], flush=True)
    while True:
        os.wait()  # a worker that dies is not replaced: tests see it drop out


@dataclass(frozen=True)
class PreforkServer:
    url: str
    pid: int  # the parent
    proc: subprocess.Popen[str]


@contextmanager
def prefork_server(*, workers: int = 2, leak_mb: int = 30) -> Iterator[PreforkServer]:
    """The server running, its workers forked; every process killed on exit."""
    import psutil

    proc = subprocess.Popen(
        [sys.executable, __file__, "--workers", str(workers), "--leak-mb", str(leak_mb)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: one killpg ends parent and workers
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        # Workers are forked before the port is printed: they are all there now.
        assert len(psutil.Process(proc.pid).children()) == workers
        yield PreforkServer(f"http://127.0.0.1:{port}", proc.pid, proc)
    finally:
        kill_group(proc)


def kill_group(proc: subprocess.Popen[str]) -> None:
    """Kill a process started with `start_new_session=True` and everything it forked."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()


if __name__ == "__main__":
    main()
