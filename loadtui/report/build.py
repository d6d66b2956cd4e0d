"""The report dict: what scripts read (docs/contracts.md, "Report JSON").

Built from the final Snapshot (cumulative figures) and the threshold results; every
writer (JSON, Markdown, JUnit, terminal table) renders this one dict, so they never
disagree. Values are JSON-safe: no NaN or infinity (they become null), string keys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from loadtui.metrics.recorder import TOTAL_NAME
from loadtui.metrics.snapshot import EndpointStats, Latency, Snapshot, StreamStats
from loadtui.metrics.streams import combine
from loadtui.metrics.target_process import TargetProcessSummary
from loadtui.report.answered import nothing_succeeded
from loadtui.report.thresholds import ThresholdResult
from loadtui.scenario.threshold_metrics import metric_unit
from loadtui.scenario.userinfo import redact_url

LATENCY_KEYS: tuple[tuple[str, str], ...] = (
    ("p50", "p50"),
    ("p75", "p75"),
    ("p90", "p90"),
    ("p95", "p95"),
    ("p99", "p99"),
    ("p99.9", "p999"),
    ("max", "max"),
    ("min", "min"),
    ("mean", "mean"),
)


def latency_ms(lat: Latency) -> dict[str, float]:
    """Latency figures keyed as in the report (`p99.9`, not `p999`), µs resolution."""
    return {key: round(float(getattr(lat, attr)), 3) for key, attr in LATENCY_KEYS}


def figures(stats: EndpointStats) -> dict[str, Any]:
    """The figures every scope has: the whole run and each endpoint. `clamped`: latencies
    beyond the histograms' 1 h, counted as 1 h; `checks`: responses judged (the implicit
    status < 400 included), `checks_failed` those that failed a check or an extraction;
    `rate_limited.responses`: 429 / 503-with-Retry-After (the run's own `rate_limited`
    adds the Retry-After figures)."""
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
        "rate_limited": {"responses": stats.rate_limited},
    }


def stream_figures(st: StreamStats, duration_s: float) -> dict[str, Any]:
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


def websocket_section(final: Snapshot) -> dict[str, Any] | None:
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


def threshold_entry(r: ThresholdResult) -> dict[str, Any]:
    """One threshold's verdict. `observed` and `limit` are in `unit` (ms, fraction,
    count, per_s, bytes, percent of one core, bool as 0/1); `reason` says why `observed`
    is null. `scope` is run (with `endpoint`), websocket (with `stream`) or target."""
    t = r.threshold
    return {
        "name": r.name,
        "ok": r.ok,
        "observed": None if r.observed is None else round(r.observed, 6),
        "limit": r.limit,
        "metric": t.metric,
        "op": t.op,
        "unit": metric_unit(t.metric),
        "scope": t.scope,
        "endpoint": t.endpoint,
        "stream": t.stream,
        "reason": r.reason or None,
    }


def target_process_section(tp: TargetProcessSummary | None) -> dict[str, Any] | None:
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
    info: Mapping[str, Any],
    target_process: TargetProcessSummary | None = None,
) -> dict[str, Any]:
    """The report of a run that ended with `final`.

    `info` supplies `scenario`, `target` (its password is hidden here), `profile` and
    `started` (ISO text, epoch seconds or datetime; default: the run start derived from
    `final`). Other `info` keys
    are passed through unless they would shadow a report key. `websocket` comes from
    the snapshot's streams (null when none ran), `target_process` from the run's
    TargetWatch (null when the target was not watched).
    """
    rl = final.rate_limit
    report: dict[str, Any] = {
        "scenario": info.get("scenario", ""),
        "target": redact_url(str(info.get("target", ""))),  # an old session's too
        "profile": info.get("profile", ""),
        "started": _iso(info.get("started", final.wall - final.t)),
        "duration_s": round(final.t, 3),
        **figures(final.total),
        "endpoints": [{"name": e.name, "method": e.method, **figures(e)} for e in final.endpoints],
        "websocket": websocket_section(final),
        "target_process": target_process_section(target_process),
        "rate_limited": {
            "responses": rl.responses,
            "with_retry_after": rl.with_retry_after,
            "honoured": rl.honoured,
            "waited_s": round(rl.waited_s, 3),
        },
        "open_model": {"late_starts": final.load.late_starts, "dropped": final.load.dropped},
        # Periods (start, end seconds) when the generator itself was the bottleneck.
        "generator_saturated": bool(info.get("saturation")),
        "saturation": [[round(a, 1), round(b, 1)] for a, b in info.get("saturation") or ()],
        "thresholds": [threshold_entry(r) for r in results],
        # A run where the target served nothing fails whatever its thresholds.
        "unserved": nothing_succeeded(final),
        "passed": all(r.ok for r in results) and nothing_succeeded(final) is None,
    }
    for key, value in info.items():
        report.setdefault(key, value)  # extra facts never shadow a report key
    safe: dict[str, Any] = json_safe(report)  # a dict in, a dict out
    return safe


def _by_count(counts: Mapping[str, int]) -> dict[str, int]:
    """Most frequent first, then by name."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


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


def _iso(started: Any) -> Any:
    if isinstance(started, int | float) and not isinstance(started, bool):
        if not math.isfinite(started):
            return None
        return datetime.fromtimestamp(started, tz=UTC).isoformat(timespec="milliseconds")
    if isinstance(started, datetime):
        return started.isoformat()
    return started
