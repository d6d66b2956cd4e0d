"""The report dict: what scripts read (design.md §4 "Report JSON").

Built from the final Snapshot (cumulative figures) and the threshold results; every
writer (JSON, Markdown, JUnit, terminal table) renders this one dict, so they never
disagree. Values are JSON-safe: no NaN or infinity (they become null), string keys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from loadtui.metrics.snapshot import EndpointStats, Latency, Snapshot
from loadtui.report.thresholds import ThresholdResult

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
_OWN_KEYS = frozenset(
    {
        "scenario",
        "target",
        "profile",
        "started",
        "duration_s",
        "requests",
        "failures",
        "error_rate",
        "rps",
        "latency_ms",
        "status_codes",
        "errors",
        "bytes_in",
        "bytes_out",
        "endpoints",
        "websocket",
        "rate_limited",
        "open_model",
        "thresholds",
        "passed",
    }
)


def latency_ms(lat: Latency) -> dict[str, float]:
    """Latency figures keyed as in the report (`p99.9`, not `p999`), µs resolution."""
    return {key: round(float(getattr(lat, attr)), 3) for key, attr in LATENCY_KEYS}


def figures(stats: EndpointStats) -> dict[str, Any]:
    """The figures every scope has: the whole run and each endpoint."""
    return {
        "requests": stats.requests,
        "failures": stats.failures,
        "error_rate": round(stats.error_rate, 6),
        "rps": round(stats.mean_rps, 3),
        "latency_ms": latency_ms(stats.latency),
        "status_codes": {str(code): n for code, n in sorted(stats.status_codes.items())},
        "errors": dict(sorted(stats.errors.items(), key=lambda kv: (-kv[1], kv[0]))),
        "bytes_in": stats.bytes_in,
        "bytes_out": stats.bytes_out,
    }


def threshold_entry(r: ThresholdResult) -> dict[str, Any]:
    return {
        "name": r.name,
        "ok": r.ok,
        "observed": None if r.observed is None else round(r.observed, 6),
        "limit": r.limit,
        "metric": r.threshold.metric,
        "op": r.threshold.op,
        "endpoint": r.threshold.endpoint,
    }


def build_report(
    final: Snapshot, results: list[ThresholdResult], *, info: Mapping[str, Any]
) -> dict[str, Any]:
    """The report of a run that ended with `final`.

    `info` supplies `scenario`, `target`, `profile`, `started` (ISO text, epoch seconds
    or datetime; default: the run start derived from `final`) and optionally `websocket`
    (a dict of stream figures, once streams exist). Other `info` keys are passed through
    unless they would shadow a report key.
    """
    rl = final.rate_limit
    report: dict[str, Any] = {
        "scenario": info.get("scenario", ""),
        "target": info.get("target", ""),
        "profile": info.get("profile", ""),
        "started": _iso(info.get("started", final.wall - final.t)),
        "duration_s": round(final.t, 3),
        **figures(final.total),
        "endpoints": [{"name": e.name, "method": e.method, **figures(e)} for e in final.endpoints],
        "websocket": info.get("websocket") or None,
        "rate_limited": {
            "responses": rl.responses,
            "with_retry_after": rl.with_retry_after,
            "honoured": rl.honoured,
            "waited_s": round(rl.waited_s, 3),
        },
        "open_model": {"late_starts": final.load.late_starts, "dropped": final.load.dropped},
        "thresholds": [threshold_entry(r) for r in results],
        "passed": all(r.ok for r in results),
    }
    for key, value in info.items():
        if key not in _OWN_KEYS:
            report[key] = value
    return json_safe(report)


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
