"""HPACK (RFC 7541) as the native HTTP/2 client needs it: a stateless encoder for request
header blocks, and a decoder for response header blocks that remembers the blocks it saw.

Encoding never touches the dynamic table (static-table indexes, literals without
indexing, sensitive fields never indexed), so a block depends only on its header list:
a static request's block is built once and sent byte for byte on every stream of every
connection, and a templated one costs one encode. Strings go raw: Huffman would save a
fifth of a few dozen bytes and cost CPU on every templated request.

Decoding must see every block of a connection, in order (the server's dynamic table). A
server answering the same request the same way sends the same bytes, so a block is
remembered with its decoded head and the next identical block costs a dict lookup. A
block that reads only the static table and literals stays valid for good, the entries it
adds to the table (nginx adds its four every time) replayed at each use; one that reads
the dynamic table (and adds nothing) is forgotten whenever the table changes. A block
that resizes the table is decoded every time.

The static table and the Huffman code come from the hpack library; the rest is ours and
hostile-proof: integers and lengths bounded by the block, table size updates within what
we allow, and a header list that stops growing at the cap yet is decoded to its end, so
the table stays in step and only that stream fails (`HeadTooLarge`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from hpack.exceptions import HPACKDecodingError
from hpack.huffman_table import decode_huffman
from hpack.table import HeaderTable

STATIC = HeaderTable.STATIC_TABLE  # index 1 is STATIC[0]
_STATIC_INDEX: dict[bytes, tuple[int, dict[bytes, int]]] = HeaderTable.STATIC_TABLE_MAPPING
_NEVER_INDEXED = frozenset({b"authorization", b"proxy-authorization", b"cookie"})
DEFAULT_TABLE_SIZE = 4096  # SETTINGS_HEADER_TABLE_SIZE: we never announce another
ENTRY_OVERHEAD = 32  # RFC 7541 §4.1, also what a header list's size counts per field
REMEMBER_BYTES = 1024  # longer blocks are decoded every time
REMEMBER_COUNT = 64  # blocks remembered per kind, then the memo starts again
# Fields a response must not carry (RFC 9113 §8.2.2), as h2 checks them too.
_CONNECTION_SPECIFIC = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade"}
)

# A decoded head: the :status (0 when the block has none, as trailers; -1 when the block
# breaks HTTP/2's rules for a response), the other fields in order, the list's size.
Head = tuple[int, list[tuple[bytes, bytes]], int]


class HpackError(Exception):
    """The block cannot be decoded: the connection's table is lost (COMPRESSION_ERROR)."""


class HeadTooLarge(Exception):
    """The block decoded, but its header list is past the cap."""


# -- encoding -------------------------------------------------------------------------------


def _integer(value: int, bits: int, flags: int) -> bytes:
    """`value` with an N-bit prefix (RFC 7541 §5.1), `flags` in the first byte's high bits."""
    top = (1 << bits) - 1
    if value < top:
        return bytes((flags | value,))
    out = bytearray((flags | top,))
    value -= top
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _string(value: bytes) -> bytes:
    return _integer(len(value), 7, 0) + value


def encode_block(headers: Sequence[tuple[bytes, bytes]]) -> bytes:
    """The header block of a request, without Huffman and without the dynamic table."""
    out = bytearray()
    for name, value in headers:
        found = _STATIC_INDEX.get(name)
        flags = 0x10 if name in _NEVER_INDEXED else 0x00
        if found is None:
            out.append(flags)
            out += _string(name)
        else:
            full = found[1].get(value)
            if full is not None and not flags:
                out += _integer(full, 7, 0x80)
                continue
            out += _integer(found[0], 4, flags)
        out += _string(value)
    return bytes(out)


# -- decoding -------------------------------------------------------------------------------


