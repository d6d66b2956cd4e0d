"""Reading a session log back: header, rebuilt Snapshots, events, summary.

Tolerant where a crash leaves marks (a cut last line, a gzip stream without its end:
the run replays up to its last whole tick) and strict where a file is not what it
claims (one-line SessionError). Only JSON is parsed: nothing in a file is executed.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

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
    ticks: tuple[Snapshot, ...]
    events: tuple[Event, ...]
    summary: dict[str, Any] | None
    truncated: bool

    @property
    def final(self) -> Snapshot | None:
        return self.ticks[-1] if self.ticks else None

    @property
    def duration(self) -> float:
        return self.ticks[-1].t if self.ticks else 0.0

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


def read_session(path: str | Path) -> Session:
    """Read a session log (.json or .json.gz)."""
    p = Path(path)
    if not p.exists():
        raise SessionError(f"{p}: no such file")
    if p.is_dir():
        raise SessionError(f"{p}: is a folder, not a session file")
    header: dict[str, Any] | None = None
    ticks: list[Snapshot] = []
    events: list[Event] = []
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
            try:
                record = json.loads(line)
                kind = record["type"]
            except (ValueError, KeyError, TypeError):
                if header is None:
                    raise SessionError(
                        f"{p}: not a loadtui session (the first line is not a session header)"
                    ) from None
                damaged_at = number
                continue
            if header is None:
                header = _check_header(p, record)
                continue
            try:
                if kind == "event":
                    ev = _event(record)
                    pending.append(ev)
                    events.append(ev)
                elif kind == "tick":
                    ticks.append(_snapshot(record, pending))
                    pending = []
                elif kind == "summary":
                    summary = record
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                if not line.endswith("\n"):
                    damaged_at = number
                    continue
                raise SessionError(f"{p}:{number}: malformed {kind} record ({exc})") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        if header is None:
            raise SessionError(f"{p}: cannot read ({exc})") from None
        truncated = True
    if header is None:
        raise SessionError(f"{p}: empty file, not a session")
    truncated = truncated or damaged_at is not None
    return Session(p, header, tuple(ticks), tuple(events), summary, truncated)


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
