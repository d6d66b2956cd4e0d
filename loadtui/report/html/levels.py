"""Choosing how many ticks make one block of the page, in one pass over the session.

Every tick is a block when the file stays small enough: then each chart point and each
zoom edge is a tick. A long, busy session does not fit tick by tick (a 12-hour soak at
hundreds of requests a second holds hundreds of millions of bucket counts), so blocks of
2, 4, 8 … ticks are built beside it, each level from the one below as a binary counter
carries (level L merges two blocks of level L-1), which costs about twice the finest
level's work whatever the number of levels. Each level is packed as it goes; one that
grows past RAW_LIMIT is dropped (never one of a single block). At the end the finest
level whose compressed form fits the budget is the page's. Whatever the level, every
figure of a block is exact for the ticks it holds: coarser blocks only mean a coarser
zoom.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from loadtui.metrics.snapshot import Snapshot
from loadtui.report.html.blocks import (
    COLUMNS,
    STREAM_COUNTS,
    Block,
    EndpointPart,
    StreamPart,
    tick_block,
)
from loadtui.report.html.pack import Packer, blob

RAW_LIMIT = 48 << 20  # a level packed past this is dropped (it would not fit anyway)
BLOB_LIMIT = 15 << 20  # base64 characters of one run's data in the page
GROUPS = ("status", "errors", "close", "handshake")


@dataclass
class Keys:
    """Status codes, error kinds, close codes and handshake failures, numbered as first
    seen (shared by every level, so each writes the same numbers)."""

    ids: dict[str, dict[str, int]] = field(default_factory=lambda: {g: {} for g in GROUPS})

    def pairs(self, packer: Packer, group: str, counts: dict[str, int]) -> None:
        ids = self.ids[group]
        packer.uint(len(counts))
        for key, n in counts.items():
            packer.uint(ids.setdefault(key, len(ids)))
            packer.uint(n)

    def names(self) -> dict[str, list[str]]:
        return {g: list(ids) for g, ids in self.ids.items()}


_EMPTY_ENDPOINT = EndpointPart()
_EMPTY_STREAM = StreamPart()


class Level:
    """Blocks of `k` ticks (the last one maybe fewer), packed as they come."""

    def __init__(self, k: int, keys: Keys) -> None:
        self.k = k
        self.keys = keys
        self.blocks = 0
        self.over = False
        self.pending: Block | None = None  # half of the next block, from the level below
        self.cols: list[list[int | None]] = [[] for _ in COLUMNS]
        self.endpoints: dict[str, Packer] = {}  # in order of first appearance
        self.streams: dict[str, Packer] = {}
        self.size = 0

    def write(self, block: Block) -> None:
        if self.over:
            return
        for spec, col, value, weight in zip(
            COLUMNS, self.cols, block.cols, block.weights, strict=True
        ):
            if value is not None and spec.reduce == "mean":
                value /= max(1, weight)
            col.append(None if value is None else round(value * spec.scale))
        self._rows(self.endpoints, block.endpoints, _EMPTY_ENDPOINT, self._endpoint)
        self._rows(self.streams, block.streams, _EMPTY_STREAM, self._stream)
        self.blocks += 1
        self.size = sum(map(len, self.endpoints.values())) + sum(map(len, self.streams.values()))
        if self.blocks > 1 and self.size + self.blocks * 2 * len(COLUMNS) > RAW_LIMIT:
            self.over = True
            self.cols, self.endpoints, self.streams = [], {}, {}

    def _rows(self, packers: dict[str, Packer], parts: Any, empty: Any, write: Any) -> None:
        for name in parts:
            if name not in packers:
                packer = packers[name] = Packer()
                for _ in range(self.blocks):  # blocks before it first ran
                    write(packer, empty)
        for name, packer in packers.items():
            write(packer, parts.get(name, empty))

    def _endpoint(self, p: Packer, part: EndpointPart) -> None:
        p.uint(part.requests)
        p.uint(part.failures)
        self.keys.pairs(p, "status", part.status)
        self.keys.pairs(p, "errors", part.errors)
        _hist(p, part.hist)

    def _stream(self, p: Packer, part: StreamPart) -> None:
        p.uint(part.open)
        p.uint(part.connecting)
        p.uints(part.counts)
        self.keys.pairs(p, "close", part.close)
        self.keys.pairs(p, "handshake", part.handshake)
        _hist(p, part.hist)

    def packed(self) -> bytes:
        """The level as decode.js reads it: the block count, each column, then each
        endpoint's blocks, then each stream's."""
        out = Packer()
        out.uint(self.blocks)
        for col in self.cols:
            out.column(col)
        for packer in (*self.endpoints.values(), *self.streams.values()):
            out.extend(packer)
        return bytes(out.buf)


def _hist(p: Packer, hist: tuple[tuple[int, ...], tuple[int, ...]]) -> None:
    idx, cnt = hist
    p.uint(len(idx))
    p.gaps(idx)
    p.uints(cnt)


class Chain:
    """Levels of 1, 2, 4 … ticks per block, fed one tick at a time."""

    def __init__(self) -> None:
        self.keys = Keys()
        self.levels = [Level(1, self.keys)]
        self._prev: Snapshot | None = None
        self.ticks = 0

    def add(self, snap: Snapshot) -> None:
        """Fold in the next tick (ValueError when a histogram of it does not decode)."""
        carry = tick_block(snap, self._prev)
        self._prev = snap
        self.ticks += 1
        self.levels[0].write(carry)
        for depth in range(1, 64):
            if depth == len(self.levels):
                self.levels.append(Level(1 << depth, self.keys))
            level = self.levels[depth]
            if level.pending is None:
                level.pending = carry
                return
            carry = level.pending.merged(carry)
            level.pending = None
            level.write(carry)

    def finish(self) -> list[Level]:
        """Write each level's last, partial block; the levels, finest first."""
        tail: Block | None = None
        for level in self.levels[1:]:
            if level.pending is not None:
                tail = level.pending if tail is None else level.pending.merged(tail)
                level.pending = None
            if tail is not None:
                level.write(tail)
        return self.levels


@dataclass(frozen=True)
class Packed:
    """One run's ticks as the page embeds them."""

    k: int  # ticks per block (the last block may hold fewer)
    blocks: int
    data: str  # base64 of the deflated level
    endpoints: list[str]
    streams: list[str]
    keys: dict[str, list[str]]


def pack_ticks(ticks: Iterable[Snapshot], limit: int = BLOB_LIMIT) -> Packed:
    """The finest level whose data fits `limit` base64 characters (the coarsest when
    none does). ValueError when a tick's histogram does not decode."""
    chain = Chain()
    for snap in ticks:
        chain.add(snap)
    levels = [lv for lv in chain.finish() if not lv.over]
    chosen, data = levels[-1], ""
    for level in levels:
        data = blob(level.packed())
        chosen = level
        if len(data) <= limit:
            break
    return Packed(
        chosen.k,
        chosen.blocks,
        data,
        list(chosen.endpoints),
        list(chosen.streams),
        chain.keys.names(),
    )


def columns_meta() -> list[dict[str, Any]]:
    """What decode.js needs to read the columns back."""
    return [{"name": c.name, "scale": c.scale, "reduce": c.reduce} for c in COLUMNS]


def stream_counts_meta() -> list[str]:
    return list(STREAM_COUNTS)
