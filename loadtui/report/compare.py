"""`loadtui compare BASE NEW`: two recorded sessions side by side, regressions marked.

Figures come from each session's final snapshot (cumulative over the whole run), matched
by endpoint name and by stream name; names found on one side only are listed as added or
removed, never judged. The rules, with `tol` the tolerance (0.10 = 10%):

- latency (p50/p95/p99, WebSocket RTT p50/p95/p99 and handshake p95) regresses when
  `new - base > tol * base` and `new - base > floor_ms` (1 ms by default): on loopback a
  0.1 ms → 0.3 ms p99 is +200% of noise, not a regression;
- error rate, and a stream's failed sessions as a rate (failed / (opened + failed)),
  regresses when `new - base > max(tol * base, 0.001)`: relative, yet at least 0.1 point;
- req/s regresses when `new < base * (1 - tol)`.

Improvements are the mirror images. A figure without data on a side (no requests, no
round trips) is not judged. Runs that are not comparable (comparable.py: another
scenario, profile, selection, iteration budget, target, worker count, or a length 20%
off) are still tabled, but not judged unless `allow_different`. UI-free: plain strings
for the terminal and Markdown.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from loadtui.metrics.recorder import TOTAL_NAME
from loadtui.metrics.snapshot import EndpointStats, Latency, Snapshot, StreamStats
from loadtui.metrics.streams import combine
from loadtui.report import fmt
from loadtui.report.comparable import Difference, RunSetup, differences, notes, run_setup
from loadtui.session.reader import Session, SessionError

Verdict = Literal["regression", "improvement", "same", "n/a"]
Kind = Literal["latency", "rate", "throughput"]  # how a figure is judged and written

FLOOR_MS = 1.0  # a latency must also grow by more than this to be a regression
ERROR_RATE_FLOOR = 0.001  # 0.1 percentage point
MARK: dict[str, str] = {"regression": "✗", "improvement": "✓", "same": "", "n/a": ""}


def parse_tolerance(text: str) -> float:
    """`--tolerance`: "10%" or the fraction "0.1" → 0.1. A bare number must be below 1,
    so that "10" is refused rather than read as 1000%. ValueError with a one-line message."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw[:-1] if percent else raw)
    except ValueError:
        raise ValueError(f"tolerance {text!r}: expected a percentage like 10% or 0.1") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"tolerance {text!r}: must be a finite number, 0 or more")
    if percent:
        return value / 100
    if value >= 1:
        raise ValueError(f"tolerance {text!r} is ambiguous: write {value:g}% or {value / 100:g}")
    return value


@dataclass(frozen=True)
class Delta:
    """One figure of one endpoint or stream, both sides. None: no data on that side."""

    figure: str  # "p50", "error rate", "req/s", "RTT p95", "handshake p95", "failed sessions"
    kind: Kind
    base: float | None
    new: float | None
    verdict: Verdict
    counts: tuple[int, int] | None = None  # failed sessions: the counts behind the rates

    @property
    def change(self) -> float | None:
        return None if self.base is None or self.new is None else self.new - self.base

    @property
    def relative(self) -> float | None:
        ch = self.change
        return None if ch is None or not self.base else ch / self.base


@dataclass(frozen=True)
class Row:
    """An endpoint or a stream found in both sessions, or the Total over them."""

    name: str  # as matched ("Total" for the total)
    label: str  # as shown ("GET /items" for a bare path)
    stream: bool
    total: bool
    deltas: tuple[Delta, ...]

    @property
    def scope(self) -> str:
        """How regressions name the row: "work", "Total", "stream chat", "streams Total"."""
        if not self.stream:
            return self.label
        return "streams Total" if self.total else f"stream {self.label}"

    def delta(self, figure: str) -> Delta:
        return next(d for d in self.deltas if d.figure == figure)


@dataclass(frozen=True)
class Section:
    """HTTP endpoints, or WebSocket streams."""

    rows: tuple[Row, ...]  # in both sessions, in BASE's order
    total: Row | None  # None when there is nothing to add up (one same-named entry)
    added: tuple[str, ...]  # only in NEW
    removed: tuple[str, ...]  # only in BASE

    def table(self) -> list[Row]:
        return [*self.rows, *([self.total] if self.total else [])]

    def __bool__(self) -> bool:
        return bool(self.rows or self.total or self.added or self.removed)


