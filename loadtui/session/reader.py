"""Reading a session log back: header, rebuilt Snapshots, events, summary.

Tolerant where a crash leaves marks (a cut last line, a gzip stream without its end:
the run replays up to its last whole tick) and strict where a file is not what it
claims (one-line SessionError). Only JSON is parsed: nothing in a file is executed.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, overload

from loadtui.metrics.histogram import add_into, decode, latency_of
from loadtui.metrics.snapshot import (
    EndpointStats,
    Event,
    Latency,
    LoadState,
    PoolGauges,
    RateLimit,
    Snapshot,
    StreamStats,
    SystemGauges,
)
from loadtui.scenario.model import Burst, Profile, Stage, Threshold
from loadtui.session.writer import FORMAT, VERSION


class SessionError(Exception):
    """A file that cannot be read as a session; the message is one line for the user."""


@dataclass(frozen=True)
class Session:
    path: Path
    header: dict[str, Any]
    ticks: Sequence[Snapshot]  # rebuilt on access (see Ticks): long sessions open fast
    events: tuple[Event, ...]
    summary: dict[str, Any] | None
    truncated: bool
    times: tuple[float, ...] = ()  # each tick's t, without rebuilding the ticks
    event_ticks: tuple[int, ...] = ()  # index of the tick each event belongs to

    @property
    def final(self) -> Snapshot | None:
        return self.ticks[-1] if self.ticks else None

    @property
    def duration(self) -> float:
        return self.times[-1] if self.times else 0.0

    def thresholds(self) -> list[Threshold]:
        raw = (self.header.get("scenario") or {}).get("thresholds") or []
        return [_build(Threshold, t) for t in raw]

    def profile(self) -> Profile:
        raw = dict(self.header.get("profile") or {})
        stages = tuple(_build(Stage, s) for s in raw.pop("stages", []) or [])
        burst = raw.pop("burst", None)
        return _build(
            Profile, {**raw, "stages": stages, "burst": _build(Burst, burst) if burst else None}
        )


def _names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


_FIELDS: dict[type, frozenset[str]] = {}


def _build(cls: type, data: dict[str, Any]) -> Any:
    """A dataclass from a dict, ignoring keys it does not know (newer minor additions)."""
    known = _FIELDS.get(cls)
    if known is None:
        known = _FIELDS[cls] = _names(cls)
    return cls(**{k: v for k, v in data.items() if k in known})


def _latency(d: dict[str, Any] | None) -> Latency:
    return _build(Latency, d) if d else Latency()


def _int_keys(d: dict[str, int] | None) -> dict[int, int]:
    return {int(k): v for k, v in (d or {}).items()}


def _endpoint(d: dict[str, Any]) -> EndpointStats:
    return _build(
        EndpointStats,
        {
            **d,
            "latency": _latency(d.get("latency")),
            "interval_latency": _latency(d.get("interval_latency")),
            "status_codes": _int_keys(d.get("status_codes")),
            "histogram": (d.get("histogram") or "").encode("ascii"),
        },
    )


def _stream(d: dict[str, Any]) -> StreamStats:
    latencies = {
        k: _latency(d.get(k)) for k in ("handshake", "first_message", "rtt", "gap", "interval_rtt")
    }
    hists = {k: v.encode("ascii") for k, v in (d.get("histograms") or {}).items()}
    return _build(
        StreamStats,
        {**d, **latencies, "close_codes": _int_keys(d.get("close_codes")), "histograms": hists},
    )


def _event(d: dict[str, Any]) -> Event:
    return Event(float(d["t"]), d["kind"], str(d.get("message", "")), dict(d.get("data") or {}))


def _snapshot(d: dict[str, Any], events: list[Event]) -> Snapshot:
    total = d.get("stream_total")
    return _build(
        Snapshot,
        {
            **d,
            "load": _build(LoadState, d.get("load") or {}),
            "total": _endpoint(d["total"]),
            "endpoints": tuple(_endpoint(e) for e in d.get("endpoints") or ()),
            "streams": tuple(_stream(s) for s in d.get("streams") or ()),
            "stream_total": _stream(total) if total else None,
            "pool": _build(PoolGauges, d.get("pool") or {}),
            "system": _build(SystemGauges, d.get("system") or {}),
            "rate_limit": _build(RateLimit, d.get("rate_limit") or {}),
            "events": tuple(events),
            "warnings": tuple(d.get("warnings") or ()),
        },
    )


def _lines(path: Path) -> Iterator[str]:
    """Text lines of a .json or .json.gz file; a gzip stream cut short ends quietly."""
    if path.suffix != ".gz":
        with path.open(encoding="utf-8", errors="replace") as f:
            yield from f
        return
    inflate = zlib.decompressobj(wbits=31)  # gzip container
    pending = b""
    with path.open("rb") as f:
        while chunk := f.read(1 << 16):
            try:
                pending += inflate.decompress(chunk)
            except zlib.error as exc:
                if not pending and f.tell() <= len(chunk):
                    raise SessionError(f"{path}: not a gzip file ({exc})") from None
                break  # damaged tail: keep what came before
            *whole, pending = pending.split(b"\n")
            for line in whole:
                yield line.decode("utf-8", errors="replace") + "\n"
    if pending:
        yield pending.decode("utf-8", errors="replace")  # no newline: maybe cut off


class Ticks(Sequence[Snapshot]):
    """A session's ticks, rebuilt from their JSON lines when first asked for (and the
    most recent few thousand kept): an hour at 4 ticks/s opens without parsing 14,400
    records, and replay only ever needs the few around its playhead."""

    CACHE = 4096

    def __init__(self, lines: list[str], events: list[list[Event]], where: Path) -> None:
        self._lines = lines
        self._events = events
        self._where = where
        self._cache: OrderedDict[int, Snapshot] = OrderedDict()

    def __len__(self) -> int:
        return len(self._lines)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    @overload
    def __getitem__(self, index: int) -> Snapshot: ...
    @overload
    def __getitem__(self, index: slice) -> list[Snapshot]: ...
    def __getitem__(self, index: int | slice) -> Snapshot | list[Snapshot]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        snap = self._cache.get(index)
        if snap is None:
            try:
                snap = _snapshot(json.loads(self._lines[index]), self._events[index])
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise SessionError(f"{self._where}: malformed tick {index} ({exc})") from None
            self._cache[index] = snap
            if len(self._cache) > self.CACHE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return snap


    def gauges(self) -> Iterator[tuple[float, SystemGauges]]:
        """Each tick's time and system gauges, without rebuilding its endpoints and
        streams: what a 12-hour soak's target figures need, at a fraction of the cost."""
        for index, line in enumerate(self._lines):
            try:
                d = json.loads(line)
                yield float(d["t"]), _build(SystemGauges, d.get("system") or {})
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise SessionError(f"{self._where}: malformed tick {index} ({exc})") from None


