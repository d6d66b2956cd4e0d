"""Pass/fail of the scenario's thresholds against the final Snapshot.

Metrics, read from the cumulative figures of the run (the whole run, or one endpoint
when `Threshold.endpoint` is set):
- p50 p75 p90 p95 p99 p99.9 max mean min: latency in ms (`EndpointStats.latency`)
- error_rate: failures / requests, a fraction
- status_5xx (and status_1xx..status_4xx): count of responses with that status class,
  rate-limited 503s included (they are 5xx the server sent)
- rps: mean requests per second over the run

No data fails closed. When the scope has nothing to measure (an endpoint that never
ran, no request completed, or no latency recorded for a latency metric), the result is
`ok=False` with `observed=None` (null in JSON): a CI gate must not pass because the
thing it guards never happened. An unknown metric is treated the same way rather than
crashing the end of a run.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from loadtui.metrics.snapshot import EndpointStats, Snapshot
from loadtui.scenario.model import Threshold

LATENCY_METRICS = frozenset({"p50", "p75", "p90", "p95", "p99", "p99.9", "max", "mean", "min"})
_STATUS_CLASS = re.compile(r"status_([1-5])xx")
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}


@dataclass(frozen=True)
class ThresholdResult:
    threshold: Threshold
    ok: bool
    observed: float | None  # None: no data (see module docstring); then ok is False
    limit: float
    name: str


def threshold_name(t: Threshold) -> str:
    """`p95 < 2000ms`, `GET /x: error_rate < 1%`: the scenario's own text when it has one."""
    if t.text:
        return t.label
    where = f"{t.endpoint}: " if t.endpoint else ""
    return f"{where}{t.metric} {t.op} {format_limit(t.metric, t.value)}"


def format_limit(metric: str, value: float) -> str:
    if metric in LATENCY_METRICS:
        return f"{value:g}ms"
    if metric == "error_rate":
        return f"{value * 100:g}%"
    return f"{value:g}"


def observe(metric: str, stats: EndpointStats) -> float | None:
    """The value of `metric` in `stats`, or None when there is no data for it."""
    if metric in LATENCY_METRICS:
        return stats.latency.get(metric) if stats.latency.count else None
    if metric == "error_rate":
        return stats.failures / stats.requests if stats.requests else None
    if metric == "rps":
        return stats.mean_rps if stats.requests else None
    m = _STATUS_CLASS.fullmatch(metric)
    if m:
        if not stats.requests and not stats.status_codes:
            return None
        cls = int(m.group(1))
        return float(sum(n for code, n in stats.status_codes.items() if code // 100 == cls))
    return None


def evaluate(thresholds: Sequence[Threshold], final: Snapshot) -> list[ThresholdResult]:
    """One result per threshold, in the given order."""
    results: list[ThresholdResult] = []
    for t in thresholds:
        scope = final.total if t.endpoint is None else final.endpoint(t.endpoint)
        observed = observe(t.metric, scope) if scope is not None else None
        compare = _OPS.get(t.op)
        ok = observed is not None and compare is not None and compare(observed, t.value)
        results.append(
            ThresholdResult(
                threshold=t,
                ok=ok,
                observed=observed,
                limit=float(t.value),
                name=threshold_name(t),
            )
        )
    return results
