"""The HTML report's binary form: unsigned LEB128 varints, zigzag for signed values,
deflated (zlib) and base64'd into the page, where `DecompressionStream("deflate")`
inflates it and `decode.js` reads it back in the same order.

Varints keep the small numbers a session is mostly made of (bucket gaps, counts per
tick) at one byte; deflate then finds what repeats from tick to tick. JSON of the same
numbers is about three times larger before compression and slower to parse.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterable, Sequence
from operator import sub


def zigzag(value: int) -> int:
    """A signed int as an unsigned one: 0, -1, 1, -2 … → 0, 1, 2, 3 …"""
    return value << 1 if value >= 0 else ((-value) << 1) - 1


class Packer:
    """Appends varints to one growing byte buffer."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def __len__(self) -> int:
        return len(self.buf)

    def uint(self, value: int) -> None:
        """One unsigned varint (value >= 0)."""
        buf = self.buf
        while value >= 0x80:
            buf.append((value & 0x7F) | 0x80)
            value >>= 7
        buf.append(value)

    def uints(self, values: Iterable[int]) -> None:
        vals = values if isinstance(values, list | tuple) else list(values)
        if not vals or max(vals) < 0x80:  # one byte each: most counts and gaps
            self.buf.extend(vals)
            return
        for value in vals:
            self.uint(value)

    def sint(self, value: int) -> None:
        self.uint(zigzag(value))

    def gaps(self, ascending: Sequence[int]) -> None:
        """Ascending values as the gaps between them (the first from 0)."""
        if ascending:
            self.uints([ascending[0], *map(sub, ascending[1:], ascending)])

    def column(self, values: Iterable[int | None]) -> None:
        """A column of ints, each as the zigzag'd change from the last value present;
        None (no value) is 0 and a present value is its code + 1."""
        prev = 0
        for value in values:
            if value is None:
                self.uint(0)
            else:
                self.uint(zigzag(value - prev) + 1)
                prev = value

    def extend(self, other: Packer) -> None:
        self.buf += other.buf


def blob(data: bytes | bytearray, level: int = 6) -> str:
    """Deflated (zlib framing, what the browser's "deflate" stream reads) and base64."""
    return base64.b64encode(zlib.compress(bytes(data), level)).decode("ascii")
