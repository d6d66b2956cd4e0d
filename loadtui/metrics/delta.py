"""What one worker sends the controller each tick: what happened since its last delta.

Counts are deltas (a worker that dies keeps what it already sent); gauges (users, open
sessions, pool, CPU, RSS) are the worker's values now; histograms are packed interval
histograms (wire.py). Plain frozen dataclasses: they pickle across a process pipe or a
Ray call unchanged, and `Fold` (fold.py) adds any number of them into one Snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loadtui.metrics.snapshot import Event, PoolGauges, SystemGauges


@dataclass(frozen=True, slots=True)
class EndpointDelta:
    name: str
    method: str = ""
    requests: int = 0  # completed (successes + failures), rate-limited excluded
    failures: int = 0
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
    histogram: bytes = b""  # packed interval histogram (µs)
    named: bool = False  # a name made at run time, not the scenario's (rows.py)


@dataclass(frozen=True, slots=True)
class StreamDelta:
    name: str
    open: int = 0  # gauge: sessions open now on this worker
    connecting: int = 0  # gauge
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
    handshake_failures: dict[str, int] = field(default_factory=dict)
    close_codes: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    histograms: dict[str, bytes] = field(default_factory=dict)  # packed, by figure


@dataclass(frozen=True, slots=True)
class WorkerLoad:
    """The worker's share of the load, now (gauges) and since its last delta (counts)."""

    users: int = 0
    streams: int = 0
    # What it is asked to hold, within the sockets its process may have.
    users_wanted: int = 0
    streams_wanted: int = 0
    busy: int = 0  # closed users in a call, plus open-model arrivals in flight
    started: int = 0  # open-model arrivals started (delta)
    late: int = 0  # delta
    dropped: int = 0  # delta
    # Iterations begun (a task, a pass of an ordered flow, an arrival): delta. With an
    # iteration count (-i): those under way now, and the worker's share begun and handed
    # back in all (cumulative, engine/iterations.py).
    iterations: int = 0
    iterating: int = 0
    allowance_begun: int = 0
    allowance_returned: int = 0


@dataclass(frozen=True, slots=True)
class WorkerDelta:
    worker: int  # index in the fleet, 0-based
    seq: int  # the worker's own tick number, from 0
    endpoints: tuple[EndpointDelta, ...] = ()
    streams: tuple[StreamDelta, ...] = ()
    load: WorkerLoad = field(default_factory=WorkerLoad)
    pool: PoolGauges = field(default_factory=PoolGauges)
    system: SystemGauges = field(default_factory=SystemGauges)
    events: tuple[Event, ...] = ()  # the worker's own (t: seconds since it started)
    final: bool = False  # the worker has stopped: nothing follows this delta
