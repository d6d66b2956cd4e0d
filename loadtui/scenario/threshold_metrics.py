"""Which threshold metrics exist, in which table, and in what unit.

One catalog, read by the scenario parser (what may be written where, and how its value
reads) and by the reports (how an observed value or a limit is shown). A metric's name
fixes its unit everywhere, so a report entry's `metric` is enough to format it.

Tables (scopes):
- run: `[thresholds]` (the whole run) and `[thresholds.endpoints."NAME"]` (one task);
  some metrics exist for the whole run only (`RUN_ONLY`).
- websocket: `[thresholds.websocket]` (all streams) and
  `[thresholds.websocket.streams."NAME"]` (one stream).
- target: `[thresholds.target]`, the watched target processes.
"""

from __future__ import annotations

import re
from typing import Literal

Scope = Literal["run", "websocket", "target"]
# ms: a latency; fraction: a share in 0..1 (written "5%" or 0.05); count: a whole number;
# per_s: per second; bytes: a size; percent: percent of one CPU core; bool: true/false.
Unit = Literal["ms", "fraction", "count", "per_s", "bytes", "percent", "bool"]

LATENCY_STATS = ("p50", "p75", "p90", "p95", "p99", "p99.9", "max", "mean")
STATUS_CLASSES = tuple(f"status_{c}xx" for c in range(1, 6))
# Written `rate_limited = "< 10"` (no %): the count, stored under its own name so that
# every reader can tell it from the share (`rate_limited = "< 5%"`).
RATE_LIMITED_COUNT = "rate_limited_count"
RUN_ONLY = ("dropped", "late", "generator_saturated")
RUN_METRICS = (
    *LATENCY_STATS, "error_rate", "rps", *STATUS_CLASSES, "status_429", "rate_limited",
    "checks", "unfinished", *RUN_ONLY,
)  # fmt: skip
WS_FAMILIES = ("rtt", "handshake", "first_message", "gap")
WEBSOCKET_METRICS = (
    "success_rate",
    *(f"{family}_{stat}" for family in WS_FAMILIES for stat in LATENCY_STATS),
    "disconnects", "reconnects", "messages_received",
)  # fmt: skip
TARGET_METRICS = ("rss_growth", "rss_max", "cpu_mean", "cpu_max")
SCOPE_METRICS: dict[Scope, tuple[str, ...]] = {
    "run": RUN_METRICS,
    "websocket": WEBSOCKET_METRICS,
    "target": TARGET_METRICS,
}
SCOPE_TABLES: dict[Scope, str] = {
    "run": "[thresholds]",
    "websocket": "[thresholds.websocket]",
    "target": "[thresholds.target]",
}

STATUS_CODE = re.compile(r"status_([1-5])(\d\d)")
STATUS_CLASS = re.compile(r"status_([1-5])xx")
_WS_LATENCY = re.compile(rf"({'|'.join(WS_FAMILIES)})_(p50|p75|p90|p95|p99|p99\.9|max|mean)")
_COUNTS = frozenset(
    {"unfinished", "dropped", "late", RATE_LIMITED_COUNT, "disconnects", "reconnects",
     "messages_received"}
)  # fmt: skip
_UNITS: dict[str, Unit] = {
    "error_rate": "fraction",
    "rate_limited": "fraction",
    "checks": "fraction",
    "success_rate": "fraction",
    "rps": "per_s",
    "rss_growth": "bytes",
    "rss_max": "bytes",
    "cpu_mean": "percent",
    "cpu_max": "percent",
    "generator_saturated": "bool",
}


def ws_latency(metric: str) -> tuple[str, str] | None:
    """("rtt", "p95") for "rtt_p95"; None for any other metric."""
    m = _WS_LATENCY.fullmatch(metric)
    return (m.group(1), m.group(2)) if m else None


def metric_unit(metric: str) -> Unit | None:
    """The unit of any known metric of any scope; None for an unknown one."""
    if metric in LATENCY_STATS or metric == "min" or ws_latency(metric):
        return "ms"
    if metric in _COUNTS or STATUS_CLASS.fullmatch(metric) or STATUS_CODE.fullmatch(metric):
        return "count"
    return _UNITS.get(metric)


def known_in(scope: Scope, metric: str) -> bool:
    """Whether `metric` may be written in a table of `scope` (any status_NNN counts)."""
    if scope == "run" and STATUS_CODE.fullmatch(metric):
        return True
    return metric in SCOPE_METRICS[scope]


def scope_of(metric: str) -> Scope | None:
    """The scope a known metric belongs to: for a hint when it sits in the wrong table."""
    for scope in SCOPE_METRICS:
        if known_in(scope, metric):
            return scope
    return None
