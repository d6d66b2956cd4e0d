"""The observed value of one threshold's metric, or why there is none.

Every figure comes from the cumulative side of the final Snapshot, or from RunFacts
for what a snapshot cannot hold (the target processes over the whole run, whether the
generator was ever saturated). `Observation.value` None means no data: the caller
fails the threshold closed and shows `reason`.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadtui.metrics.recorder import TOTAL_NAME
from loadtui.metrics.snapshot import EndpointStats, Snapshot, StreamStats
from loadtui.metrics.streams import combine
from loadtui.report.facts import RunFacts
from loadtui.scenario.model import Threshold
from loadtui.scenario.threshold_metrics import (
    LATENCY_STATS,
    RATE_LIMITED_COUNT,
    STATUS_CLASS,
    STATUS_CODE,
    ws_latency,
)

_RUN_LATENCY = frozenset({*LATENCY_STATS, "min"})
_STREAM_COUNTS = ("disconnects", "reconnects", "messages_received")
_WS_TIMED = {
    "rtt": "no round trip timed",
    "handshake": "no handshake completed",
    "first_message": "no first message received",
    "gap": "no gap between pushed messages timed",
}
NOT_WATCHED = "no target process watched (give --target-pid, or a target on this machine)"


@dataclass(frozen=True)
class Observation:
    value: float | None
    reason: str = ""  # why there is no value (empty when there is one)


def observe(t: Threshold, final: Snapshot, facts: RunFacts | None = None) -> Observation:
    """What the run measured for `t`'s metric in `t`'s scope."""
    if t.scope == "websocket":
        return _websocket(t, final)
    if t.scope == "target":
        return _target(t.metric, facts)
    if t.scope != "run":
        return _none(f"unknown scope {t.scope!r}")
    return _run(t, final, facts)


def _run(t: Threshold, final: Snapshot, facts: RunFacts | None) -> Observation:
    metric = t.metric
    if metric in ("dropped", "late") and t.endpoint is None:
        if final.load.model != "open":
            return _none("not an open-model run: no start was scheduled")
        load = final.load
        return Observation(float(load.dropped if metric == "dropped" else load.late_starts))
    if metric == "generator_saturated" and t.endpoint is None:
        if facts is None:
            return _none("saturation not known for this run")
        return Observation(1.0 if facts.saturated else 0.0)
    stats = final.total if t.endpoint is None else final.endpoint(t.endpoint)
    if stats is None:
        return _none(f"endpoint {t.endpoint!r} never ran")
    return observe_stats(metric, stats)


def observe_stats(metric: str, stats: EndpointStats) -> Observation:
    """A run-scope metric of one endpoint's (or the whole run's) figures."""
    if metric in _RUN_LATENCY:
        if not stats.latency.count:
            return _none("no latency recorded")
        return Observation(stats.latency.get(metric))
    if metric == "error_rate":
        return _share(stats.failures, stats.requests, "no request completed")
    if metric == "rps":
        return Observation(stats.mean_rps) if stats.requests else _none("no request completed")
    if metric == "checks":
        return _share(stats.checks_failed, stats.checks, "no response was judged by a check")
    if metric == "rate_limited":
        responses = sum(stats.status_codes.values())
        return _share(stats.rate_limited, responses, "no response received")
    if not stats.requests and not stats.status_codes:
        return _none("no request completed")
    if metric == RATE_LIMITED_COUNT:
        return Observation(float(stats.rate_limited))
    if metric == "unfinished":
        return Observation(float(stats.errors.get("unfinished", 0)))
    m = STATUS_CLASS.fullmatch(metric)
    if m:
        cls = int(m.group(1))
        return Observation(float(sum(n for c, n in stats.status_codes.items() if c // 100 == cls)))
    if STATUS_CODE.fullmatch(metric):
        return Observation(float(stats.status_codes.get(int(metric[-3:]), 0)))
    return _none(f"unknown metric {metric!r}")


def _websocket(t: Threshold, final: Snapshot) -> Observation:
    st: StreamStats | None
    if t.stream is not None:
        st = final.stream(t.stream)
        if st is None:
            return _none(f"stream {t.stream!r} never ran")
    elif final.streams:
        st = final.stream_total or combine(TOTAL_NAME, final.streams)
    else:
        return _none("no WebSocket stream ran")
    return observe_stream(t.metric, st)


def observe_stream(metric: str, st: StreamStats) -> Observation:
    """A websocket-scope metric of one stream's (or all streams') figures."""
    if metric == "success_rate":
        return _share(st.opened, st.opened + st.failed, "no session was attempted")
    if metric in _STREAM_COUNTS:
        return Observation(float(getattr(st, metric)))
    timed = ws_latency(metric)
    if timed is None:
        return _none(f"unknown metric {metric!r}")
    family, stat = timed
    lat = getattr(st, family)
    return Observation(lat.get(stat)) if lat.count else _none(_WS_TIMED[family])


def _target(metric: str, facts: RunFacts | None) -> Observation:
    summary = facts.target_process if facts is not None else None
    if summary is None:
        return _none(NOT_WATCHED)
    values = {
        "rss_growth": float(summary.rss_growth_bytes),
        "rss_max": float(summary.rss_max_bytes),
        "cpu_mean": summary.cpu_mean_percent,
        "cpu_max": summary.cpu_max_percent,
    }
    value = values.get(metric)
    return Observation(value) if value is not None else _none(f"unknown metric {metric!r}")


def _share(part: int, whole: int, reason: str) -> Observation:
    return Observation(part / whole) if whole else _none(reason)


def _none(reason: str) -> Observation:
    return Observation(None, reason)
