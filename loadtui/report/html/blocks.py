"""A session's ticks as the HTML report holds them: blocks of consecutive ticks, each
with every figure the page draws, merged exactly.

A block of one tick is the tick. Two blocks merge by adding their interval histograms
bucket by bucket (sparse: only the buckets that hold something), adding their counts,
and reducing each gauge its own way (the last users and rate, the highest RSS, the mean
CPU). So a percentile the page reads from a block, or from any run of blocks, is the
one `loadtui report` would compute from the same ticks (`session.reader.window_latency`).

Cumulative counters of the session (status codes, error kinds, late starts, WebSocket
sessions opened...) become per-tick changes here, so they add up like the rest.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress
from typing import Literal, TypeVar

from loadtui.metrics.histogram import (
    HIGHEST_US,
    LOWEST_US,
    SIGNIFICANT_FIGURES,
    decode,
    merge,
    new_histogram,
    same_indexes,
)
from loadtui.metrics.snapshot import EndpointStats, Snapshot, StreamStats

Reduce = Literal["last", "max", "sum", "mean"]
Sparse = tuple[tuple[int, ...], tuple[int, ...]]  # (bucket indexes ascending, counts)
EMPTY: Sparse = ((), ())
K = TypeVar("K", int, str)
_REF = new_histogram()


_EXTERNAL = struct.Struct(">II")  # cookie, length of the compressed payload
_PAYLOAD = struct.Struct(">IIIIQQd")  # cookie, varint bytes, offset, figures, low, high, ratio
_OURS = (SIGNIFICANT_FIGURES, LOWEST_US)  # with either top, the same bucket indexes


@lru_cache(maxsize=512)  # idle endpoints repeat the same few encodings tick after tick
def sparse(encoded: bytes) -> Sparse:
    """An encoded interval histogram as its non-empty buckets, at our own layout's
    indexes. Read straight from the V2 payload (ZigZag LEB128 counts, a negative one a
    run of empty buckets): a 23k-counter histogram is never built for the ~50 buckets a
    tick holds. Another layout is decoded and re-binned, as the merges do. ValueError
    when it does not decode."""
    if not encoded:
        return EMPTY
    try:
        raw = base64.b64decode(encoded)
        payload = zlib.decompress(raw[_EXTERNAL.size :])
        _cookie, _n, offset, figures, low, high, _ratio = _PAYLOAD.unpack_from(payload)
    except (ValueError, zlib.error, struct.error) as exc:
        raise ValueError(f"not an encoded HdrHistogram: {exc}") from None
    if offset or (figures, low) != _OURS or high > HIGHEST_US:
        return _rebinned(encoded)
    idx: list[int] = []
    cnt: list[int] = []
    at, pos, end = 0, _PAYLOAD.size, len(payload)
    while pos < end:
        byte = payload[pos]
        pos += 1
        value, shift = byte & 0x7F, 7
        while byte & 0x80:
            if pos >= end:
                raise ValueError("encoded histogram ends inside a count")
            byte = payload[pos]
            pos += 1
            if shift == 56:  # the ninth byte carries 8 bits
                value |= byte << 56
                break
            value |= (byte & 0x7F) << shift
            shift += 7
        value = (value >> 1) ^ -(value & 1)
        if value < 0:
            at -= value  # a run of empty buckets
            continue
        if value:
            idx.append(at)
            cnt.append(value)
        at += 1
    if idx and idx[-1] >= _REF.counts_len:
        raise ValueError("encoded histogram holds counts beyond its range")
    return tuple(idx), tuple(cnt)


def _rebinned(encoded: bytes) -> Sparse:
    h = decode(encoded)
    if not h.total_count:
        return EMPTY
    if not same_indexes(h, _REF) or h.counts_len > _REF.counts_len:
        h = merge([h])
    lo = h.get_counts_array_index(h.min_value)
    hi = min(h.get_counts_array_index(h.max_value) + 1, h.counts_len)
    span = h.counts[lo:hi]
    return tuple(compress(range(lo, hi), span)), tuple(filter(None, span))


def merge_sparse(a: Sparse, b: Sparse) -> Sparse:
    if not a[0]:
        return b
    if not b[0]:
        return a
    acc = dict(zip(*a, strict=True))
    for i, c in zip(*b, strict=True):
        acc[i] = acc.get(i, 0) + c
    keys = sorted(acc)
    return tuple(keys), tuple(acc[k] for k in keys)


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    if not a:
        return b
    if not b:
        return a
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def _grown(now: Mapping[K, int], before: Mapping[K, int]) -> dict[str, int]:
    """The per-tick change of a cumulative count by key (keys as text)."""
    out: dict[str, int] = {}
    for key, value in now.items():
        d = value - before.get(key, 0)
        if d > 0:
            out[str(key)] = d
    return out


@dataclass(frozen=True)
class Column:
    """A figure of the whole run, one value per block: stored as round(value * scale)."""

    name: str
    scale: float
    reduce: Reduce
    read: Callable[[Snapshot, Snapshot | None], float | None]


def _since(get: Callable[[Snapshot], float]) -> Callable[[Snapshot, Snapshot | None], float]:
    """A cumulative figure's change since the previous tick (never below 0)."""
    return lambda s, p: max(0.0, get(s) - (get(p) if p is not None else 0.0))