def tick_gauges(session: Session) -> Iterator[tuple[float, SystemGauges]]:
    """Each tick's time and system gauges (cheaply, when read from a file)."""
    if isinstance(session.ticks, Ticks):
        return session.ticks.gauges()
    return ((snap.t, snap.system) for snap in session.ticks)


_TICK_T = re.compile(r'"t":\s*(-?[0-9][0-9.eE+-]*)')
_IS_TICK = re.compile(r'\{\s*"type":\s*"tick"')


def _looks_whole(line: str) -> bool:
    """A cheap structural check: one complete JSON object on its own line."""
    return line.endswith("}\n") and line.startswith("{")


def read_session(path: str | Path) -> Session:
    """Read a session log (.json or .json.gz)."""
    p = Path(path)
    if not p.exists():
        raise SessionError(f"{p}: no such file")
    if p.is_dir():
        raise SessionError(f"{p}: is a folder, not a session file")
    header: dict[str, Any] | None = None
    tick_lines: list[str] = []
    times: list[float] = []
    tick_events: list[list[Event]] = []
    events: list[Event] = []
    event_ticks: list[int] = []
    pending: list[Event] = []
    summary: dict[str, Any] | None = None
    truncated = False
    damaged_at: int | None = None
    try:
        for number, line in enumerate(_lines(p), start=1):
            if damaged_at is not None:  # a bad line followed by more: not a clean cut
                raise SessionError(f"{p}:{damaged_at}: damaged line inside the session")
            if not line.strip():
                continue
            if header is None:
                try:
                    header = _check_header(p, json.loads(line))
                except (ValueError, TypeError, AttributeError):
                    raise SessionError(
                        f"{p}: not a loadtui session (the first line is not a session header)"
                    ) from None
                continue
            if not _looks_whole(line):
                damaged_at = number
                continue
            if _IS_TICK.match(line):
                found = _TICK_T.search(line, 0, 200)
                if found is None:
                    damaged_at = number
                    continue
                tick_lines.append(line)
                times.append(float(found.group(1)))
                tick_events.append(pending)
                pending = []
                continue
            try:
                record = json.loads(line)
                kind = record["type"]
                if kind == "event":
                    ev = _event(record)
                    pending.append(ev)
                    events.append(ev)
                    event_ticks.append(len(tick_lines))
                elif kind == "summary":
                    summary = record
            except (ValueError, KeyError, TypeError, AttributeError):
                damaged_at = number
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        if header is None:
            raise SessionError(f"{p}: cannot read ({exc})") from None
        truncated = True
    if header is None:
        raise SessionError(f"{p}: empty file, not a session")
    ticks = Ticks(tick_lines, tick_events, p)
    if ticks:
        try:
            ticks[-1]  # the final tick must rebuild: reports and compare start there
        except SessionError:
            ticks = Ticks(tick_lines[:-1], tick_events[:-1], p)
            times.pop()
            truncated = True
    last = max(0, len(ticks) - 1)
    return Session(
        p,
        header,
        ticks,
        tuple(events),
        summary,
        truncated or damaged_at is not None,
        tuple(times),
        tuple(min(i, last) for i in event_ticks),
    )


def _check_header(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    if record.get("type") != "header" or record.get("format") != FORMAT:
        raise SessionError(
            f"{path}: not a loadtui session (the first line is not a session header)"
        )
    version = record.get("version")
    if not isinstance(version, int):
        raise SessionError(f"{path}: session header without a format version")
    if version > VERSION:
        raise SessionError(
            f"{path}: session format version {version} is newer than this loadtui reads "
            f"({VERSION}); upgrade loadtui"
        )
    return record


def window_latency(session: Session, t0: float, t1: float, endpoint: str | None = None) -> Latency:
    """Exact percentiles over the ticks with t0 < t <= t1, from their interval histograms,
    added into one running total (decoding them all first would hold ~140 KB each)."""
    total = None
    for snap in session.ticks:
        if t0 < snap.t <= t1:
            stats = snap.total if endpoint is None else snap.endpoint(endpoint)
            if stats is not None and stats.histogram:
                h = decode(stats.histogram)
                if total is None:
                    total = h
                else:
                    add_into(total, h)
    return latency_of(total) if total is not None else Latency()
