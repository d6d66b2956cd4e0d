"""A misbehaving WebSocket target on 127.0.0.1: one fault per mode, for tests and bench.

The same interface as `faulty.py` (its `Mode` and `Served` types, loopback.py's server):
- `MODES`: name -> `Mode` (what the server does, the stream error kinds a run shows,
  how long a run needs to show them);
- `serve(mode)`: a context manager that starts a server playing that mode and yields a
  `Served` whose `url` is the target to aim at (the stream's path is `/<mode>`);
- `scenario(mode, url)`: a scenario text (TOML) of one streaming user class for it:
  short timeouts, a 1 MiB message limit, quick reconnects.

Kinds are those of a stream's handshake failures and errors (engine/websocket.py). The
handshake is played by hand, so the frames after it can be anything. The server runs on
its own thread and loop, and stops by itself after `lifetime` seconds; endless modes
write only as fast as the client reads, so its own memory stays flat.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import struct
from collections.abc import Awaitable, Callable, Iterator

from support import scenarios as builder
from support.faulty import Mode, Served
from support.loopback import Counters, LoopbackServer

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, Counters], Awaitable[None]]

MAX_MESSAGE = 1 << 20  # the scenario's max_message_size
TIMEOUTS = {"connect": 0.4, "read": 0.5}  # the handshake may take their sum (0.9 s)
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
BANNER = b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"
PIECE = b"x" * 0x10000


def _mode(name: str, doc: str, kinds: str, run_s: float = 0.8) -> Mode:
    return Mode(name, doc, frozenset(kinds.split(",")), run_s)


_LIST = (
    _mode("invalid-frames", "a frame with a reserved opcode after the handshake", "protocol error"),
    _mode("huge-frame", "one complete 2 MiB message (the limit is 1 MiB)", "message too big"),
    _mode("endless-frame", "a frame announcing 2^62 bytes, then bytes without end",
          "message too big"),
    _mode("endless-fragments", "a message in 64 KiB fragments, never the last one",
          "message too big"),
    _mode("no-handshake", "accepts the connection, reads, never answers", "timeout", 1.5),
    _mode("banner", "an SSH server's banner instead of an HTTP response", "not websocket"),
)  # fmt: skip
MODES: dict[str, Mode] = {m.name: m for m in _LIST}


def scenario(mode: str, url: str) -> str:
    """One user class holding a stream on `/<mode>`, sending every 50 ms and retrying
    failed sessions at once (so a short run meets the fault many times)."""
    stream = {
        "name": "ws",
        "path": f"/{mode}",
        "send": {"every": "50ms", "text": "hi"},
        "max_message_size": MAX_MESSAGE,
        "reconnect": {"max": 100000, "backoff": "constant(0.02s)"},
    }
    return builder.scenario(
        builder.user(websocket=stream),
        name=f"ws-fault-{mode}",
        target=url,
        timeout={k: f"{v}s" for k, v in TIMEOUTS.items()},
    )


# -- conversations ----------------------------------------------------------------------


async def _send(writer: asyncio.StreamWriter, counters: Counters, data: bytes) -> None:
    writer.write(data)
    await writer.drain()
    counters.bytes_sent += len(data)


async def _hold(reader: asyncio.StreamReader) -> None:
    """Read and discard until the client goes."""
    while await reader.read(65536):
        pass


def _frame_head(opcode: int, length: int, *, fin: bool = True) -> bytes:
    """An unmasked (server) frame header announcing `length` payload bytes."""
    first = (0x80 if fin else 0) | opcode
    if length < 126:
        return bytes((first, length))
    if length < 1 << 16:
        return struct.pack("!BBH", first, 126, length)
    return struct.pack("!BBQ", first, 127, length)


async def _handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    """Read the upgrade request and accept it; False when no proper request came."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return False
    key = b""
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            key = value.strip()
    if not key:
        return False
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )
    await writer.drain()
    return True


async def _invalid_frames(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counters: Counters
) -> None:
    if await _handshake(reader, writer):
        await _send(writer, counters, _frame_head(0x3, 2) + b"??")  # opcode 3 is reserved
        await _hold(reader)


async def _huge_frame(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counters: Counters
) -> None:
    if await _handshake(reader, writer):
        size = 2 * MAX_MESSAGE
        await _send(writer, counters, _frame_head(0x2, size))
        for _ in range(size // len(PIECE)):  # ends early when the client goes
            await _send(writer, counters, PIECE)
        await _hold(reader)


async def _endless_frame(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counters: Counters
) -> None:
    if await _handshake(reader, writer):
        await _send(writer, counters, _frame_head(0x2, 1 << 62))
        while True:  # ends when the client goes (drain raises) or the server stops
            await _send(writer, counters, PIECE)


async def _endless_fragments(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counters: Counters
) -> None:
    if await _handshake(reader, writer):
        await _send(writer, counters, _frame_head(0x2, len(PIECE), fin=False) + PIECE)
        while True:  # continuation frames, never the final one
            await _send(writer, counters, _frame_head(0x0, len(PIECE), fin=False) + PIECE)


async def _no_handshake(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counters: Counters
) -> None:
    await _hold(reader)


async def _banner(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counters: Counters
) -> None:
    """What sshd does: its banner first, then it reads the client's identification
    line, finds an HTTP request line instead, says so and hangs up."""
    await _send(writer, counters, BANNER)
    with contextlib.suppress(asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        await reader.readuntil(b"\n")
        await _send(writer, counters, b"Invalid SSH identification string.\r\n")


HANDLERS: dict[str, Handler] = {
    "invalid-frames": _invalid_frames,
    "huge-frame": _huge_frame,
    "endless-frame": _endless_frame,
    "endless-fragments": _endless_fragments,
    "no-handshake": _no_handshake,
    "banner": _banner,
}


@contextlib.contextmanager
def serve(mode: str, *, lifetime: float = 60.0) -> Iterator[Served]:
    """Serve `mode` on 127.0.0.1 until the block ends (or `lifetime` seconds pass)."""
    server = LoopbackServer(HANDLERS[mode], lifetime, f"faulty-ws-{mode}")
    server.start()
    try:
        yield Served(mode, f"http://127.0.0.1:{server.port}", server.port, server.counters)
    finally:
        server.close()
