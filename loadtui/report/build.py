"""The report: what scripts read (docs/contracts.md, "Report JSON"; its type in schema.py).

Built from the final Snapshot (cumulative figures) and the threshold results; every
writer (JSON, Markdown, JUnit, CSV, terminal table) renders this one report, so they
never disagree. Its figures are finite numbers (histogram values, counters, durations of
a monotonic clock); facts a caller passes through are made JSON-safe here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from loadtui.metrics.recorder import TOTAL_NAME
from loadtui.metrics.snapshot import EndpointStats, Latency, Snapshot, StreamStats
from loadtui.metrics.streams import combine
from loadtui.metrics.target_process import TargetProcessSummary
from loadtui.report.answered import nothing_succeeded
from loadtui.report.schema import (
    REPORT_KEYS,
    Counts,
    EndpointRow,
    Figures,
    LatencyMs,
    Report,
    StreamFigures,
    TargetProcess,
    ThresholdEntry,
    Websocket,
    with_facts,
)
from loadtui.report.thresholds import ThresholdResult
from loadtui.scenario.threshold_metrics import metric_unit
from loadtui.scenario.userinfo import redact_url


def latency_ms(lat: Latency) -> LatencyMs:
    """Latency figures keyed as in the report (`p99.9`, not `p999`), µs resolution."""
    return {
        "p50": _ms(lat.p50),
        "p75": _ms(lat.p75),
        "p90": _ms(lat.p90),
        "p95": _ms(lat.p95),
        "p99": _ms(lat.p99),
        "p99.9": _ms(lat.p999),
        "max": _ms(lat.max),
        "min": _ms(lat.min),
        "mean": _ms(lat.mean),
    }


def _ms(value: float) -> float:
    return round(float(value), 3)


def counts(stats: EndpointStats) -> Counts:
    """The figures every scope has: the whole run and each endpoint. `clamped`: latencies
    beyond the histograms' 1 h, counted as 1 h; `checks`: responses judged (the implicit
    status < 400 included), `checks_failed` those that failed a check or an extraction."""
    return {
        "requests": stats.requests,
        "failures": stats.failures,
        "error_rate": round(stats.error_rate, 6),
        "rps": round(stats.mean_rps, 3),
        "latency_ms": latency_ms(stats.latency),
        "status_codes": {str(code): n for code, n in sorted(stats.status_codes.items())},
        "errors": _by_count(stats.errors),
        "bytes_in": stats.bytes_in,
        "bytes_out": stats.bytes_out,
        "clamped": stats.clamped,
        "checks": stats.checks,
        "checks_failed": stats.checks_failed,
    }


def figures(stats: EndpointStats) -> Figures:
    """`counts` and `rate_limited.responses`: 429 / 503-with-Retry-After (the run's own
    `rate_limited` adds the Retry-After figures)."""
    return {**counts(stats), "rate_limited": {"responses": stats.rate_limited}}


def endpoint_row(stats: EndpointStats) -> EndpointRow:
    return {"name": stats.name, "method": stats.method, **figures(stats)}


def stream_figures(st: StreamStats, duration_s: float) -> StreamFigures:
    """The figures of one WebSocket stream, or of all streams together; message rates
    are means over the run."""
    return {
        "sessions_opened": st.opened,
        "sessions_failed": st.failed,
        "sessions_closed": st.closed,
        "sessions_open": st.open,
        "disconnects": st.disconnects,
        "reconnects": st.reconnects,
        "messages_sent": st.messages_sent,
        "messages_received": st.messages_received,
        "sent_per_s": round(st.messages_sent / duration_s, 3) if duration_s > 0 else 0.0,
        "received_per_s": round(st.messages_received / duration_s, 3) if duration_s > 0 else 0.0,
        "bytes_sent": st.bytes_sent,
        "bytes_received": st.bytes_received,
        "round_trips": st.rtt.count,
        "rtt_ms": latency_ms(st.rtt),
        "handshake_ms": latency_ms(st.handshake),
        "first_message_ms": latency_ms(st.first_message),
        "gap_ms": latency_ms(st.gap),
        "close_codes": {str(code): n for code, n in sorted(st.close_codes.items())},
        "clamped": st.clamped,
        "handshake_failures": _by_count(st.handshake_failures),
        "errors": _by_count(st.errors),
    }


def websocket_section(final: Snapshot) -> Websocket | None:
    """The report's `websocket`: totals over all streams (the recorder's exact merge,
    `Snapshot.stream_total`) plus `streams`, one entry per stream; None when no stream
    ran."""
    if not final.streams:
        return None
    total = final.stream_total or combine(TOTAL_NAME, final.streams)
    return {
        **stream_figures(total, final.t),
        "streams": [{"name": st.name, **stream_figures(st, final.t)} for st in final.streams],
    }


def threshold_entry(r: ThresholdResult) -> ThresholdEntry:
    """One threshold's verdict. `observed` and `limit` are in `unit` (ms, fraction,
    count, per_s, bytes, percent of one core, bool as 0/1); `reason` says why `observed`
    is null. `scope` is run (with `endpoint`), websocket (with `stream`) or target."""
    t = r.threshold
    observed = r.observed if r.observed is not None and math.isfinite(r.observed) else None
    return {
        "name": r.name,
        "ok": r.ok,
        "observed": None if observed is None else round(observed, 6),
        "limit": r.limit,
        "metric": t.metric,
        "op": t.op,
        "unit": metric_unit(t.metric),
        "scope": t.scope,
        "endpoint": t.endpoint,
        "stream": t.stream,
        "reason": r.reason or None,
    }


def target_process_section(tp: TargetProcessSummary | None) -> TargetProcess | None:
    """The report's `target_process`: the target's processes (each with its descendants,
    summed) over the run; None when none was watched or none could be read."""
    if tp is None:
        return None
    return {
        "pids": list(tp.pids),
        "rss_start_bytes": tp.rss_start_bytes,
        "rss_end_bytes": tp.rss_end_bytes,
        "rss_max_bytes": tp.rss_max_bytes,
        "rss_growth_bytes": tp.rss_growth_bytes,
        "cpu_mean_percent": round(tp.cpu_mean_percent, 3),
        "cpu_max_percent": round(tp.cpu_max_percent, 3),
    }


def build_report(
    final: Snapshot,
    results: list[ThresholdResult],
    *,
    info: Mapping[str, object],
    target_process: TargetProcessSummary | None = None,
) -> Report:
    """The report of a run that ended with `final`.

    `info` supplies `scenario`, `target` (its password is hidden here), `profile`,
    `started` (ISO text, epoch seconds or datetime; default: the run start derived from
    `final`) and `saturation` (the generator's saturated periods, `(start, end)` pairs).
    Its other keys are passed through (JSON-safe) unless they would shadow a report key.
    `websocket` comes from the snapshot's streams (null when none ran), `target_process`
    from the run's TargetWatch (null when the target was not watched).
    """
    rl = final.rate_limit
    periods = _periods(info.get("saturation"))
    unserved = nothing_succeeded(final)  # the target served nothing: fails whatever else
    report: Report = {
        "scenario": _name(info.get("scenario")),
        "target": redact_url(_name(info.get("target"))),  # an old session's too
        "profile": _name(info.get("profile")),
        "started": _iso(info.get("started", final.wall - final.t)),
        "duration_s": round(final.t, 3),
        "iterations": final.load.iterations,
        **counts(final.total),
        "rate_limited": {
            "responses": rl.responses,
            "with_retry_after": rl.with_retry_after,
            "honoured": rl.honoured,
            "waited_s": round(rl.waited_s, 3),
        },
        "endpoints": [endpoint_row(e) for e in final.endpoints],
        "websocket": websocket_section(final),
        "target_process": target_process_section(target_process),
        "open_model": {"late_starts": final.load.late_starts, "dropped": final.load.dropped},
        # Periods (start, end seconds) when the generator itself was the bottleneck.
        "generator_saturated": bool(periods),
        "saturation": [[round(a, 1), round(b, 1)] for a, b in periods],
        "thresholds": [threshold_entry(r) for r in results],
        "unserved": unserved,
        "passed": all(r.ok for r in results) and unserved is None,
    }
    facts = {k: json_safe(v) for k, v in info.items() if k not in REPORT_KEYS}
    return with_facts(report, facts) if facts else report


def _name(value: object) -> str:
    return "" if value is None else str(value)


def _periods(value: object) -> list[tuple[float, float]]:
    """The saturation periods of `info`: (start, end) pairs of seconds, as given."""
    if not isinstance(value, Iterable):
        return []
    return [(a, b) for a, b in value]


def _by_count(by_key: Mapping[str, int]) -> dict[str, int]:
    """Most frequent first, then by name."""
    return dict(sorted(by_key.items(), key=lambda kv: (-kv[1], kv[0])))


def json_safe(value: Any) -> Any:
    """A copy fit for `json.dumps(allow_nan=False)`: NaN/inf → None, tuples → lists,
    keys → str, bytes → ASCII text, datetimes → ISO text, other objects → str."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int):
        return value
    return str(value)  # paths, enums: readable rather than a TypeError at the end of a run


def _iso(started: object) -> str | None:
    """ISO 8601 text of `started`: epoch seconds (UTC, ms), a datetime, or text as is."""
    if isinstance(started, int | float) and not isinstance(started, bool):
        if not math.isfinite(started):
            return None
        return datetime.fromtimestamp(started, tz=UTC).isoformat(timespec="milliseconds")
    if isinstance(started, datetime):
        return started.isoformat()
    return None if started is None else str(started)
