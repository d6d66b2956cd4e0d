"""Interval histograms as they travel from a worker to the controller.

The session log keeps the standard HdrHistogram form (zlib + base64), which costs
~60-90 µs per histogram each way. A controller folding hundreds of workers' deltas per
tick cannot pay that, so a delta carries the histogram's counters as hdrh's own V2
varint stream (zero runs collapsed, no zlib, no base64), cut after the highest used
counter, plus total/min/max. Unpacking is two C calls (pyhdrh's decode and add_array)
over the used range only. Same layout as `histogram.new_histogram`, so adding is exact.
"""

from __future__ import annotations

import ctypes
import struct

from hdrh.histogram import HdrHistogram
from pyhdrh import add_array
from pyhdrh import decode as _varint_decode
from pyhdrh import encode as _varint_encode

WORD = 8  # bytes per counter in our histograms
_HEAD = struct.Struct("<QqQI")  # total, min, max, counters encoded
EMPTY = b""


def pack(h: HdrHistogram) -> bytes:
    """`h`'s counters in the wire form; b"" for an empty histogram."""
    if not h.total_count:
        return EMPTY
    used = h.get_counts_array_index(h.max_value) + 1
    room = used * (WORD + 1)
    buf = (ctypes.c_byte * room)()
    size = _varint_encode(ctypes.addressof(h.counts), used, WORD, ctypes.addressof(buf), room)
    return _HEAD.pack(h.total_count, h.min_value, h.max_value, used) + ctypes.string_at(buf, size)


class Unpacker:
    """Adds packed histograms into ours; keeps one scratch counts array for the decode."""

    __slots__ = ("_scratch", "_size")

    def __init__(self, counts_len: int) -> None:
        self._scratch = (ctypes.c_int64 * counts_len)()
        self._size = counts_len

    def add(self, dst: HdrHistogram, data: bytes) -> int:
        """dst += the packed histogram; returns how many values it held. Raises
        ValueError on a malformed or foreign one (a delta is never trusted blindly)."""
        if not data:
            return 0
        if len(data) < _HEAD.size:
            raise ValueError("packed histogram too short")
        total, low, high, used = _HEAD.unpack_from(data)
        if not 0 < used <= min(self._size, dst.counts_len):
            raise ValueError(f"packed histogram spans {used} counters, not within ours")
        scratch = self._scratch
        base = ctypes.addressof(scratch)
        try:
            got = _varint_decode(data[_HEAD.size :], 0, base, used, WORD)
        except Exception as exc:  # pyhdrh raises its own errors on a bad stream
            ctypes.memset(scratch, 0, used * WORD)
            raise ValueError(f"packed histogram unreadable: {exc}") from exc
        # Only the counters between the lowest and highest non-zero one were written:
        # add that span and zero it again, so the scratch is clean for the next one.
        lo, hi = got["min_nonzero_index"], got["max_nonzero_index"]
        span = hi - lo + 1 if got["total"] else 0
        if got["total"] != total:
            ctypes.memset(scratch, 0, used * WORD)
            raise ValueError("packed histogram's counters do not add up to its total")
        if span > 0:
            add_array(ctypes.addressof(dst.counts) + lo * WORD, base + lo * WORD, span, WORD)
            ctypes.memset(base + lo * WORD, 0, span * WORD)
        dst.total_count += total
        if low < dst.min_value:
            dst.min_value = low
        if high > dst.max_value:
            dst.max_value = high
        return int(total)
