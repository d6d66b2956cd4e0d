"""Reading a session log back: header, rebuilt Snapshots, events, summary.

Tolerant where a crash leaves marks (a cut last line, a gzip stream without its end:
the run replays up to its last whole tick) and strict where a file is not what it
claims (one-line SessionError). Only JSON is parsed: nothing in a file is executed.
Every field a command reads is checked as it is read (schema.py: types, finite numbers
within bounds, nesting; histcheck.py: histograms), so a crafted or damaged file gives
one line naming the place, never a traceback further on.
"""

from __future__ import annotations

import gzip
import re
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from loadtui.metrics.histogram import add_into, decode, latency_of
from loadtui.metrics.snapshot import Event, Latency, Snapshot, SystemGauges
from loadtui.scenario.model import Profile, Threshold
from loadtui.session import schema
from loadtui.session.errors import (
    SessionError as SessionError,  # re-exported: callers import it here
)
from loadtui.session.lines import text_lines
from loadtui.session.schema import Malformed
from loadtui.session.strict_json import loads
from loadtui.session.writer import FORMAT, VERSION

MAX_LINE = 64 << 20  # a tick of hundreds of endpoints is ~1 MB; more is not a session



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
        """The recorded scenario's thresholds; SessionError when one is malformed."""
        scenario = self.header.get("scenario")
        raw = scenario.get("thresholds") if isinstance(scenario, dict) else None
        try:
            return list(schema.thresholds(raw, "scenario.thresholds"))
        except Malformed as exc:
            raise SessionError(f"{self.path}: session header: {exc}") from None

    def profile(self) -> Profile:
        """The recorded profile; SessionError when it is missing or malformed."""
        raw = self.header.get("profile")
        if raw is None:
            raise SessionError(f"{self.path}: the session header records no profile")
        try:
            return schema.profile(raw)
        except Malformed as exc:
            raise SessionError(f"{self.path}: session header: {exc}") from None


_TICK = schema.builder(Snapshot)
_GAUGES = schema.builder(SystemGauges)
_EVENT = schema.builder(Event, message="")


def _event(d: Any) -> Event:
    ev: Event = _EVENT(d, "event")
    if ev.kind == "operator":  # read by rerun and the SVG's markers
        if "action" in ev.data:
            schema.text(ev.data["action"], "event.data.action")
        if ev.data.get("args") is not None:
            schema.listing(ev.data["args"], "event.data.args")
    elif ev.kind == "breach" and "threshold" in ev.data:
        schema.text(ev.data["threshold"], "event.data.threshold")
    return ev


def _summary(d: dict[str, Any]) -> dict[str, Any]:
    """The summary record: nested at most a few levels, its `report` a table. The
    report's fields are checked where a command reads them (report/schema.py,
    `from_json`: this layer does not know the report's shape)."""
    schema.plain(d, "summary")
    report = d.get("report")
    if report is not None:
        schema.table(report, "summary.report")
    return d


class Ticks(Sequence[Snapshot]):
    """A session's ticks, rebuilt from their JSON lines when first asked for (and the
    most recent few thousand kept): an hour at 4 ticks/s opens without parsing 14,400
    records, and replay only ever needs the few around its playhead. A tick that does
    not rebuild (a malformed field) is a SessionError naming its line and field."""

    CACHE = 4096

    def __init__(
        self,
        lines: list[str],
        events: list[list[Event]],
        where: Path,
        numbers: list[int] | None = None,
        times: list[float] | None = None,
    ) -> None:
        self._lines = lines
        self._events = events
        self._where = where
        self._numbers = numbers  # each tick's line in the file, for messages
        self._times = times  # each tick's t as the file was scanned: the rebuilt one agrees
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
            snap = self._rebuild(index)
            self._cache[index] = snap
            if len(self._cache) > self.CACHE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return snap

    def _rebuild(self, index: int) -> Snapshot:
        try:
            snap: Snapshot = _TICK(
                loads(self._lines[index]), "tick", events=tuple(self._events[index])
            )
        except ValueError as exc:  # Malformed, or JSON a strict reader refuses
            raise self._error(index, exc) from None
        if self._times is not None and snap.t != self._times[index]:
            raise self._error(index, ValueError("tick.t: two different times in one record"))
        return snap

    def _error(self, index: int, exc: Exception) -> SessionError:
        place = f":{self._numbers[index]}" if self._numbers else f": tick {index}"
        return SessionError(f"{self._where}{place}: malformed tick: {exc}")

    def gauges(self) -> Iterator[tuple[float, SystemGauges]]:
        """Each tick's time and system gauges, without rebuilding its endpoints and
        streams: what a 12-hour soak's target figures need, at a fraction of the cost."""
        for index, line in enumerate(self._lines):
            try:
                d = schema.table(loads(line), "tick")
                t = schema.number(d.get("t"), "tick.t", 0.0, schema.MAX_SECONDS)
                system = _GAUGES(d.get("system") or {}, "tick.system")
            except ValueError as exc:
                raise self._error(index, exc) from None
            yield t, system


def tick_gauges(session: Session) -> Iterator[tuple[float, SystemGauges]]:
    """Each tick's time and system gauges (cheaply, when read from a file)."""
    if isinstance(session.ticks, Ticks):
        return session.ticks.gauges()
    return ((snap.t, snap.system) for snap in session.ticks)


_TICK_T = re.compile(r'"t":\s*(-?[0-9][0-9.eE+-]*)')
_IS_TICK = re.compile(r'\{\s*"type":\s*"tick"')
_IS_HEADER = re.compile(r'\{\s*"type":\s*"header"')


