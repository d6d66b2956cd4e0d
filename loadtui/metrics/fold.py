"""The controller's side of the metrics: folds workers' deltas into one Snapshot a tick.

Every figure a Snapshot shows is rebuilt here from deltas: counts are sums, and every
percentile, per endpoint, per stream and overall, is read from histograms that hold
every value the workers recorded (their packed interval histograms added exactly), so
the merged figures are those of one histogram holding every value, at any fleet size.
A process on its own is the same: its recorder's delta folded at once
(`Recorder.tick`). Single-threaded: the controller's loop calls it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from loadtui.metrics.counts import add_counts, rate
from loadtui.metrics.delta import WorkerDelta, WorkerLoad
from loadtui.metrics.events import EventLog
from loadtui.metrics.histogram import RANGE_LABEL, add_into, encode, latency_of, new_histogram
from loadtui.metrics.histogram import reset as reset_histogram
from loadtui.metrics.rows import RowNames, is_rows_warning, rows_warning
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
    WorkerVitals,
)
from loadtui.metrics.streams import FIGURES, summed
from loadtui.metrics.sums import EndpointSum, StreamSum
from loadtui.metrics.wire import Unpacker

TOTAL_NAME = "Aggregated"  # name of Snapshot.total, as Locust names its sum row






def _label(method: str, name: str) -> str:
    """Labels like "GET /x" for messages; a name starting with its method keeps it once."""
    if not method or name.startswith(method + " "):
        return name
    return f"{method} {name}"


@dataclass
class _Worker:
    """What the fold knows of one worker: its latest gauges and its count of deltas."""

    load: WorkerLoad = field(default_factory=WorkerLoad)
    pool: PoolGauges = field(default_factory=PoolGauges)
    system: SystemGauges = field(default_factory=SystemGauges)
    streams: dict[str, tuple[int, int]] = field(default_factory=dict)  # open, connecting
    deltas: int = 0
    alive: bool = True


@dataclass(frozen=True)
class LoadTotals:
    """The fleet's load, summed: gauges over the live workers, counts over all."""

    users: int = 0
    streams: int = 0
    users_wanted: int = 0
    streams_wanted: int = 0
    busy: int = 0
    started: int = 0
    late: int = 0
    dropped: int = 0
    iterations: int = 0


