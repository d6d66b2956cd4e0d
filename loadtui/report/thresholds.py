"""Pass/fail of the scenario's thresholds at the end of a run.

Metrics (scenario/threshold_metrics.py lists them; observe.py reads them):
- run, the whole run or one endpoint: p50..p99.9 max mean min (latency, ms);
  error_rate (failures / requests); rps (mean over the run); status_1xx..status_5xx and
  status_NNN (counts, rate-limited answers included: the server sent them);
  rate_limited (429 / 503-with-Retry-After responses over all responses; its count
  form is `rate_limited_count`); checks (failed / judged responses); unfinished
  (requests cut off at stop); whole run only: dropped and late (open-model starts;
  a closed run has none, which is no data) and generator_saturated (from RunFacts).
- websocket, all streams or one: success_rate (opened / (opened + failed)),
  rtt_/handshake_/first_message_/gap_ + p50..p99.9 max mean (ms), disconnects,
  reconnects, messages_received.
- target: rss_growth, rss_max (bytes), cpu_mean, cpu_max (percent of one core), from
  RunFacts.target_process.

No data fails closed. When the scope has nothing to measure (an endpoint or stream that
never ran, no request completed, no latency recorded, no target process watched...),
the result is `ok=False` with `observed=None` (null in JSON) and a `reason`: a CI gate
must not pass because the thing it guards never happened. An unknown metric or scope
is treated the same way rather than crashing the end of a run.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from loadtui.metrics.snapshot import Snapshot
from loadtui.report.facts import RunFacts
from loadtui.report.observe import observe
from loadtui.scenario.model import Threshold
from loadtui.scenario.threshold_metrics import metric_unit

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
_BINARY = (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10))


@dataclass(frozen=True)
class ThresholdResult:
    threshold: Threshold
    ok: bool
    observed: float | None  # None: no data (see module docstring); then ok is False
    limit: float
    name: str
    reason: str = ""  # why observed is None


def threshold_name(t: Threshold) -> str:
    """`p95 < 2000ms`, `GET /x: status_429 == 0`, `websocket chat: rtt_p95 < 50ms`,
    `target: rss_growth < 50MiB`: the scenario's own text when it has one."""
    if t.text:
        return t.label
    where = f"{t.where}: " if t.where else ""
    return f"{where}{t.key} {t.op} {format_limit(t.metric, t.value)}"


def format_limit(metric: str, value: float) -> str:
    """A limit as a scenario would write it (and reads back): 2000ms, 5%, 50MiB, 80%,
    false, 10."""
    unit = metric_unit(metric)
    if unit == "ms":
        return f"{_num(value)}ms"
    if unit == "fraction":
        return f"{_num(value * 100)}%"
    if unit == "percent":
        return f"{_num(value)}%"
    if unit == "bool":
        return "true" if value else "false"
    if unit == "bytes":
        for name, size in _BINARY:
            short = _num(value / size)
            if abs(value) >= size and float(short) * size == value:
                return f"{short}{name}"
        return f"{_num(value)}B"
    return _num(value)


def _num(value: float) -> str:
    """Plain decimal text, never an exponent (the scenario grammar has none)."""
    text = f"{value:.15g}"
    if "e" in text:
        text = f"{value:.15f}".rstrip("0").rstrip(".")
    return text


def evaluate(
    thresholds: Sequence[Threshold], final: Snapshot, facts: RunFacts | None = None
) -> list[ThresholdResult]:
    """One result per threshold, in the given order. Without `facts` (live, or a run
    that did not fold them) target and generator_saturated thresholds have no data."""
    results: list[ThresholdResult] = []
    for t in thresholds:
        seen = observe(t, final, facts)
        compare = _OPS.get(t.op)
        ok = seen.value is not None and compare is not None and compare(seen.value, t.value)
        reason = seen.reason if compare is not None else f"unknown comparison {t.op!r}"
        results.append(
            ThresholdResult(
                threshold=t,
                ok=ok,
                observed=seen.value,
                limit=float(t.value),
                name=threshold_name(t),
                reason=reason,
            )
        )
    return results