def _alive(s: Snapshot, _p: Snapshot | None) -> float | None:
    return float(sum(w.alive for w in s.workers)) if s.workers else None


COLUMNS: tuple[Column, ...] = (
    Column("ticks", 1, "sum", lambda s, p: 1),
    Column("t", 1000, "last", lambda s, p: s.t),
    Column("span", 1000, "sum", lambda s, p: max(0.0, s.interval_s)),
    Column("users", 1, "last", lambda s, p: s.load.users),
    Column("users_target", 1, "last", lambda s, p: s.load.users_target),
    Column("rate", 100, "last", lambda s, p: s.load.rate),
    Column("inflight", 1, "max", lambda s, p: s.load.inflight),
    Column("streams", 1, "last", lambda s, p: s.load.streams),
    Column("late", 1, "sum", _since(lambda s: s.load.late_starts)),
    Column("dropped", 1, "sum", _since(lambda s: s.load.dropped)),
    Column("cpu", 10, "mean", lambda s, p: s.system.cpu_percent),
    Column("rss", 1 / 1024, "max", lambda s, p: s.system.rss_bytes),
    Column("lag", 100, "max", lambda s, p: s.system.loop_lag_ms),
    Column("target_cpu", 10, "mean", lambda s, p: s.system.target_cpu_percent),
    Column("target_rss", 1 / 1024, "max", lambda s, p: s.system.target_rss_bytes),
    Column("pool_open", 1, "last", lambda s, p: s.pool.open),
    Column("pool_waiting", 1, "max", lambda s, p: s.pool.waiting),
    Column("connects", 1, "sum", _since(lambda s: s.pool.connects)),
    Column("limited", 1, "sum", _since(lambda s: s.rate_limit.responses)),
    Column("retry_after", 1, "sum", _since(lambda s: s.rate_limit.with_retry_after)),
    Column("saturated", 1, "max", lambda s, p: float(any("saturated" in w for w in s.warnings))),
    Column("workers_alive", 1, "last", _alive),
)


@dataclass(slots=True)
class EndpointPart:
    """One endpoint in one block: counts, status codes and error kinds, latencies."""

    requests: int = 0
    failures: int = 0
    status: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    hist: Sparse = EMPTY

    def merged(self, later: EndpointPart) -> EndpointPart:
        return EndpointPart(
            self.requests + later.requests,
            self.failures + later.failures,
            _add(self.status, later.status),
            _add(self.errors, later.errors),
            merge_sparse(self.hist, later.hist),
        )


