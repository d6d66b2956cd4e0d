"""Per-request accounting in a worker, handed to the controller as one delta per tick.

The engine calls `EndpointRecorder` methods once per request from its event loop, so
they only bump counters and write one histogram slot (see `histogram.record`). Every
tick, `Recorder.take_delta` describes what happened since the last one (counts, packed
interval histograms) and starts a new interval; the controller's `Fold` (fold.py) adds
the deltas of all workers into the Snapshot. `Recorder.tick` is that for one process on
its own. WebSocket streams record through `Recorder.stream` (see streams.py).
Single-threaded by design: no locks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hdrh.histogram import HdrHistogram

from loadtui.metrics.counts import since
from loadtui.metrics.delta import EndpointDelta, WorkerDelta, WorkerLoad
from loadtui.metrics.events import EventLog
from loadtui.metrics.fold import TOTAL_NAME as TOTAL_NAME  # re-exported: callers import it here
from loadtui.metrics.fold import Fold
from loadtui.metrics.histogram import HIGHEST_US, new_histogram, record, record_corrected, reset
from loadtui.metrics.rows import RowNames, rows_warning
from loadtui.metrics.snapshot import Event, EventKind, LoadState, PoolGauges, Snapshot, SystemGauges
from loadtui.metrics.streams import StreamRecorder
from loadtui.metrics.wire import pack


class EndpointRecorder:
    """Counters and histograms of one endpoint (task name). Hot path: keep it cheap."""

    __slots__ = (
        "_expected",
        "_hist",
        "_sent",
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
        "named",
        "requests",
        "rl_responses",
        "rl_waited_s",
        "rl_with_retry_after",
        "status_codes",
    )

    def __init__(self, name: str, method: str = "", *, named: bool = False) -> None:
        self.name = name
        self.method = method
        self.named = named  # named at run time (metrics/rows.py), not by the scenario
        self._hist: HdrHistogram = new_histogram()  # interval
        self._expected = 0
        self.interval_requests = 0
        self.interval_failures = 0
        self.requests = 0  # cumulative up to the last delta
        self.failures = 0
        self._sent = EndpointDelta(name)  # the cumulative counts as of the last delta
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

    def rate_limited_failure(
        self, kind: str, status: int, retry_after: float | None, bytes_in: int, bytes_out: int
    ) -> None:
        """A rate-limited response that failed its `checks.on_rate_limited` (a 429
        without Retry-After, say): in the lane like any refusal, and a request that
        failed a check, of `kind`; its latency stays out of the histogram, as the lane's."""
        self.rate_limited(status, retry_after)
        self.failure(kind, None, None, bytes_in, bytes_out)
        self.checks_failed += 1

    def honoured(self, waited_s: float) -> None:
        """A user waited out a Retry-After."""
        self.honoured_count += 1
        self.rl_waited_s += waited_s

    def delta(self) -> EndpointDelta:
        """What happened since the last delta; starts the next interval."""
        sent = self._sent
        d = EndpointDelta(
            name=self.name,
            method=self.method,
            named=self.named,
            requests=self.interval_requests,
            failures=self.interval_failures,
            status_codes=since(self.status_codes, sent.status_codes),
            errors=since(self.errors, sent.errors),
            bytes_in=self.bytes_in - sent.bytes_in,
            bytes_out=self.bytes_out - sent.bytes_out,
            clamped=self.clamped - sent.clamped,
            checks_failed=self.checks_failed - sent.checks_failed,
            rate_limited=self.rl_responses - sent.rate_limited,
            with_retry_after=self.rl_with_retry_after - sent.with_retry_after,
            honoured=self.honoured_count - sent.honoured,
            waited_s=self.rl_waited_s - sent.waited_s,
            histogram=pack(self._hist),
        )
        self.requests += self.interval_requests
        self.failures += self.interval_failures
        self._sent = EndpointDelta(
            name=self.name,
            status_codes=dict(self.status_codes),
            errors=dict(self.errors),
            bytes_in=self.bytes_in,
            bytes_out=self.bytes_out,
            clamped=self.clamped,
            checks_failed=self.checks_failed,
            rate_limited=self.rl_responses,
            with_retry_after=self.rl_with_retry_after,
            honoured=self.honoured_count,
            waited_s=self.rl_waited_s,
        )
        if self._hist.total_count:
            reset(self._hist)
        self.interval_requests = self.interval_failures = 0
        return d


class Recorder:
    """All endpoints and streams of one worker; `take_delta()` hands them over."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.events = EventLog(clock)
        self._seq = 0
        self._endpoints: dict[str, EndpointRecorder] = {}
        self._rows = RowNames()  # names made at run time: bounded (rows.py)
        self._streams: dict[str, StreamRecorder] = {}
        # One process on its own folds its deltas at once (`tick`).
        self._fold = Fold(clock, wall)

    def start(self) -> None:
        """Mark t = 0 (and the start of the first interval)."""
        self.events.start()
        self._fold.start()

    @property
    def elapsed(self) -> float:
        return self.events.elapsed

    def endpoint(self, name: str, method: str = "") -> EndpointRecorder:
        """The row of a name the scenario gives (a task's): get or create; snapshots
        list endpoints in order of first use."""
        ep = self._endpoints.get(name)
        if ep is None:
            ep = self._endpoints[self._rows.declare(name)] = EndpointRecorder(name, method)
        elif method and not ep.method:
            ep.method = method
        return ep

    def named(self, name: str, method: str = "") -> EndpointRecorder:
        """The row of a name made at run time (a Python task's step or request name):
        its own up to MAX_NAMED_ROWS such names, then OTHER_NAMES (rows.py), the first
        name sent there a warning event."""
        ep = self._endpoints.get(name)
        if ep is None:
            over = self._rows.first_over
            row = self._rows.row(name)
            if over is None and self._rows.first_over is not None:
                message, data = rows_warning(name)
                self.add_event("warning", message, **data)
            ep = self._endpoints.get(row)
            if ep is None:
                ep = self._endpoints[row] = EndpointRecorder(row, method, named=True)
        if method and not ep.method:
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
        """Buffer an event for the next delta's `events`."""
        return self.events.add(kind, message, **data)

    def count_errors(self, kind: str) -> int:
        """Requests of all endpoints that failed with `kind`, so far (not yet ticked too)."""
        return sum(ep.errors.get(kind, 0) for ep in self._endpoints.values())

    def take_delta(
        self,
        worker: int = 0,
        *,
        load: WorkerLoad | None = None,
        pool: PoolGauges | None = None,
        system: SystemGauges | None = None,
        final: bool = False,
    ) -> WorkerDelta:
        """Everything since the last delta, in order of first use; the next interval
        starts now."""
        events = self.events.take()
        delta = WorkerDelta(
            worker=worker,
            seq=self._seq,
            endpoints=tuple(ep.delta() for ep in self._endpoints.values()),
            streams=tuple(st.delta() for st in self._streams.values()),
            load=load or WorkerLoad(),
            pool=pool or PoolGauges(),
            system=system or SystemGauges(),
            events=events,
            final=final,
        )
        self._seq += 1
        return delta

    def tick(
        self,
        *,
        load: LoadState,
        pool: PoolGauges | None = None,
        system: SystemGauges | None = None,
        warnings: tuple[str, ...] = (),
    ) -> Snapshot:
        """One process on its own: its delta folded at once into a Snapshot."""
        self._fold.add(self.take_delta(pool=pool, system=system))
        return self._fold.snapshot(load=load, pool=pool, system=system, warnings=warnings)




