"""HTTP/2 frames (RFC 9113 §4, §6) as bytes: the 9-byte frame header and the few frames
a client writes. No frame objects: the connection (`h2conn.py`) reads headers with one
`HEAD.unpack_from` and writes frames as concatenated bytes.
"""

from __future__ import annotations

import struct

from h2.errors import ErrorCodes

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Frame types.
DATA = 0x0
HEADERS = 0x1
PRIORITY = 0x2
RST_STREAM = 0x3
SETTINGS = 0x4
PUSH_PROMISE = 0x5
PING = 0x6
GOAWAY = 0x7
WINDOW_UPDATE = 0x8
CONTINUATION = 0x9

# Flags.
END_STREAM = 0x1
ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8
PRIORITY_FLAG = 0x20

# Settings.
HEADER_TABLE_SIZE = 0x1
ENABLE_PUSH = 0x2
MAX_CONCURRENT_STREAMS = 0x3
INITIAL_WINDOW_SIZE = 0x4
MAX_FRAME_SIZE = 0x5
MAX_HEADER_LIST_SIZE = 0x6

DEFAULT_WINDOW = 65_535
MAX_WINDOW = (1 << 31) - 1
MAX_STREAM_ID = (1 << 31) - 1
MIN_FRAME = 16_384
MAX_FRAME_LIMIT = (1 << 24) - 1

HEAD = struct.Struct(">IBI")  # (length << 8 | type), flags, stream id (R bit included)
_SETTING = struct.Struct(">HI")
_U32 = struct.Struct(">I")
_TWO_U32 = struct.Struct(">II")


def frame(ftype: int, flags: int, sid: int, payload: bytes = b"") -> bytes:
    return HEAD.pack(len(payload) << 8 | ftype, flags, sid) + payload


def headers_frames(sid: int, block: bytes, end_stream: bool, max_frame: int) -> bytes:
    """HEADERS (and CONTINUATION frames when the block is longer than `max_frame`)."""
    flags = END_STREAM if end_stream else 0
    if len(block) <= max_frame:
        return HEAD.pack(len(block) << 8 | HEADERS, flags | END_HEADERS, sid) + block
    parts = [block[i : i + max_frame] for i in range(0, len(block), max_frame)]
    out = [frame(HEADERS, flags, sid, parts[0])]
    out += [frame(CONTINUATION, 0, sid, part) for part in parts[1:-1]]
    out.append(frame(CONTINUATION, END_HEADERS, sid, parts[-1]))
    return b"".join(out)


def settings(values: dict[int, int]) -> bytes:
    return frame(SETTINGS, 0, 0, b"".join(_SETTING.pack(k, v) for k, v in values.items()))


SETTINGS_ACK = frame(SETTINGS, ACK, 0)


def read_settings(payload: bytes) -> list[tuple[int, int]]:
    """The (identifier, value) pairs of a SETTINGS payload (its length checked before)."""
    return [_SETTING.unpack_from(payload, i) for i in range(0, len(payload), 6)]


def window_update(sid: int, increment: int) -> bytes:
    return frame(WINDOW_UPDATE, 0, sid, _U32.pack(increment))


def rst_stream(sid: int, code: int) -> bytes:
    return frame(RST_STREAM, 0, sid, _U32.pack(code))


def goaway(last_sid: int, code: int) -> bytes:
    return frame(GOAWAY, 0, 0, _TWO_U32.pack(last_sid, code))


def ping(payload: bytes, ack: bool = False) -> bytes:
    return frame(PING, ACK if ack else 0, 0, payload)


def read_u32(payload: bytes) -> int:
    """The first 31-bit value of a payload (the reserved bit dropped)."""
    return int(_U32.unpack_from(payload)[0]) & MAX_WINDOW


def read_goaway(payload: bytes) -> tuple[int, int]:
    """(last stream id, error code) of a GOAWAY payload of at least 8 bytes."""
    last, code = _TWO_U32.unpack_from(payload)
    return last & MAX_STREAM_ID, code


def starts_with_settings(data: bytes) -> bool:
    """Do these bytes open with a SETTINGS frame (not an ACK), as an HTTP/2 server's
    first bytes must (RFC 9113 §3.4)?"""
    length = int.from_bytes(data[:3])
    return data[3] == SETTINGS and data[4] == 0 and data[5:9] == b"\0\0\0\0" and length % 6 == 0


def error_name(code: int) -> str:
    """An HTTP/2 error code's name (CANCEL), or its number when it has none."""
    try:
        return ErrorCodes(code).name
    except ValueError:
        return str(code)
