"""Immutable per-tick snapshots: the only thing consumers (TUI, headless output, session
log, thresholds) ever see of a run. Built by the Recorder once per tick; never mutated.
Latencies are milliseconds, rates per second, sizes bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

RunState = Literal["starting", "running", "paused", "stopping", "stopped"]
EventKind = Literal["stage", "operator", "warning", "breach", "info", "error"]

PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50", 50.0),
    ("p75", 75.0),
    ("p90", 90.0),
    ("p95", 95.0),
    ("p99", 99.0),
    ("p99.9", 99.9),
)


@dataclass(frozen=True)
class Latency:
    """Percentiles of one histogram, in milliseconds. All zero when count == 0."""

    count: int = 0
    min: float = 0.0
    mean: float = 0.0
    p50: float = 0.0
    p75: float = 0.0
    p90: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    p999: float = 0.0
    max: float = 0.0

    def get(self, metric: str) -> float:
        """Value by threshold name: "p95", "p99.9", "max", "mean", "min"."""
        key = "p999" if metric == "p99.9" else metric
        return float(getattr(self, key))


@dataclass(frozen=True)
class EndpointStats:
    """Figures for one endpoint (task name), or for all endpoints together."""

    name: str
    method: str = ""
    requests: int = 0  # cumulative completed (success + failure, rate-limited excluded)
    failures: int = 0
    interval_requests: int = 0
    interval_failures: int = 0
    rps: float = 0.0  # over the last interval
    mean_rps: float = 0.0  # over the whole run
    latency: Latency = field(default_factory=Latency)  # cumulative
    interval_latency: Latency = field(default_factory=Latency)
    status_codes: dict[int, int] = field(default_factory=dict)  # cumulative
    errors: dict[str, int] = field(default_factory=dict)  # cumulative, by kind
    bytes_in: int = 0
    bytes_out: int = 0
    histogram: bytes = b""  # encoded interval HdrHistogram (µs), for logs and merging
    # Cumulative: latencies beyond the histogram's range (counted at the range's top).
    clamped: int = 0
    # Cumulative: responses judged against the task's checks (the implicit "status <
    # 400" included) and those that failed one (or an extraction).
    checks: int = 0
    checks_failed: int = 0
    # Cumulative: 429 / 503-with-Retry-After responses (also in status_codes; neither
    # requests nor failures: see RateLimit).
    rate_limited: int = 0

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class StreamStats:
    """Figures of one WebSocket stream (by name): cumulative unless `interval_`/`_per_s`.

    Latencies in ms: handshake (TCP + TLS + upgrade), first_message (open → first
    message received), rtt (echo or correlated reply), gap (between pushed messages).
    """

    name: str
    open: int = 0  # sessions open now
    connecting: int = 0  # handshakes in progress now
    opened: int = 0  # sessions that completed their handshake
    failed: int = 0  # handshakes that failed (refused, HTTP status, timeout, bad upgrade)
    closed: int = 0  # sessions ended (any way)
    disconnects: int = 0  # ended abnormally: dropped connection or a close code != 1000/1001
    reconnects: int = 0
    messages_sent: int = 0
    messages_received: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    sent_per_s: float = 0.0
    received_per_s: float = 0.0
    handshake: Latency = field(default_factory=Latency)
    first_message: Latency = field(default_factory=Latency)
    rtt: Latency = field(default_factory=Latency)
    gap: Latency = field(default_factory=Latency)
    interval_rtt: Latency = field(default_factory=Latency)
    handshake_failures: dict[str, int] = field(default_factory=dict)  # "401", "refused", ...
    close_codes: dict[int, int] = field(default_factory=dict)  # 1006: dropped, no close frame
    errors: dict[str, int] = field(
        default_factory=dict
    )  # e.g. "message too big", "unmatched reply"
    histograms: dict[str, bytes] = field(default_factory=dict)  # interval, encoded, by figure
    # Cumulative: latencies (any figure) beyond the histograms' range, counted at its top.
    clamped: int = 0


@dataclass(frozen=True)
class PoolGauges:
    """The engine's HTTP connection pools, summed over origins."""

    open: int = 0
    in_use: int = 0
    idle: int = 0
    waiting: int = 0  # requests queued for a connection
    connects: int = 0  # cumulative new connections
    connects_per_s: float = 0.0
    connect_ms_mean: float = 0.0  # over the last interval
    connect_errors: int = 0