STREAM_COUNTS = ("opened", "failed", "closed", "disconnects", "reconnects", "received", "sent")


@dataclass(slots=True)
class StreamPart:
    """One WebSocket stream in one block: sessions open (at its end), what happened in
    it, close codes and handshake failures, round trips."""

    open: int = 0
    connecting: int = 0
    counts: tuple[int, ...] = (0,) * len(STREAM_COUNTS)
    close: dict[str, int] = field(default_factory=dict)
    handshake: dict[str, int] = field(default_factory=dict)
    hist: Sparse = EMPTY

    def merged(self, later: StreamPart) -> StreamPart:
        return StreamPart(
            later.open,
            later.connecting,
            tuple(a + b for a, b in zip(self.counts, later.counts, strict=True)),
            _add(self.close, later.close),
            _add(self.handshake, later.handshake),
            merge_sparse(self.hist, later.hist),
        )


@dataclass(slots=True)
class Block:
    """Consecutive ticks. `cols` follow COLUMNS (None: no value, e.g. no target
    watched); a "mean" column holds its sum, over `weights` values."""

    cols: list[float | None]
    weights: list[int]
    endpoints: dict[str, EndpointPart]
    streams: dict[str, StreamPart]

    def merged(self, later: Block) -> Block:
        cols: list[float | None] = []
        weights: list[int] = []
        for spec, a, b, wa, wb in zip(
            COLUMNS, self.cols, later.cols, self.weights, later.weights, strict=True
        ):
            cols.append(_reduce(spec.reduce, a, b))
            weights.append(wa + wb)
        return Block(
            cols,
            weights,
            _merge_parts(self.endpoints, later.endpoints),
            _merge_parts(self.streams, later.streams),
        )


P = TypeVar("P", EndpointPart, StreamPart)


def _reduce(how: Reduce, a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    if how == "last":
        return b
    if how == "max":
        return max(a, b)
    return a + b  # sum, and a mean's sum


def _merge_parts(a: dict[str, P], b: dict[str, P]) -> dict[str, P]:
    out = dict(a)
    for name, part in b.items():
        mine = out.get(name)
        out[name] = part if mine is None else mine.merged(part)
    return out


def _endpoint(now: EndpointStats, before: EndpointStats | None) -> EndpointPart:
    return EndpointPart(
        now.interval_requests,
        now.interval_failures,
        _grown(now.status_codes, before.status_codes if before else {}),
        _grown(now.errors, before.errors if before else {}),
        sparse(now.histogram),
    )


def _stream(now: StreamStats, before: StreamStats | None) -> StreamPart:
    def change(name: str) -> int:
        attr = {"received": "messages_received", "sent": "messages_sent"}.get(name, name)
        value: int = getattr(now, attr)
        return max(0, value - (getattr(before, attr) if before else 0))

    return StreamPart(
        now.open,
        now.connecting,
        tuple(change(name) for name in STREAM_COUNTS),
        _grown(now.close_codes, before.close_codes if before else {}),
        _grown(now.handshake_failures, before.handshake_failures if before else {}),
        sparse(now.histograms.get("rtt", b"")),
    )


def tick_block(snap: Snapshot, prev: Snapshot | None) -> Block:
    """One tick as a block (`prev`: the tick before it, for the cumulative counts).
    ValueError when one of its histograms does not decode."""
    cols: list[float | None] = []
    weights: list[int] = []
    for spec in COLUMNS:
        value = spec.read(snap, prev)
        cols.append(None if value is None else float(value))
        weights.append(0 if value is None else 1)
    before = {e.name: e for e in prev.endpoints} if prev else {}
    streams_before = {s.name: s for s in prev.streams} if prev else {}
    return Block(
        cols,
        weights,
        {e.name: _endpoint(e, before.get(e.name)) for e in snap.endpoints},
        {s.name: _stream(s, streams_before.get(s.name)) for s in snap.streams},
    )