def _read_int(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    top = (1 << bits) - 1
    value = data[pos] & top
    pos += 1
    if value < top:
        return value, pos
    shift = 0
    end = len(data)
    while True:
        if pos >= end:
            raise HpackError("integer cut short")
        byte = data[pos]
        pos += 1
        value += (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 28:
            raise HpackError("integer too large")


def _read_str(data: bytes, pos: int) -> tuple[bytes, int]:
    if pos >= len(data):
        raise HpackError("string cut short")
    huffman = data[pos] & 0x80
    length, pos = _read_int(data, pos, 7)
    end = pos + length
    if end > len(data):
        raise HpackError("string longer than the block")
    raw = data[pos:end]
    if huffman:
        try:
            raw = decode_huffman(raw)
        except HPACKDecodingError as exc:
            raise HpackError(str(exc)) from None
    return raw, end


class HeadDecoder:
    """One connection's response header decoder (module doc). `cap` is the largest
    header list kept, as HTTP/2 counts it (name + value + 32 per field)."""

    __slots__ = ("_dynamic", "_fixed", "_max", "_seen", "_size", "cap")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._dynamic: deque[tuple[bytes, bytes]] = deque()  # newest first
        self._size = 0
        self._max = DEFAULT_TABLE_SIZE
        # Blocks that read no dynamic entry, with the entries they add to the table.
        self._fixed: dict[bytes, tuple[Head, tuple[tuple[bytes, bytes, int], ...]]] = {}
        self._seen: dict[bytes, Head] = {}  # blocks that do: valid until the table changes

    def decode(self, block: bytes) -> Head:
        """The head in `block`. Raises HpackError (the connection is lost) or
        HeadTooLarge (the table is in step: only the stream fails)."""
        fixed = self._fixed.get(block)
        if fixed is not None:
            head, inserts = fixed
            for name, value, size in inserts:  # what the block does to the table, again
                self._add(name, value, size)
            return head
        seen = self._seen.get(block)
        return self._decode(block) if seen is None else seen

    def _decode(self, data: bytes) -> Head:
        fields: list[tuple[bytes, bytes]] = []
        inserts: list[tuple[bytes, bytes, int]] = []
        size = 0
        status = 0
        bad = regular = reads = resized = False
        pos, end = 0, len(data)
        first = True
        while pos < end:
            byte = data[pos]
            if byte & 0x80:  # indexed field
                index, pos = _read_int(data, pos, 7)
                name, value = self._entry(index)
                reads = reads or index > len(STATIC)
            elif byte & 0x40:  # literal, added to the table
                index, pos = _read_int(data, pos, 6)
                if index:
                    name = self._entry(index)[0]
                    reads = reads or index > len(STATIC)
                else:
                    name, pos = _read_str(data, pos)
                value, pos = _read_str(data, pos)
                entry = (name, value, len(name) + len(value) + ENTRY_OVERHEAD)
                inserts.append(entry)
                self._add(*entry)
            elif byte & 0x20:  # dynamic table size update, only before the first field
                if not first:
                    raise HpackError("table size update after a field")
                new, pos = _read_int(data, pos, 5)
                if new > DEFAULT_TABLE_SIZE:
                    raise HpackError(f"table size {new} over the {DEFAULT_TABLE_SIZE} allowed")
                self._max = new
                self._evict()
                self._seen.clear()
                resized = True
                continue
            else:  # literal without indexing (0000) or never indexed (0001)
                index, pos = _read_int(data, pos, 4)
                if index:
                    name = self._entry(index)[0]
                    reads = reads or index > len(STATIC)
                else:
                    name, pos = _read_str(data, pos)
                value, pos = _read_str(data, pos)
            first = False
            size += len(name) + len(value) + ENTRY_OVERHEAD
            if size > self.cap:
                continue  # decoded on, for the table's sake; nothing more kept
            if b"\r" in value or b"\n" in value or b"\0" in value:
                bad = True
            if name[:1] == b":":
                if name != b":status" or regular or status or len(value) != 3:
                    bad = True
                elif value.isdigit():
                    status = int(value)
                else:
                    bad = True
            else:
                regular = True
                if not name or name.lower() != name or name in _CONNECTION_SPECIFIC:
                    bad = True
                fields.append((name, value))
        if size > self.cap:
            raise HeadTooLarge(f"response head over {self.cap} bytes")
        head: Head = (-1 if bad else status, fields, size)
        if len(data) <= REMEMBER_BYTES and not resized:
            if not reads:  # the same whatever the table holds: its inserts are replayed
                if len(self._fixed) >= REMEMBER_COUNT:
                    self._fixed.clear()
                self._fixed[data] = (head, tuple(inserts))
            elif not inserts:  # valid while the table stays as it is
                if len(self._seen) >= REMEMBER_COUNT:
                    self._seen.clear()
                self._seen[data] = head
        return head

    def _entry(self, index: int) -> tuple[bytes, bytes]:
        if index <= 0:
            raise HpackError("index 0")
        if index <= len(STATIC):
            return STATIC[index - 1]
        index -= len(STATIC) + 1
        if index >= len(self._dynamic):
            raise HpackError("index past the table")
        return self._dynamic[index]

    def _add(self, name: bytes, value: bytes, size: int) -> None:
        if self._seen:
            self._seen.clear()
        if size > self._max:  # RFC 7541 §4.4: the table empties, nothing is added
            self._dynamic.clear()
            self._size = 0
            return
        self._dynamic.appendleft((name, value))
        self._size += size
        self._evict()

    def _evict(self) -> None:
        dynamic = self._dynamic
        while self._size > self._max:
            name, value = dynamic.pop()
            self._size -= len(name) + len(value) + ENTRY_OVERHEAD
