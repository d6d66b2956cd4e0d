"""An encoded histogram from a session file, checked before anything decodes it.

hdrh's decoder inflates the whole zlib payload without a bound and sizes its counters
from the range the payload claims: a crafted 1 MB string could ask for gigabytes, or
for millions of counters that every merge then walks in Python. loadtui only ever writes
two layouts (1 µs .. 1 h, and 1 µs .. 60 s in older sessions, 3 significant figures),
so anything else is refused here, and the payload is inflated at most as far as those
layouts can need.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib

from loadtui.metrics.histogram import HIGHEST_US, LOWEST_US, SIGNIFICANT_FIGURES

OLD_HIGHEST_US = 60_000_000  # sessions written before the range grew to 1 h
COUNTERS = 23_552  # HdrHistogram(1, 1 h, 3): the larger of the two layouts
_EXTERNAL = struct.Struct(">II")  # cookie, length of the compressed payload
_PAYLOAD = struct.Struct(">IIIIQQd")  # cookie, varint length, offset, figures, low, high, ratio
_ZLIB_COOKIE = 0x1C849304
_PAYLOAD_COOKIE = 0x1C849303
# Every counter at its largest (9 bytes as LEB128 + ZigZag) after the header.
MAX_PAYLOAD = _PAYLOAD.size + COUNTERS * 9
MAX_TEXT = 4 * (MAX_PAYLOAD + 1024) // 3 + 16  # even incompressible, base64 stays below this


def check_histogram(text: object) -> bytes:
    """The histogram's ASCII bytes (b"" for none); ValueError saying what is wrong."""
    if not isinstance(text, str):
        raise ValueError(f"expected an encoded histogram (text), got {_kind(text)}")
    if not text:
        return b""
    if len(text) > MAX_TEXT:
        raise ValueError(f"encoded histogram of {len(text):,} characters is too large")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("encoded histogram is not base64") from None
    if len(raw) < _EXTERNAL.size:
        raise ValueError("encoded histogram is too short")
    cookie, length = _EXTERNAL.unpack_from(raw)
    if cookie & ~0xF0 != _ZLIB_COOKIE or length != len(raw) - _EXTERNAL.size:
        raise ValueError("not an encoded HdrHistogram")
    inflate = zlib.decompressobj()
    try:
        payload = inflate.decompress(raw[_EXTERNAL.size :], MAX_PAYLOAD)
    except zlib.error:
        raise ValueError("encoded histogram does not inflate") from None
    if inflate.unconsumed_tail or len(payload) < _PAYLOAD.size:
        raise ValueError("encoded histogram inflates beyond any loadtui layout")
    head = _PAYLOAD.unpack_from(payload)
    cookie, varints, offset, figures, low, high = head[:6]
    if (
        cookie & ~0xF0 != _PAYLOAD_COOKIE
        or offset != 0
        or (figures, low) != (SIGNIFICANT_FIGURES, LOWEST_US)
        or high not in (HIGHEST_US, OLD_HIGHEST_US)
        or varints != len(payload) - _PAYLOAD.size
    ):
        raise ValueError("encoded histogram has a layout loadtui does not write")
    return text.encode("ascii")


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__
