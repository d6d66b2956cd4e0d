"""A misbehaving HTTP target on 127.0.0.1: one fault per mode, for tests and bench/faults.py.

Interface (shared with `faulty_ws.py`, so a bench can drive both alike):
- `MODES`: name -> `Mode` (what the server does, the error kinds a run shows, how long a
  run needs to show them);
- `serve(mode)`: a context manager that starts a server playing that mode and yields a
  `Served` whose `url` is the target to aim at (its scheme may differ from what the
  server speaks: that is the fault in the TLS/plain modes);
- `scenario(mode, url)`: a scenario text (TOML) for `loadtui run` against it: short
  timeouts, and a body check so bodies are kept (`keep_body=False` drops the check).

The server runs on its own thread and event loop, so in-process engines and `loadtui
run` subprocesses can both be aimed at it. It is bounded: every connection ends when the
client goes, and the whole server stops by itself after `lifetime` seconds (endless
modes write only as fast as the client reads, so its own memory stays flat too).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from support import scenarios as builder
from support.loopback import ConnHandler, Counters, LoopbackServer

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

# What `scenario` gives the target (seconds), unless the mode says otherwise: limits
# that a busy machine's own stalls do not reach, so a mode shows its own kind and not a
# timeout (a 1 s total once turned a slow 1 MiB header block into "timeout"). The modes
# that are about a limit set it short themselves.
TIMEOUTS = {"connect": 3.0, "read": 5.0, "total": 10.0}
SHORT_TOTAL = 1.0  # a total limit for runs that wait for it (an endless body nobody keeps)
BODY = b"ok"


class ModeUnavailable(RuntimeError):
    """This machine cannot play the mode (no openssl CLI, a kernel that never fills a
    listen backlog); tests skip on it."""


@dataclass(frozen=True)
class Mode:
    name: str
    doc: str
    expect: frozenset[str]  # error kinds a run with `scenario()` shows ("unfinished" aside)
    run_s: float  # a run this long (wall time) certainly shows them
    scheme: str = "http"  # of the URL to aim at
    timeouts: tuple[tuple[str, float], ...] = ()  # overrides of TIMEOUTS


@dataclass(frozen=True)
class Served:
    mode: str
    url: str
    port: int
    counters: Counters


def _mode(
    name: str, doc: str, kinds: str, run_s: float = 0.6, scheme: str = "http", **timeouts: float
) -> Mode:
    return Mode(name, doc, frozenset(kinds.split(",")), run_s, scheme, tuple(timeouts.items()))


_LIST = (
    _mode("silent", "reads the request, never answers", "read_timeout", 0.9, read=0.5),
    _mode("garbage", "answers bytes that are not HTTP", "protocol"),
    _mode("close-mid-headers", "closes halfway through the status and headers", "closed"),
    _mode("close-mid-body", "closes after 100 of 1,000 announced body bytes", "closed"),
    _mode(
        "short-body", "sends 100 of 1,000 announced body bytes, then nothing", "read_timeout", 0.9,
        read=0.5,
    ),
    _mode("bad-chunks", "chunked body with a chunk size that is not hex", "protocol"),
    _mode("endless-headers", "header lines without end", "too large"),
    _mode("endless-chunked", "a chunked body without end", "too large"),
    _mode("endless-length", "a body announced as 10^15 bytes, without end", "too large"),
    # The read timeout (1.2 s) never fires between bytes; the total limit ends it.
    _mode(
        "byte-a-second", "a small response, one byte a second", "timeout", 1.9, read=1.2, total=1.4
    ),
    _mode("reset", "reads the request, then resets the connection (RST)", "reset"),
    _mode(
        "backlog-full", "a listen backlog that is full: connects hang", "connect_timeout",
        connect=0.4,
    ),
    _mode("plain-to-tls", "a TLS server, spoken to in plain HTTP", "closed"),
    _mode("tls-to-plain", "a plain HTTP server, spoken to in TLS", "tls", scheme="https"),
    _mode("upgrade-101", "101 Switching Protocols to a plain GET", "unexpected upgrade"),
    _mode("huge-headers", "a complete but 1 MiB header block", "too large"),
)
MODES: dict[str, Mode] = {m.name: m for m in _LIST}


def scenario(
    mode: str, url: str, *, keep_body: bool = True, http2: bool = False, total: float | None = None
) -> str:
    """A scenario of one user class sending GET /<mode> as fast as answers come; the
    body check makes the engine keep bodies; `http2` asks for HTTP/2 (h2c, falling back
    to HTTP/1.1 when the server does not speak it); `total` overrides the total limit."""
    timeouts = TIMEOUTS | dict(MODES[mode].timeouts) | ({"total": total} if total else {})
    checks = {"body_contains": BODY.decode()} if keep_body else None
    return builder.scenario(
        builder.user(builder.get(f"/{mode}", "get", checks=checks)),
        name=f"fault-{mode}",
        target=url,
        verify_tls=False,
        http2=http2,
        timeout={k: f"{v}s" for k, v in timeouts.items()},
    )


# -- conversations ----------------------------------------------------------------------

_counters: ContextVar[Counters] = ContextVar("faulty_counters")  # the serving server's

OK_HEAD = b"HTTP/1.1 200 OK\r\n"


async def _read_request(reader: asyncio.StreamReader) -> bool:
    """Consume one request (head and Content-Length body); False at EOF or junk."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        return False
    return True