@dataclass(frozen=True)
class SystemGauges:
    """The generator process (and later the target), sampled with psutil."""

    cpu_percent: float = 0.0  # of one core
    rss_bytes: int = 0
    loop_lag_ms: float = 0.0  # max event-loop lag seen in the interval (its worst window)
    fds: int = 0
    # 100 ms windows that ended in the interval, and those in which the loop ran more
    # than 10 ms late (system.LoopLagMonitor); summed over workers in a fleet's gauges.
    lag_windows: int = 0
    lag_windows_over: int = 0
    target_cpu_percent: float | None = None
    target_rss_bytes: int | None = None


@dataclass(frozen=True)
class RateLimit:
    """429 / 503-with-Retry-After kept apart from the latency of real answers."""

    responses: int = 0
    with_retry_after: int = 0
    honoured: int = 0
    waited_s: float = 0.0


@dataclass(frozen=True)
class LoadState:
    state: RunState = "starting"
    model: Literal["closed", "open"] = "closed"
    profile: str = ""
    users: int = 0
    users_target: int = 0
    rate: float = 0.0  # arrival rate now (open model), per second
    inflight: int = 0
    late_starts: int = 0  # open model: starts more than 10 ms behind schedule
    dropped: int = 0  # open model: starts skipped because max_inflight was reached
    stage: int = 0  # 0-based index, -1 when manual control overrides the profile
    stages: int = 0
    stage_left_s: float = 0.0
    # Until the run ends by itself (-t, else the profile's end); None when nothing ends it.
    run_left_s: float | None = None
    following_profile: bool = True
    streams: int = 0  # extra stream-only sessions alive
    streams_target: int = 0
    iterations: int = 0  # begun so far: tasks, passes of ordered flows, arrivals
    iterations_target: int = 0  # the count that ends the run (-i, an iterations stage); 0: none


@dataclass(frozen=True)
class WorkerVitals:
    """One load generator of the fleet, as the controller last heard from it."""

    index: int
    alive: bool = True
    cpu_percent: float = 0.0  # of one core
    rss_bytes: int = 0
    loop_lag_ms: float = 0.0
    users: int = 0
    streams: int = 0
    saturated: bool = False
    # Its last tick, as the saturation check judges it: open-model starts and late ones,
    # 100 ms loop windows and those over the lag limit.
    started: int = 0
    late: int = 0
    lag_windows: int = 0
    lag_windows_over: int = 0


@dataclass(frozen=True)
class Event:
    t: float  # seconds since the run started
    kind: EventKind
    message: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    seq: int
    t: float  # seconds since start
    wall: float  # epoch seconds
    interval_s: float
    load: LoadState
    total: EndpointStats
    endpoints: tuple[EndpointStats, ...] = ()
    streams: tuple[StreamStats, ...] = ()
    # All streams together (name "Aggregated"), merged exactly from the histograms;
    # None when no stream ran. Carries no `histograms`: the streams' own hold every sample.
    stream_total: StreamStats | None = None
    pool: PoolGauges = field(default_factory=PoolGauges)
    system: SystemGauges = field(default_factory=SystemGauges)
    rate_limit: RateLimit = field(default_factory=RateLimit)
    events: tuple[Event, ...] = ()  # new since the previous snapshot
    warnings: tuple[str, ...] = ()  # standing conditions (e.g. generator saturated)
    # The generators of this run (one per worker process or Ray actor; one when the run
    # is a single process); () in snapshots from before fleets.
    workers: tuple[WorkerVitals, ...] = ()

    def endpoint(self, name: str) -> EndpointStats | None:
        return next((e for e in self.endpoints if e.name == name), None)

    def stream(self, name: str) -> StreamStats | None:
        return next((s for s in self.streams if s.name == name), None)