def _looks_whole(line: str) -> bool:
    """A cheap structural check: one complete JSON object on its own line."""
    return line.endswith("}\n") and line.startswith("{")


def _tick_time(found: re.Match[str] | None, after: float) -> float:
    """A tick's t as scanned: a number within bounds, never before the previous tick's."""
    if found is None:
        raise Malformed("tick.t", "missing")
    try:
        t = float(found.group(1))
    except ValueError:
        raise Malformed("tick.t", f"{found.group(1)[:24]!r} is not a number") from None
    schema.number(t, "tick.t", 0.0, schema.MAX_SECONDS)
    if t < after:
        raise Malformed("tick.t", f"{t:g} is before the previous tick's {after:g}")
    return t


def read_session(path: str | Path) -> Session:
    """Read a session log (.json or .json.gz); SessionError (one line) when it cannot be
    read as one or a field in it is malformed."""
    p = Path(path)
    if not p.exists():
        raise SessionError(f"{p}: no such file")
    if p.is_dir():
        raise SessionError(f"{p}: is a folder, not a session file")
    if not p.is_file():
        raise SessionError(f"{p}: not a regular file")
    header: dict[str, Any] | None = None
    tick_lines: list[str] = []
    tick_numbers: list[int] = []
    times: list[float] = []
    tick_events: list[list[Event]] = []
    events: list[Event] = []
    event_ticks: list[int] = []
    pending: list[Event] = []
    summary: dict[str, Any] | None = None
    truncated = False
    damaged_at: int | None = None
    damaged_why = ""
    number = 0
    try:
        for number, line in enumerate(text_lines(p, MAX_LINE), start=1):
            if damaged_at is not None:  # a bad line followed by more: not a clean cut
                why = f" ({damaged_why})" if damaged_why else ""
                raise SessionError(f"{p}:{damaged_at}: damaged line inside the session{why}")
            if not line.strip():
                continue
            if header is None:
                header = _header(p, line)
                continue
            if not _looks_whole(line):
                damaged_at = number
                continue
            if _IS_TICK.match(line):
                t = _tick_time(_TICK_T.search(line, 0, 200), times[-1] if times else 0.0)
                tick_lines.append(line)
                tick_numbers.append(number)
                times.append(t)
                tick_events.append(pending)
                pending = []
                continue
            try:
                record = loads(line)
            except ValueError as exc:
                damaged_at, damaged_why = number, str(exc)  # a crash's mark if nothing follows
                continue
            kind = schema.table(record, "record").get("type")
            if kind == "event":
                ev = _event(record)
                pending.append(ev)
                events.append(ev)
                event_ticks.append(len(tick_lines))
            elif kind == "summary":
                summary = _summary(record)
    except Malformed as exc:
        raise SessionError(f"{p}:{number}: {exc}") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        if header is None:
            raise SessionError(f"{p}: cannot read ({exc})") from None
        truncated = True
    if header is None:
        raise SessionError(f"{p}: empty file, not a session")
    ticks = Ticks(tick_lines, tick_events, p, tick_numbers, times)
    if ticks:
        ticks[-1]  # the final tick must rebuild: reports and compare start there
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


def _header(path: Path, line: str) -> dict[str, Any]:
    try:
        record = loads(line)
    except ValueError as exc:
        if _IS_HEADER.match(line):  # a header, but not one JSON can hold
            raise SessionError(f"{path}:1: session header: {exc}") from None
        record = None
    if not isinstance(record, dict) or record.get("type") != "header":
        raise SessionError(
            f"{path}: not a loadtui session (the first line is not a session header)"
        )
    if record.get("format") != FORMAT:
        raise SessionError(
            f"{path}: not a loadtui session (the first line is not a session header)"
        )
    version = record.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SessionError(f"{path}: session header without a format version")
    if version > VERSION:
        raise SessionError(
            f"{path}: session format version {version} is newer than this loadtui reads "
            f"({VERSION}); upgrade loadtui"
        )
    try:
        _check_header(record)
    except Malformed as exc:
        raise SessionError(f"{path}:1: session header: {exc}") from None
    return record


def _check_header(record: dict[str, Any]) -> None:
    """What the commands read of a header: names, paths and URL as text, the profile
    and the thresholds as the scenario loader would have made them, the target's pids."""
    schema.plain(record, "")
    scenario = record.get("scenario")
    if scenario is not None:
        schema.table(scenario, "scenario")
        for key in ("name", "path"):
            if scenario.get(key) is not None:
                schema.text(scenario[key], f"scenario.{key}")
        schema.thresholds(scenario.get("thresholds"), "scenario.thresholds")
        users = scenario.get("users")
        for i, cls in enumerate(schema.listing(users, "scenario.users") if users else ()):
            schema.table(cls, f"scenario.users[{i}]")
            for key in ("tasks", "on_start"):
                tasks = cls.get(key)
                for j, task in enumerate(
                    schema.listing(tasks, f"scenario.users[{i}].{key}") if tasks else ()
                ):
                    schema.table(task, f"scenario.users[{i}].{key}[{j}]")
    target = record.get("target")
    if target is not None:
        schema.table(target, "target")
        for key in ("name", "url"):
            if target.get(key) is not None:
                schema.text(target[key], f"target.{key}")
    if record.get("profile") is not None:
        schema.profile(record["profile"])
    schema.pids(record.get("target_pids"), "target_pids")
    if record.get("workers") is not None:
        schema.whole(record["workers"], "workers", 1, 100_000)
    for key in ("tool", "started"):
        if record.get(key) is not None:
            schema.text(record[key], key)


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