@dataclass(frozen=True)
class Side:
    """What the header says of one session."""

    path: str
    scenario: str
    scenario_file: str
    target: str  # the URL
    profile: str
    duration_s: float
    workers: int
    requests: int
    truncated: bool


@dataclass(frozen=True)
class Comparison:
    base: Side
    new: Side
    tolerance: float
    floor_ms: float
    endpoints: Section
    streams: Section
    notes: tuple[str, ...]  # cut-off sessions; targets differing only in a loopback port
    differences: tuple[Difference, ...] = ()  # why the runs are not comparable
    allow_different: bool = False  # judge them all the same

    @property
    def comparable(self) -> bool:
        return not self.differences

    @property
    def judged(self) -> bool:
        """The verdict stands: comparable runs, or differences allowed."""
        return self.comparable or self.allow_different

    def rows(self) -> Iterator[Row]:
        yield from self.endpoints.table()
        yield from self.streams.table()

    def endpoint(self, name: str) -> Row | None:
        return next((r for r in self.endpoints.table() if r.name == name), None)

    def stream(self, name: str) -> Row | None:
        return next((r for r in self.streams.table() if r.name == name), None)

    def _marked(self, verdict: Verdict) -> list[str]:
        return [
            f"{r.scope}: {describe(d)}"
            for r in self.rows()
            for d in r.deltas
            if d.verdict == verdict
        ]

    @property
    def regressions(self) -> list[str]:
        """One line per regressed figure: "work: p95 5.38 ms → 30.6 ms (+25.2 ms, +469%)"."""
        return self._marked("regression")

    @property
    def improvements(self) -> list[str]:
        return self._marked("improvement")

    @property
    def ok(self) -> bool:
        """No regression (whether the runs are comparable is `judged`)."""
        return not self.regressions


def _judge(kind: Kind, b: float | None, n: float | None, tol: float, floor_ms: float) -> Verdict:
    if b is None or n is None:
        return "n/a"
    d = n - b
    if kind == "latency":
        worse, better = d > tol * b and d > floor_ms, -d > tol * b and -d > floor_ms
    elif kind == "rate":
        margin = max(tol * b, ERROR_RATE_FLOOR)
        worse, better = d > margin, -d > margin
    else:  # throughput: judged only against a base that did something
        worse, better = b > 0 and -d > tol * b, b > 0 and d > tol * b
    return "regression" if worse else "improvement" if better else "same"


_Figure = tuple[str, Kind, float | None, int | None]


def _lat(lat: Latency, key: str) -> float | None:
    return lat.get(key) if lat.count or lat.max else None


def _figures(s: EndpointStats | StreamStats) -> list[_Figure]:
    if isinstance(s, EndpointStats):
        return [
            *((k, "latency", _lat(s.latency, k), None) for k in ("p50", "p95", "p99")),
            ("error rate", "rate", s.error_rate if s.requests else None, None),
            ("req/s", "throughput", s.mean_rps, None),
        ]
    tries = s.opened + s.failed
    return [
        *((f"RTT {k}", "latency", _lat(s.rtt, k), None) for k in ("p50", "p95", "p99")),
        ("handshake p95", "latency", _lat(s.handshake, "p95"), None),
        ("failed sessions", "rate", s.failed / tries if tries else None, s.failed),
    ]


def _row(b: Any, n: Any, total: bool, tol: float, floor_ms: float) -> Row:
    deltas = tuple(
        Delta(f, k, bv, nv, _judge(k, bv, nv, tol, floor_ms), _counts(bc, nc))
        for (f, k, bv, bc), (_f, _k, nv, nc) in zip(_figures(b), _figures(n), strict=True)
    )
    label = "Total" if total else fmt.endpoint_label({"name": n.name, "method": _method(n)})
    return Row("Total" if total else n.name, label, isinstance(n, StreamStats), total, deltas)


def _counts(base: int | None, new: int | None) -> tuple[int, int] | None:
    return None if base is None or new is None else (base, new)


def _method(stats: EndpointStats | StreamStats) -> str:
    return stats.method if isinstance(stats, EndpointStats) else ""