class Fold:
    """Cumulative state of a run, fed deltas, read as one Snapshot per tick."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._wall = wall
        self.events = EventLog(clock)
        self._last = self.events.t0
        self._seq = 0
        self._endpoints: dict[str, EndpointSum] = {}
        # Names made at run time, bounded across workers too; one warning per run.
        self._rows = RowNames()
        self._rows_warned = False
        self._streams: dict[str, StreamSum] = {}
        self._workers: dict[int, _Worker] = {}
        self._total_cum = new_histogram()
        self._total_interval = new_histogram()
        self._stream_cum = {f: new_histogram() for f in FIGURES}
        self._stream_interval = {f: new_histogram() for f in FIGURES}
        self._unpack = Unpacker(self._total_cum.counts_len)
        self._warned_clamps: set[tuple[str, str]] = set()
        self._started = self._late = self._dropped = 0
        self._iterations = 0
        # Cumulative pool counters of workers that are gone, kept in the sums.
        self._gone_connects = self._gone_connect_errors = 0

    def start(self) -> None:
        """Mark t = 0 (and the start of the first interval)."""
        self.events.start()
        self._last = self.events.t0

    @property
    def elapsed(self) -> float:
        return self.events.elapsed

    def add_event(self, kind: EventKind, message: str, **data: Any) -> Event:
        """Buffer an event for the next snapshot's `events`."""
        return self.events.add(kind, message, **data)

    def add(self, delta: WorkerDelta) -> None:
        """Fold one worker's delta into the tick under way."""
        w = self._workers.get(delta.worker)
        if w is None:
            w = self._workers[delta.worker] = _Worker()
        w.deltas += 1
        w.load, w.pool, w.system = delta.load, delta.pool, delta.system
        self._started += delta.load.started
        self._iterations += delta.load.iterations
        self._late += delta.load.late
        self._dropped += delta.load.dropped
        for ed in delta.endpoints:
            ep = self._endpoints.get(ed.name)
            if ep is None:
                ep = self._new_row(ed.name, ed.method, ed.named)
            ep.add(ed, self._unpack)
        for sd in delta.streams:
            st = self._streams.get(sd.name)
            if st is None:
                st = self._streams[sd.name] = StreamSum(sd.name)
            st.add(sd, self._unpack)
            w.streams[sd.name] = (sd.open, sd.connecting)
        if delta.events:
            self.events.extend(e for e in delta.events if self._passes(e))

    def _new_row(self, name: str, method: str, named: bool) -> EndpointSum:
        """The sum a new name adds into: its own, or past the limit on names made at
        run time (rows.py) the shared OTHER_NAMES one, the first such name a warning."""
        if not named:
            row = self._rows.declare(name)
        else:
            row = self._rows.row(name)
            if row != name and not self._rows_warned:
                self._rows_warned = True
                message, data = rows_warning(name)
                self.add_event("warning", message, **data)
        ep = self._endpoints.get(row)
        if ep is None:
            ep = self._endpoints[row] = EndpointSum(row, method)
        return ep

    def _passes(self, event: Event) -> bool:
        """A worker's event goes on, but for a second warning that rows were limited."""
        if not is_rows_warning(event):
            return True
        first, self._rows_warned = not self._rows_warned, True
        return first

    def forget(self, worker: int) -> None:
        """A worker is gone: its gauges leave the sums, what it counted stays."""
        w = self._workers.get(worker)
        if w is None or not w.alive:
            return
        self._gone_connects += w.pool.connects
        self._gone_connect_errors += w.pool.connect_errors
        self._workers[worker] = _Worker(deltas=w.deltas, alive=False)

    def load(self) -> LoadTotals:
        live = [w for w in self._workers.values() if w.alive]
        return LoadTotals(
            users=sum(w.load.users for w in live),
            streams=sum(w.load.streams for w in live),
            users_wanted=sum(w.load.users_wanted for w in live),
            streams_wanted=sum(w.load.streams_wanted for w in live),
            busy=sum(w.load.busy for w in live),
            started=self._started,
            late=self._late,
            dropped=self._dropped,
            iterations=self._iterations,
        )

    def pool(self) -> PoolGauges:
        pools = [w.pool for w in self._workers.values() if w.alive]
        per_s = sum(p.connects_per_s for p in pools)
        mean = sum(p.connect_ms_mean * p.connects_per_s for p in pools) / per_s if per_s else 0.0
        return PoolGauges(
            open=sum(p.open for p in pools),
            in_use=sum(p.in_use for p in pools),
            idle=sum(p.idle for p in pools),
            waiting=sum(p.waiting for p in pools),
            connects=self._gone_connects + sum(p.connects for p in pools),
            connects_per_s=per_s,
            connect_ms_mean=mean,
            connect_errors=self._gone_connect_errors + sum(p.connect_errors for p in pools),
        )

    def generator(self) -> SystemGauges:
        """The workers' processes summed (CPU and RSS), their worst loop lag."""
        live = [w.system for w in self._workers.values() if w.alive]
        return SystemGauges(
            cpu_percent=sum(s.cpu_percent for s in live),
            rss_bytes=sum(s.rss_bytes for s in live),
            loop_lag_ms=max((s.loop_lag_ms for s in live), default=0.0),
            fds=sum(s.fds for s in live),
            lag_windows=sum(s.lag_windows for s in live),
            lag_windows_over=sum(s.lag_windows_over for s in live),
        )

    def vitals(self, saturated: Iterable[int] = ()) -> tuple[WorkerVitals, ...]:
        """Each worker as last heard: its gauges and its last delta's starts and loop
        windows (what the saturation check judges); `saturated` the ones it flags."""
        hot = set(saturated)
        return tuple(
            WorkerVitals(
                index=i,
                alive=w.alive,
                cpu_percent=w.system.cpu_percent,
                rss_bytes=w.system.rss_bytes,
                loop_lag_ms=w.system.loop_lag_ms,
                users=w.load.users,
                streams=w.load.streams,
                saturated=i in hot,
                started=w.load.started,
                late=w.load.late,
                lag_windows=w.system.lag_windows,
                lag_windows_over=w.system.lag_windows_over,
            )
            for i, w in sorted(self._workers.items())
        )

    def snapshot(
        self,
        *,
        load: LoadState,
        pool: PoolGauges | None = None,
        system: SystemGauges | None = None,
        warnings: tuple[str, ...] = (),
        workers: tuple[WorkerVitals, ...] = (),
    ) -> Snapshot:
        """Close the tick: every delta added since the last one, as a Snapshot."""
        now = self._clock()
        interval_s = max(0.0, now - self._last)
        t = max(0.0, now - self.events.t0)
        self._last = now
        total_int = self._total_interval
        if total_int.total_count:
            reset_histogram(total_int)
        eps = list(self._endpoints.values())
        stats = [ep.close(interval_s, t, total_int) for ep in eps]
        add_into(self._total_cum, total_int)
        for ep in eps:
            if ep.clamped:
                self._warn_clamped("endpoint", ep.name, _label(ep.method, ep.name))
        codes: dict[int, int] = {}
        errors: dict[str, int] = {}
        for st in stats:
            add_counts(codes, st.status_codes)
            add_counts(errors, st.errors)
        requests = sum(st.requests for st in stats)
        interval_requests = sum(st.interval_requests for st in stats)
        total = EndpointStats(
            name=TOTAL_NAME,
            requests=requests,
            failures=sum(st.failures for st in stats),
            interval_requests=interval_requests,
            interval_failures=sum(st.interval_failures for st in stats),
            rps=rate(interval_requests, interval_s),
            mean_rps=rate(requests, t),
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
            responses=sum(ep.rate_limited for ep in eps),
            with_retry_after=sum(ep.with_retry_after for ep in eps),
            honoured=sum(ep.honoured for ep in eps),
            waited_s=float(sum(ep.waited_s for ep in eps)),
        )
        streams, stream_total = self._stream_stats(interval_s)
        events = self.events.take()
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
            pool=pool or self.pool(),
            system=system or self.generator(),
            rate_limit=rate_limit,
            events=events,
            warnings=tuple(warnings),
            workers=workers,
        )
        self._seq += 1
        return snap

    def _stream_stats(
        self, interval_s: float
    ) -> tuple[tuple[StreamStats, ...], StreamStats | None]:
        """Each stream's figures, and their exact total (None when no stream ran)."""
        sums = list(self._streams.values())
        if not sums:
            return (), None
        totals = self._stream_interval
        for h in totals.values():
            if h.total_count:
                reset_histogram(h)
        live = [w for w in self._workers.values() if w.alive]
        stats = []
        for st in sums:
            gauges = [w.streams.get(st.name, (0, 0)) for w in live]
            open_now = (sum(g[0] for g in gauges), sum(g[1] for g in gauges))
            stats.append(st.close(interval_s, open_now, totals))
            if st.clamped:
                self._warn_clamped("stream", st.name, f"stream {st.name}")
        cum = self._stream_cum
        for fig, h in totals.items():
            add_into(cum[fig], h)
        total = summed(
            TOTAL_NAME,
            stats,
            handshake=latency_of(cum["handshake"]),
            first_message=latency_of(cum["first_message"]),
            rtt=latency_of(cum["rtt"]),
            gap=latency_of(cum["gap"]),
            interval_rtt=latency_of(totals["rtt"]),
        )
        return tuple(stats), total

    def _warn_clamped(self, kind: str, name: str, where: str) -> None:
        """Say once per endpoint or stream that some of its latencies hit the range's top."""
        if (kind, name) not in self._warned_clamps:
            self._warned_clamps.add((kind, name))
            self.add_event(
                "warning",
                f"latencies beyond {RANGE_LABEL} on {where} are counted as {RANGE_LABEL}",
            )
