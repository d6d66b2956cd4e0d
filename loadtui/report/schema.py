"""The report's shape (docs/contracts.md, "Report JSON"), and its one JSON form.

The report stays the JSON object scripts read: these TypedDicts name every key and its
type, so the renderers and verdict readers index checked fields, while the dict itself
is what `to_json` writes and what the session summary line embeds, unchanged. Every
key is always present (total TypedDicts); a figure that does not apply is null.

`from_json` reads a report back (a session's summary, written by any earlier version):
each field is checked against these types and one that is missing takes its empty
value (0, "", false, null, an empty list or table), so an old report reads with
today's keys; a field of the wrong type is `Malformed`, named by its dotted path. Top
level keys the type does not name (facts a caller passed through) are kept as they
are; unknown keys inside a part are dropped (no reader knows them).
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Mapping
from typing import (
    Any,
    Literal,
    TypedDict,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from loadtui.scenario.threshold_metrics import Scope, Unit
from loadtui.session.schema import (
    MAX_COUNT,
    MAX_NUMBER,
    MAX_SECONDS,
    Malformed,
    boolean,
    kind,
    listing,
    number,
    plain,
    table,
    text,
    whole,
)

LatencyKey = Literal["p50", "p75", "p90", "p95", "p99", "p99.9", "max", "min", "mean"]

# Milliseconds, µs resolution; all zero when nothing was measured.
LatencyMs = TypedDict(
    "LatencyMs",
    {
        "p50": float,
        "p75": float,
        "p90": float,
        "p95": float,
        "p99": float,
        "p99.9": float,
        "max": float,
        "min": float,
        "mean": float,
    },
)


class Counts(TypedDict):
    """The HTTP figures of the whole run and of each endpoint (`rate_limited` aside:
    an endpoint has its count, the run has the Retry-After figures too)."""

    requests: int
    failures: int
    error_rate: float
    rps: float
    latency_ms: LatencyMs
    status_codes: dict[str, int]
    errors: dict[str, int]  # by kind, most frequent first
    bytes_in: int
    bytes_out: int
    clamped: int
    checks: int
    checks_failed: int


class RateLimitedCount(TypedDict):
    responses: int


class Figures(Counts):
    rate_limited: RateLimitedCount


class EndpointRow(Figures):
    name: str
    method: str


class RateLimited(TypedDict):
    responses: int
    with_retry_after: int
    honoured: int
    waited_s: float


class StreamFigures(TypedDict):
    """One WebSocket stream's figures, or all streams' together."""

    sessions_opened: int
    sessions_failed: int
    sessions_closed: int
    sessions_open: int
    disconnects: int
    reconnects: int
    messages_sent: int
    messages_received: int
    sent_per_s: float
    received_per_s: float
    bytes_sent: int
    bytes_received: int
    round_trips: int
    rtt_ms: LatencyMs
    handshake_ms: LatencyMs
    first_message_ms: LatencyMs
    gap_ms: LatencyMs
    close_codes: dict[str, int]
    clamped: int
    handshake_failures: dict[str, int]
    errors: dict[str, int]


class StreamRow(StreamFigures):
    name: str


class Websocket(StreamFigures):
    streams: list[StreamRow]


class TargetProcess(TypedDict):
    pids: list[int]
    rss_start_bytes: int
    rss_end_bytes: int
    rss_max_bytes: int
    rss_growth_bytes: int
    cpu_mean_percent: float
    cpu_max_percent: float


class OpenModel(TypedDict):
    late_starts: int
    dropped: int


class ThresholdEntry(TypedDict):
    """One threshold's verdict; `observed` and `limit` in `unit`, `observed` null (and
    `ok` false) when there was nothing to measure, `reason` saying why."""

    name: str
    ok: bool
    observed: float | None
    limit: float
    metric: str
    op: str  # "<", "<=", ">", ">=", "=="; "" in a report older than the field
    unit: Unit | None
    scope: Scope
    endpoint: str | None
    stream: str | None
    reason: str | None


class Report(Counts):
    """The whole report. Built by build.build_report; its keys come out in the order
    of docs/contracts.md (scenario, target, ... then the figures, ... passed)."""

    scenario: str
    target: str  # the URL, its password hidden
    profile: str
    started: str | None  # ISO 8601
    duration_s: float
    # Iterations begun: tasks picked, passes of ordered flows, open-model arrivals (a
    # count, -i N, is never passed; one cut off at stop counts).
    iterations: int
    rate_limited: RateLimited
    endpoints: list[EndpointRow]
    websocket: Websocket | None
    target_process: TargetProcess | None
    open_model: OpenModel
    generator_saturated: bool
    saturation: list[list[float]]  # [start_s, end_s] periods
    thresholds: list[ThresholdEntry]
    unserved: str | None
    passed: bool


REPORT_KEYS = frozenset(get_type_hints(Report))


def to_json(report: Report) -> str:
    """The report file's text: strict JSON (no NaN, which build_report never gives),
    indented, UTF-8 as is."""
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def with_facts(report: Report, facts: Mapping[str, object]) -> Report:
    """`report` with the caller's own facts after its keys, never replacing one: the one
    place a report holds keys its type does not name (docs/contracts.md)."""
    out: dict[str, object] = dict(report)
    for key, value in facts.items():
        out.setdefault(key, value)
    return cast(Report, out)


def facts_of(report: Mapping[str, object]) -> dict[str, object]:
    """The keys of `report` its type does not name, in their order."""
    return {k: v for k, v in report.items() if k not in REPORT_KEYS}


def from_json(data: object, where: str = "report") -> Report:
    """A report read back from JSON: every field checked, a missing one filled with its
    empty value, other keys kept (see the module doc). Malformed names a bad field."""
    made: Report = _read(Report)(data, where)
    return made


# ---- checks compiled from the types above --------------------------------------------

_Check = Callable[[Any, str], Any]
_CHECKS: dict[object, _Check] = {}


def _read(tp: object) -> _Check:
    """The (cached) check of type `tp`: returns the value read, raises Malformed."""
    found = _CHECKS.get(tp)
    if found is None:
        found = _CHECKS[tp] = _compile(tp)
    return found


def _compile(tp: object) -> _Check:
    origin, args = get_origin(tp), get_args(tp)
    if tp is bool:
        return boolean
    if tp is int:
        return lambda v, w: whole(v, w, -MAX_COUNT, MAX_COUNT)  # RSS growth may be < 0
    if tp is float:
        return lambda v, w: number(v, w, -MAX_NUMBER, MAX_NUMBER)
    if tp is str:
        return text
    if origin is Literal:
        return _one_of(frozenset(args))
    if origin in (Union, types.UnionType):
        (inner,) = (a for a in args if a is not type(None))
        check = _read(inner)
        return lambda v, w: None if v is None else check(v, w)
    if origin is list:
        return _list_of(_read(args[0]))
    if origin is dict:
        return _table_of(_read(args[1]))
    if is_typeddict(tp):
        return _record(tp)
    raise TypeError(f"no report check for {tp!r}")  # pragma: no cover - a type change


def _one_of(words: frozenset[object]) -> _Check:
    def check(v: Any, where: str) -> Any:
        if not isinstance(v, str) or v not in words:
            allowed = ", ".join(sorted(map(str, words)))
            got = repr(v[:20]) if isinstance(v, str) else kind(v)
            raise Malformed(where, f"expected one of {allowed}, got {got}")
        return v

    return check


def _list_of(item: _Check) -> _Check:
    def check(v: Any, where: str) -> list[Any]:
        return [item(x, f"{where}[{i}]") for i, x in enumerate(listing(v, where))]

    return check


def _table_of(value: _Check) -> _Check:
    def check(v: Any, where: str) -> dict[str, Any]:
        return {k: value(x, f"{where}.{k[:40]}") for k, x in table(v, where).items()}

    return check


def _period(v: Any, where: str) -> list[float]:
    pair = listing(v, where)
    if len(pair) != 2:
        raise Malformed(where, "expected [start, end]")
    return [number(x, f"{where}[{i}]", 0.0, MAX_SECONDS) for i, x in enumerate(pair)]


# Fields whose check is not their type's: saturation periods are [start, end] pairs.
_FIELD_CHECKS: dict[str, _Check] = {"saturation": _list_of(_period)}


def _record(tp: object) -> _Check:
    hints = get_type_hints(tp)
    fields = {name: _FIELD_CHECKS.get(name) or _read(hint) for name, hint in hints.items()}
    empty = {name: _empty(hint) for name, hint in hints.items()}
    only_known = tp is not Report  # only the top level carries pass-through facts

    def check(v: Any, where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in table(v, where).items():
            if key in fields:
                out[key] = fields[key](value, f"{where}.{key}")
            elif not only_known:
                out[key] = plain(value, f"{where}.{key[:40]}")
        for key, make in empty.items():
            if key not in out:
                out[key] = make()
        return out

    return check


def _empty(tp: object) -> Callable[[], object]:
    """The value a field missing from an old report takes."""
    origin, args = get_origin(tp), get_args(tp)
    if tp is bool:
        return lambda: False
    if tp is int:
        return lambda: 0
    if tp is float:
        return lambda: 0.0
    if tp is str:
        return lambda: ""
    if origin is Literal:
        first = args[0]  # Scope: "run", the scope every old threshold had
        return lambda: first
    if origin in (Union, types.UnionType) and type(None) in args:
        return lambda: None
    if origin is list:
        return list
    if origin is dict:
        return dict
    if is_typeddict(tp):
        make = _read(tp)
        return lambda: make({}, "")
    raise TypeError(f"no empty value for {tp!r}")  # pragma: no cover - a type change