def _section(
    base: tuple[Any, ...], new: tuple[Any, ...], totals: tuple[Any, Any], tol: float, floor: float
) -> Section:
    """Pairs by name in BASE's order; a Total unless both ran the same single entry."""
    by_name = {x.name: x for x in new}
    base_names = {x.name for x in base}
    rows = tuple(_row(b, by_name[b.name], False, tol, floor) for b in base if b.name in by_name)
    same_single = len(base) == len(new) == 1 and base[0].name == new[0].name
    total = None if same_single else _row(*totals, True, tol, floor)
    return Section(
        rows,
        total,
        tuple(x.name for x in new if x.name not in base_names),
        tuple(x.name for x in base if x.name not in by_name),
    )


def _side(session: Session) -> tuple[Side, Snapshot, RunSetup]:
    final = session.final
    if final is None:
        raise SessionError(f"{session.path}: no tick recorded, nothing to compare")
    facts = run_setup(session.header, final.t, final.load.iterations)
    side = Side(
        path=str(session.path),
        scenario=facts.scenario,
        scenario_file=facts.scenario_file,
        target=facts.target,
        profile=facts.profile,
        duration_s=final.t,
        workers=facts.workers,
        requests=final.total.requests,
        truncated=session.truncated,
    )
    return side, final, facts


def _stream_total(snap: Snapshot) -> StreamStats:
    return snap.stream_total or combine(TOTAL_NAME, snap.streams)


def compare(
    base: Session,
    new: Session,
    *,
    tolerance: float = 0.10,
    floor_ms: float = FLOOR_MS,
    allow_different: bool = False,
) -> Comparison:
    """BASE against NEW by the rules in the module docstring. SessionError when a session
    holds no tick; ValueError on a negative or non-finite tolerance or floor."""
    if not all(math.isfinite(x) and x >= 0 for x in (tolerance, floor_ms)):
        raise ValueError("tolerance and floor must be finite numbers, 0 or more")
    (sb, fb, facts_b), (sn, fn, facts_n) = _side(base), _side(new)
    http = fb.endpoints or fn.endpoints or fb.total.requests or fn.total.requests
    endpoints = Section((), None, (), ())
    if http:
        endpoints = _section(fb.endpoints, fn.endpoints, (fb.total, fn.total), tolerance, floor_ms)
    streams = Section((), None, (), ())
    if fb.streams or fn.streams:
        totals = (_stream_total(fb), _stream_total(fn))
        streams = _section(fb.streams, fn.streams, totals, tolerance, floor_ms)
    cut = tuple(
        f"{tag} was cut off (a killed run): figures up to its last tick"
        for tag, side in (("BASE", sb), ("NEW", sn))
        if side.truncated
    )
    return Comparison(
        sb,
        sn,
        tolerance,
        floor_ms,
        endpoints,
        streams,
        notes(facts_b, facts_n) + cut,
        differences(facts_b, facts_n),
        allow_different,
    )


# --- writing figures ---------------------------------------------------------------------


def value(d: Delta, side: Literal[0, 1]) -> str:
    """One side's figure, without its unit; "-" without data."""
    v = (d.base, d.new)[side]
    if v is None:
        return "-"
    if d.kind == "latency":
        return fmt.ms(v)
    if d.kind == "throughput":
        return fmt.rate(v)
    return f"{fmt.count(d.counts[side])} ({fmt.pct(v)})" if d.counts else fmt.pct(v)


def change(d: Delta) -> str:
    """The absolute delta: "+25.2" (ms), "+1.20 pp", "-12.3" (req/s), "0"; "-" without data."""
    ch = d.change
    if ch is None:
        return "-"
    if ch == 0:
        return "0"
    if d.kind == "rate":
        return f"{ch * 100:+.2f} pp"
    return ("+" if ch > 0 else "-") + (
        fmt.ms(abs(ch)) if d.kind == "latency" else fmt.rate(abs(ch))
    )


def relative(d: Delta) -> str:
    """ "+469%", "-9.3%", "0%"; "new" from a zero base; "-" without data."""
    rel = d.relative
    if rel is None:
        return "new" if d.base == 0 and d.new else "0%" if d.change == 0 else "-"
    pct = rel * 100
    if pct == 0:
        return "0%"
    return f"{pct:+.1f}%" if abs(pct) < 10 else f"{pct:+,.0f}%"


def describe(d: Delta) -> str:
    """ "p95 5.38 ms → 30.6 ms (+25.2 ms, +469%)": a regression or improvement line."""
    unit = " ms" if d.kind == "latency" else ""
    ch = change(d) + (unit if d.change else "")
    return f"{d.figure} {value(d, 0)}{unit} → {value(d, 1)}{unit} ({ch}, {relative(d)})"
