"""WebSocket frames on the hot path: a client's data frame built in one go, and a frame
header read in place.

websockets' Sans-I/O protocol builds a `Frame` object per message, serializes it through
a BytesIO and asks the OS for a fresh 4-byte masking key each time (one getrandom call):
together most of a message's cost. Here a frame is a few byte operations, and masking
keys are cut from a block of OS randomness drawn once per 1,024 frames: RFC 6455 asks for
unpredictable keys, not for a system call each.
"""

from __future__ import annotations

import os
import struct

try:
    from websockets.speedups import apply_mask
except ImportError:  # websockets built without its C extension
    from websockets.utils import apply_mask

TEXT = 0x81  # first byte of a whole (FIN) text frame
BINARY = 0x82  # first byte of a whole (FIN) binary frame
KEY_BLOCK = 4096  # bytes of OS randomness drawn at a time: 1,024 masking keys

_HEAD16 = struct.Struct("!BBH")
_HEAD64 = struct.Struct("!BBQ")


class MaskKeys:
    """Masking keys, 4 bytes each, from a block of `os.urandom` drawn when used up."""

    __slots__ = ("_at", "_block")

    def __init__(self) -> None:
        self._block = b""
        self._at = 0

    def next(self) -> bytes:
        at = self._at
        if at >= len(self._block):
            self._block = os.urandom(KEY_BLOCK)
            at = 0
        self._at = at + 4
        return self._block[at : at + 4]


_keys = MaskKeys()


def client_frame(first: int, payload: bytes) -> bytes:
    """A masked frame, as a client must send it; `first` is TEXT or BINARY."""
    key = _keys.next()
    n = len(payload)
    if n < 126:
        head = bytes((first, 0x80 | n))
    elif n < 1 << 16:
        head = _HEAD16.pack(first, 0xFE, n)
    else:
        head = _HEAD64.pack(first, 0xFF, n)
    return head + key + apply_mask(payload, key)


def frame_head(data: bytes, pos: int, end: int) -> tuple[int, int] | None:
    """(header length, payload length) of the frame starting at `data[pos]`, the masking
    key counted in the header; None when `data[pos:end]` does not hold the whole header."""
    if end - pos < 2:
        return None
    second = data[pos + 1]
    size = second & 0x7F
    head = 2
    if size == 126:
        if end - pos < 4:
            return None
        size = (data[pos + 2] << 8) | data[pos + 3]
        head = 4
    elif size == 127:
        if end - pos < 10:
            return None
        size = int.from_bytes(data[pos + 2 : pos + 10], "big")
        head = 10
    if second & 0x80:  # masked (a server must not mask; the protocol says so)
        head += 4
    return head, size
