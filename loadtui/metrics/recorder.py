"""Per-request accounting and the per-tick Snapshot.

The engine calls `EndpointRecorder` methods once per request from its event loop, so
they only bump counters and write one histogram slot (see `histogram.record`). Every
tick, `Recorder.tick` folds the interval into the cumulative figures and hands out an
immutable Snapshot that shares no mutable state with the recorder. WebSocket streams
record through `Recorder.stream` (see streams.py). Single-threaded by design: no locks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hdrh.histogram import HdrHistogram

from loadtui.metrics.histogram import (
    HIGHEST_US,
    RANGE_LABEL,
    add_into,
    encode,
    latency_of,
    new_histogram,
    record,
    record_corrected,
    reset,
)
from loadtui.metrics.snapshot import (
    EndpointStats,
    Event,
    EventKind,
    LoadState,
    PoolGauges,
    RateLimit,
    Snapshot,
    StreamStats,
    SystemGauges,
)
from loadtui.metrics.streams import StreamRecorder, StreamTotals

TOTAL_NAME = "Aggregated"  # name of Snapshot.total, as Locust names its sum row


class EndpointRecorder:
    """Counters and histograms of one endpoint (task name). Hot path: keep it cheap."""

    __slots__ = (
        "_cum",
        "_expected",
        "_hist",
        "bytes_in",
        "bytes_out",
        "checks_failed",
        "clamped",
        "errors",
        "failures",
        "honoured_count",
        "interval_failures",
        "interval_requests",
        "method",
        "name",
        "requests",
        "rl_responses",
        "rl_waited_s",
        "rl_with_retry_after",
        "status_codes",
    )

    def __init__(self, name: str, method: str = "") -> None:
        self.name = name
        self.method = method
        self._hist: HdrHistogram = new_histogram()  # interval
        self._cum: HdrHistogram = new_histogram()  # folded in at each tick
        self._expected = 0
        self.interval_requests = 0
        self.interval_failures = 0
        self.requests = 0  # cumulative up to the last tick
        self.failures = 0
        self.status_codes: dict[int, int] = {}  # cumulative
        self.errors: dict[str, int] = {}  # cumulative
        self.bytes_in = 0
        self.bytes_out = 0
        self.rl_responses = 0
        self.rl_with_retry_after = 0
        self.honoured_count = 0
        self.rl_waited_s = 0.0
        self.clamped = 0  # latencies beyond the histograms' range (recorded at its top)
        # Responses that failed a check or an extraction: every failure that came with a
        # status. Every success was a judged response too, so checks = successes + these.
        self.checks_failed = 0

    @property
    def expected_interval_us(self) -> int:
        """Pacing interval of the users hitting this endpoint; > 0 turns on the
        coordinated-omission correction for every latency recorded afterwards."""
        return self._expected

    @expected_interval_us.setter
    def expected_interval_us(self, value: float) -> None:
        self._expected = max(0, int(value))

    def success(self, latency_us: int, status: int, bytes_in: int = 0, bytes_out: int = 0) -> None:
        self.interval_requests += 1
        codes = self.status_codes
        codes[status] = codes.get(status, 0) + 1
        if bytes_in:
            self.bytes_in += bytes_in
        if bytes_out:
            self.bytes_out += bytes_out
        if latency_us > HIGHEST_US:  # histogram.is_clamped, inlined
            self.clamped += 1
        if self._expected:
            record_corrected(self._hist, latency_us, self._expected)
        else:
            record(self._hist, latency_us)

    def failure(
        self,
        kind: str,
        latency_us: int | None = None,
        status: int | None = None,
        bytes_in: int = 0,
        bytes_out: int = 0,
    ) -> None:
        """A request that failed: a response that failed its checks (`status` given), an
        error, or a request cut off at stop (kind "unfinished", with the time it had
        waited). `latency_us` None: not measurable (e.g. connection refused), counted
        but kept out of the histogram."""
        self.interval_requests += 1
        self.interval_failures += 1
        errors = self.errors
        errors[kind] = errors.get(kind, 0) + 1
        if status is not None:
            codes = self.status_codes
            codes[status] = codes.get(status, 0) + 1
            self.checks_failed += 1
        if bytes_in:
            self.bytes_in += bytes_in
        if bytes_out:
            self.bytes_out += bytes_out
        if latency_us is not None:
            if latency_us > HIGHEST_US:
                self.clamped += 1
            if self._expected:
                record_corrected(self._hist, latency_us, self._expected)
            else:
                record(self._hist, latency_us)

    def rate_limited(
        self, status: int, retry_after: float | None, latency_us: int | None = None
    ) -> None:
        """429 / 503-with-Retry-After: the server refused to answer, so it is neither a
        request nor a failure, and its (fast) latency would flatter the histogram.
        `latency_us` is accepted for symmetry and deliberately not recorded."""
        codes = self.status_codes
        codes[status] = codes.get(status, 0) + 1
        self.rl_responses += 1
        if retry_after is not None:
            self.rl_with_retry_after += 1

    def honoured(self, waited_s: float) -> None:
        """A user waited out a Retry-After."""
        self.honoured_count += 1
        self.rl_waited_s += waited_s

    def _stats(self, interval_s: float, t: float) -> EndpointStats:
        """Fold the interval into the cumulative figures and describe both."""
        add_into(self._cum, self._hist)
        self.requests += self.interval_requests
        self.failures += self.interval_failures
        return EndpointStats(
            name=self.name,
            method=self.method,
            requests=self.requests,
            failures=self.failures,
            interval_requests=self.interval_requests,
            interval_failures=self.interval_failures,
            rps=_rate(self.interval_requests, interval_s),
            mean_rps=_rate(self.requests, t),
            latency=latency_of(self._cum),
            interval_latency=latency_of(self._hist),
            status_codes=dict(self.status_codes),
            errors=dict(self.errors),
            bytes_in=self.bytes_in,
            bytes_out=self.bytes_out,
            histogram=encode(self._hist),
            clamped=self.clamped,
            checks=self.requests - self.failures + self.checks_failed,
            checks_failed=self.checks_failed,
            rate_limited=self.rl_responses,
        )

    def _reset_interval(self) -> None:
        reset(self._hist)
        self.interval_requests = self.interval_failures = 0


class Recorder:
    """All endpoints of a run; `tick()` turns them into a Snapshot."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._wall = wall
        self._t0 = clock()
        self._last = self._t0
        self._seq = 0
        self._endpoints: dict[str, EndpointRecorder] = {}
        self._streams: dict[str, StreamRecorder] = {}
        self._stream_totals = StreamTotals()
        self._events: list[Event] = []
        self._total_interval = new_histogram()
        self._total_cum = new_histogram()
        self._warned_clamps: set[tuple[str, str]] = set()  # ("endpoint" | "stream", name)

    def start(self) -> None:
        """Mark t = 0 (and the start of the first interval)."""
        self._t0 = self._last = self._clock()

    @property
    def elapsed(self) -> float:
        return self._clock() - self._t0

    def endpoint(self, name: str, method: str = "") -> EndpointRecorder:
        """Get or create; snapshots list endpoints in order of first use."""
        ep = self._endpoints.get(name)
        if ep is None:
            ep = self._endpoints[name] = EndpointRecorder(name, method)
        elif method and not ep.method:
            ep.method = method
        return ep

    def stream(self, name: str) -> StreamRecorder:
        """Get or create a WebSocket stream's recorder; snapshots list streams in order
        of first use."""
        st = self._streams.get(name)
        if st is None:
            st = self._streams[name] = StreamRecorder(name)
        return st

    def add_event(self, kind: EventKind, message: str, **data: Any) -> Event:
        """Buffer an event for the next snapshot's `events`."""
        event = Event(t=self.elapsed, kind=kind, message=message, data=dict(data))
        self._events.append(event)
        return event

    def tick(
        self,
        *,
        load: LoadState,
        pool: PoolGauges | None = None,
        system: SystemGauges | None = None,
        warnings: tuple[str, ...] = (),
    ) -> Snapshot:
        """Close the interval and describe it (and the run so far) as a Snapshot."""
        now = self._clock()
        interval_s = max(0.0, now - self._last)
        t = max(0.0, now - self._t0)
        self._last = now
        total_int = self._total_interval
        reset(total_int)
        eps = list(self._endpoints.values())
        stats = []
        for ep in eps:
            stats.append(ep._stats(interval_s, t))
            add_into(total_int, ep._hist)
            ep._reset_interval()
            if ep.clamped:
                self._warn_clamped("endpoint", ep.name, _label(ep.method, ep.name))
        add_into(self._total_cum, total_int)

        codes: dict[int, int] = {}
        errors: dict[str, int] = {}
        for st in stats:
            _add_counts(codes, st.status_codes)
            _add_counts(errors, st.errors)
        requests = sum(st.requests for st in stats)
        interval_requests = sum(st.interval_requests for st in stats)
        total = EndpointStats(
            name=TOTAL_NAME,
            requests=requests,
            failures=sum(st.failures for st in stats),
            interval_requests=interval_requests,
            interval_failures=sum(st.interval_failures for st in stats),
            rps=_rate(interval_requests, interval_s),
            mean_rps=_rate(requests, t),
            latency=latency_of(self._total_cum),
            interval_latency=latency_of(total_int),
            status_codes=codes,
            errors=errors,
            bytes_in=sum(st.bytes_in for st in stats),
            bytes_out=sum(st.bytes_out for st in stats),
            histogram=encode(total_int),
            clamped=sum(st.clamped for st in stats),
            checks=sum(st.checks for st in stats),
            checks_failed=sum(st.checks_failed for st in stats),
            rate_limited=sum(st.rate_limited for st in stats),
        )
        rate_limit = RateLimit(
            responses=sum(ep.rl_responses for ep in eps),
            with_retry_after=sum(ep.rl_with_retry_after for ep in eps),
            honoured=sum(ep.honoured_count for ep in eps),
            waited_s=float(sum(ep.rl_waited_s for ep in eps)),
        )
        streams, stream_total = self._stream_stats(interval_s)
        for ss in streams:
            if ss.clamped:
                self._warn_clamped("stream", ss.name, f"stream {ss.name}")
        events, self._events = tuple(self._events), []
        snap = Snapshot(
            seq=self._seq,
            t=t,
            wall=self._wall(),
            interval_s=interval_s,
            load=load,
            total=total,
            endpoints=tuple(stats),
            streams=streams,
            stream_total=stream_total,
            pool=pool or PoolGauges(),
            system=system or SystemGauges(),
            rate_limit=rate_limit,
            events=events,
            warnings=tuple(warnings),
        )
        self._seq += 1
        return snap

    def _warn_clamped(self, kind: str, name: str, where: str) -> None:
        """Say once per endpoint or stream that some of its latencies hit the range's top."""
        if (kind, name) not in self._warned_clamps:
            self._warned_clamps.add((kind, name))
            self.add_event(
                "warning",
                f"latencies beyond {RANGE_LABEL} on {where} are counted as {RANGE_LABEL}",
            )

    def count_errors(self, kind: str) -> int:
        """Requests of all endpoints that failed with `kind`, so far (not yet ticked too)."""
        return sum(ep.errors.get(kind, 0) for ep in self._endpoints.values())

    def _stream_stats(
        self, interval_s: float
    ) -> tuple[tuple[StreamStats, ...], StreamStats | None]:
        """Each stream's figures, and their exact total (None when no stream ran)."""
        recs = list(self._streams.values())
        if not recs:
            return (), None
        stats = tuple(rec._stats(interval_s) for rec in recs)
        total = self._stream_totals.stats(TOTAL_NAME, recs, stats)
        for rec in recs:
            rec._reset_interval()
        return stats, total


def _label(method: str, name: str) -> str:
    """Labels like "GET /x" for messages; a name starting with its method keeps it once."""
    if not method or name.startswith(method + " "):
        return name
    return f"{method} {name}"


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def _add_counts(into: dict[Any, int], more: dict[Any, int]) -> None:
    for key, n in more.items():
        into[key] = into.get(key, 0) + n
