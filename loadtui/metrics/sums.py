"""Running sums of one endpoint and one stream over a run, fed by workers' deltas.

`Fold` (fold.py) keeps one per endpoint and per stream: the deltas of a tick are added
into its interval figures (packed histograms unpacked exactly into its interval
histogram), and closing the tick folds them into the cumulative ones and describes both
as the Snapshot's `EndpointStats` / `StreamStats`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram

from loadtui.metrics.counts import add_counts, rate
from loadtui.metrics.delta import EndpointDelta, StreamDelta
from loadtui.metrics.histogram import add_into, encode, latency_of, new_histogram
from loadtui.metrics.histogram import reset as reset_histogram
from loadtui.metrics.snapshot import EndpointStats, StreamStats
from loadtui.metrics.streams import FIGURES
from loadtui.metrics.wire import Unpacker


@dataclass
class EndpointSum:
    name: str
    method: str = ""
    cum: HdrHistogram = field(default_factory=new_histogram)
    interval: HdrHistogram = field(default_factory=new_histogram)
    requests: int = 0
    failures: int = 0
    interval_requests: int = 0
    interval_failures: int = 0
    status_codes: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    bytes_in: int = 0
    bytes_out: int = 0
    clamped: int = 0
    checks_failed: int = 0
    rate_limited: int = 0
    with_retry_after: int = 0
    honoured: int = 0
    waited_s: float = 0.0

    def add(self, d: EndpointDelta, unpack: Unpacker) -> None:
        if d.method and not self.method:
            self.method = d.method
        self.interval_requests += d.requests
        self.interval_failures += d.failures
        add_counts(self.status_codes, d.status_codes)
        add_counts(self.errors, d.errors)
        self.bytes_in += d.bytes_in
        self.bytes_out += d.bytes_out
        self.clamped += d.clamped
        self.checks_failed += d.checks_failed
        self.rate_limited += d.rate_limited
        self.with_retry_after += d.with_retry_after
        self.honoured += d.honoured
        self.waited_s += d.waited_s
        unpack.add(self.interval, d.histogram)

    def close(self, interval_s: float, t: float, total: HdrHistogram) -> EndpointStats:
        """Fold the interval into the cumulative figures, describe both, start anew."""
        add_into(self.cum, self.interval)
        add_into(total, self.interval)
        self.requests += self.interval_requests
        self.failures += self.interval_failures
        stats = EndpointStats(
            name=self.name,
            method=self.method,
            requests=self.requests,
            failures=self.failures,
            interval_requests=self.interval_requests,
            interval_failures=self.interval_failures,
            rps=rate(self.interval_requests, interval_s),
            mean_rps=rate(self.requests, t),
            latency=latency_of(self.cum),
            interval_latency=latency_of(self.interval),
            status_codes=dict(self.status_codes),
            errors=dict(self.errors),
            bytes_in=self.bytes_in,
            bytes_out=self.bytes_out,
            histogram=encode(self.interval),
            clamped=self.clamped,
            checks=self.requests - self.failures + self.checks_failed,
            checks_failed=self.checks_failed,
            rate_limited=self.rate_limited,
        )
        if self.interval.total_count:
            reset_histogram(self.interval)
        self.interval_requests = self.interval_failures = 0
        return stats


@dataclass
class StreamSum:
    name: str
    cum: dict[str, HdrHistogram] = field(
        default_factory=lambda: {f: new_histogram() for f in FIGURES}
    )
    interval: dict[str, HdrHistogram] = field(
        default_factory=lambda: {f: new_histogram() for f in FIGURES}
    )
    opened: int = 0
    failed: int = 0
    closed: int = 0
    disconnects: int = 0
    reconnects: int = 0
    messages_sent: int = 0
    messages_received: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    clamped: int = 0
    interval_sent: int = 0
    interval_received: int = 0
    handshake_failures: dict[str, int] = field(default_factory=dict)
    close_codes: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, d: StreamDelta, unpack: Unpacker) -> None:
        self.opened += d.opened
        self.failed += d.failed
        self.closed += d.closed
        self.disconnects += d.disconnects
        self.reconnects += d.reconnects
        self.messages_sent += d.messages_sent
        self.messages_received += d.messages_received
        self.interval_sent += d.messages_sent
        self.interval_received += d.messages_received
        self.bytes_sent += d.bytes_sent
        self.bytes_received += d.bytes_received
        self.clamped += d.clamped
        add_counts(self.handshake_failures, d.handshake_failures)
        add_counts(self.close_codes, d.close_codes)
        add_counts(self.errors, d.errors)
        for fig, data in d.histograms.items():
            if fig not in self.interval:
                raise ValueError(f"unknown stream figure {fig!r} in a delta")
            unpack.add(self.interval[fig], data)

    def close(
        self, interval_s: float, gauges: tuple[int, int], totals: dict[str, HdrHistogram]
    ) -> StreamStats:
        interval, cum = self.interval, self.cum
        for fig, h in interval.items():
            add_into(cum[fig], h)
            add_into(totals[fig], h)
        stats = StreamStats(
            name=self.name,
            open=gauges[0],
            connecting=gauges[1],
            opened=self.opened,
            failed=self.failed,
            closed=self.closed,
            disconnects=self.disconnects,
            reconnects=self.reconnects,
            messages_sent=self.messages_sent,
            messages_received=self.messages_received,
            bytes_sent=self.bytes_sent,
            bytes_received=self.bytes_received,
            sent_per_s=rate(self.interval_sent, interval_s),
            received_per_s=rate(self.interval_received, interval_s),
            handshake=latency_of(cum["handshake"]),
            first_message=latency_of(cum["first_message"]),
            rtt=latency_of(cum["rtt"]),
            gap=latency_of(cum["gap"]),
            interval_rtt=latency_of(interval["rtt"]),
            handshake_failures=dict(self.handshake_failures),
            close_codes=dict(self.close_codes),
            errors=dict(self.errors),
            histograms={fig: encode(h) for fig, h in interval.items() if h.total_count},
            clamped=self.clamped,
        )
        for h in interval.values():
            if h.total_count:
                reset_histogram(h)
        self.interval_sent = self.interval_received = 0
        return stats