async def _hold(reader: asyncio.StreamReader) -> None:
    """Keep the connection open, reading and discarding, until the client goes."""
    while await reader.read(65536):
        pass


async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)
    await writer.drain()
    _counters.get().bytes_sent += len(data)


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    if await _read_request(reader):
        await _hold(reader)


def _then_hold(reply: bytes) -> Handler:
    async def play(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await _read_request(reader):
            await _send(writer, reply)
            await _hold(reader)

    return play


def _then_close(reply: bytes) -> Handler:
    async def play(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await _read_request(reader):
            await _send(writer, reply)

    return play


def _endless(head: bytes, piece: Callable[[int], bytes]) -> Handler:
    async def play(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await _read_request(reader):
            await _send(writer, head)
            n = 0
            while True:  # ends when the client goes (drain raises) or the server stops
                await _send(writer, piece(n))
                n += 1

    return play


async def _byte_a_second(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    if await _read_request(reader):
        for i in range(len(_OK)):
            await _send(writer, _OK[i : i + 1])
            await asyncio.sleep(1.0)


async def _reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    if await _read_request(reader):
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()


async def _answer_anything(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A plain server's reply to whatever arrives first (here: a TLS ClientHello)."""
    if await reader.read(1):
        await _send(writer, b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


async def _ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while await _read_request(reader):
        await _send(writer, _OK)


_OK = OK_HEAD + b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
_PAD = b"a" * 1000
_HUGE = OK_HEAD + b"".join(b"X-Pad-%d: %s\r\n" % (i, _PAD) for i in range(1024))
_CHUNK = b"4000\r\n" + b"x" * 0x4000 + b"\r\n"

HANDLERS: dict[str, Handler] = {
    "silent": _silent,
    "garbage": _then_hold(b"\x00\xffTHIS IS NOT HTTP\r\n\r\n"),
    "close-mid-headers": _then_close(OK_HEAD + b"Content-Type: text/pl"),
    "close-mid-body": _then_close(OK_HEAD + b"Content-Length: 1000\r\n\r\n" + b"x" * 100),
    "short-body": _then_hold(OK_HEAD + b"Content-Length: 1000\r\n\r\n" + b"x" * 100),
    "bad-chunks": _then_hold(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n"),
    "endless-headers": _endless(OK_HEAD, lambda n: b"X-Pad-%d: %s\r\n" % (n, _PAD)),
    "endless-chunked": _endless(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n", lambda n: _CHUNK),
    "endless-length": _endless(
        OK_HEAD + b"Content-Length: 1000000000000000\r\n\r\n", lambda n: _CHUNK
    ),
    "byte-a-second": _byte_a_second,
    "reset": _reset,
    "plain-to-tls": _ok,
    "tls-to-plain": _answer_anything,
    "upgrade-101": _then_hold(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        b"\x81\x05hello"
    ),
    "huge-headers": _then_hold(_HUGE + b"Content-Length: 0\r\n\r\n"),
}


# -- the server -------------------------------------------------------------------------


@functools.cache
def _certificate() -> tuple[str, str]:
    """A throwaway self-signed certificate and key (made once per process)."""
    if shutil.which("openssl") is None:
        raise ModeUnavailable("the openssl CLI is not installed (plain-to-tls needs a cert)")
    folder = Path(tempfile.mkdtemp(prefix="loadtui-faulty-"))
    crt, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return str(crt), str(key)


# HTTP handlers here read the serving server's counters through `_counters`; the
# WebSocket ones in faulty_ws.py take them as an argument.
def _http(handler: Handler) -> ConnHandler:
    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, c: Counters) -> None:
        _counters.set(c)
        await handler(reader, writer)

    return run


@contextlib.contextmanager
def _full_backlog() -> Iterator[int]:
    """A listening port whose accept queue is full, so further connects hang (Linux)."""
    listener = socket.socket()
    held: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(4):
            s = socket.socket()
            held.append(s)
            s.settimeout(0.05)
            with contextlib.suppress(TimeoutError):
                s.connect(("127.0.0.1", port))
        with socket.socket() as probe:
            probe.settimeout(0.05)
            try:
                probe.connect(("127.0.0.1", port))
            except TimeoutError:
                pass
            else:
                raise ModeUnavailable("this kernel accepts connects beyond the listen backlog")
        yield port
    finally:
        for s in [*held, listener]:
            s.close()


@contextlib.contextmanager
def serve(mode: str, *, lifetime: float = 60.0) -> Iterator[Served]:
    """Serve `mode` on 127.0.0.1 until the block ends (or `lifetime` seconds pass)."""
    spec = MODES[mode]
    if mode == "backlog-full":
        with _full_backlog() as port:
            yield Served(mode, f"{spec.scheme}://127.0.0.1:{port}", port, Counters())
        return
    tls = None
    if mode == "plain-to-tls":
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(*_certificate())
    server = LoopbackServer(_http(HANDLERS[mode]), lifetime, f"faulty-{mode}", tls)
    server.start()
    try:
        yield Served(mode, f"{spec.scheme}://127.0.0.1:{server.port}", server.port, server.counters)
    finally:
        server.close()
