"""Per-stream WebSocket accounting (one `StreamRecorder` per stream name).

The engine calls these methods from its event loop once per handshake, message or
close, so they only bump counters and write one histogram slot. Like the endpoint
recorder, each figure keeps an interval histogram (folded into a cumulative one at
every tick) and the gauges `open` / `connecting` follow from the calls themselves, so
the engine never has to report them. Single-threaded: no locks.

Each tick the recorder hands the controller a `StreamDelta` (counts since the last one,
packed interval histograms); the controller's fold (fold.py) keeps the cumulative
figures, and merges the totals over all streams (`Snapshot.stream_total`) from the
histograms, not from percentiles, so they are exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TypeVar

from hdrh.histogram import HdrHistogram

from loadtui.metrics.counts import merged, since
from loadtui.metrics.delta import StreamDelta
from loadtui.metrics.histogram import HIGHEST_US, new_histogram, record, reset
from loadtui.metrics.snapshot import Latency, StreamStats
from loadtui.metrics.wire import pack

FIGURES: tuple[str, ...] = ("handshake", "first_message", "rtt", "gap")
NO_CLOSE_FRAME = 1006  # RFC 6455: closed without a close frame (dropped connection)
CLEAN_CLOSE_CODES = frozenset({1000, 1001})  # normal closure, going away
K = TypeVar("K")


class StreamRecorder:
    """Counters and histograms of one stream. Hot path: keep it cheap."""

    __slots__ = (
        "_first",
        "_gap",
        "_handshake",
        "_rtt",
        "_sent",
        "bytes_received",
        "bytes_sent",
        "clamped",
        "close_codes",
        "closed_count",
        "connecting",
        "disconnects",
        "errors",
        "failed",
        "handshake_failures",
        "messages_received",
        "messages_sent",
        "name",
        "open",
        "opened",
        "reconnects",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        # interval histograms (µs), one attribute each so the hot path skips a dict lookup
        self._handshake: HdrHistogram = new_histogram()
        self._first: HdrHistogram = new_histogram()
        self._rtt: HdrHistogram = new_histogram()
        self._gap: HdrHistogram = new_histogram()
        self.open = 0
        self.connecting = 0
        self.opened = 0
        self.failed = 0
        self.closed_count = 0
        self.disconnects = 0
        self.reconnects = 0
        self.messages_sent = 0
        self.messages_received = 0
        self.bytes_sent = 0
        self.bytes_received = 0
        self.handshake_failures: dict[str, int] = {}
        self.close_codes: dict[int, int] = {}
        self.errors: dict[str, int] = {}
        self.clamped = 0  # latencies beyond the histograms' range (recorded at its top)
        self._sent = StreamDelta(name)  # the counts as of the last delta

    # ---- the engine's calls ---------------------------------------------------------

    def connect_started(self) -> None:
        self.connecting += 1

    def connect_failed(self, reason: str) -> None:
        """The handshake did not complete: `reason` is the refused upgrade's HTTP status
        ("401", "503") or a kind ("refused", "timeout", "dns", "tls", "not websocket",
        "unfinished": still in progress when the run stopped)."""
        if self.connecting > 0:
            self.connecting -= 1
        self.failed += 1
        fails = self.handshake_failures
        fails[reason] = fails.get(reason, 0) + 1

    def connected(self, handshake_us: int) -> None:
        if self.connecting > 0:
            self.connecting -= 1
        self.open += 1
        self.opened += 1
        if handshake_us > HIGHEST_US:
            self.clamped += 1
        record(self._handshake, handshake_us)

    def sent(self, nbytes: int) -> None:
        self.messages_sent += 1
        self.bytes_sent += nbytes

    def received(self, nbytes: int) -> None:
        self.messages_received += 1
        self.bytes_received += nbytes

    def first_message(self, us: int) -> None:
        if us > HIGHEST_US:
            self.clamped += 1
        record(self._first, us)

    def rtt(self, us: int) -> None:
        if us > HIGHEST_US:
            self.clamped += 1
        record(self._rtt, us)

    def gap(self, us: int) -> None:
        if us > HIGHEST_US:
            self.clamped += 1
        record(self._gap, us)

    def closed(self, code: int | None, abnormal: bool) -> None:
        """A session ended. No close frame (`code` None) counts as 1006; it is a
        disconnect when the engine says so or when the code is not 1000/1001."""
        if self.open > 0:
            self.open -= 1
        self.closed_count += 1
        if code is None:
            code = NO_CLOSE_FRAME
        codes = self.close_codes
        codes[code] = codes.get(code, 0) + 1
        if abnormal or code not in CLEAN_CLOSE_CODES:
            self.disconnects += 1

    def reconnect(self) -> None:
        self.reconnects += 1

    def error(self, kind: str) -> None:
        """A named fault inside a session ("message too big", "unmatched reply")."""
        errors = self.errors
        errors[kind] = errors.get(kind, 0) + 1

    # ---- the tick -------------------------------------------------------------------

    def delta(self) -> StreamDelta:
        """What happened since the last delta (the gauges as they are now); starts the
        next interval."""
        sent = self._sent
        d = StreamDelta(
            name=self.name,
            open=self.open,
            connecting=self.connecting,
            opened=self.opened - sent.opened,
            failed=self.failed - sent.failed,
            closed=self.closed_count - sent.closed,
            disconnects=self.disconnects - sent.disconnects,
            reconnects=self.reconnects - sent.reconnects,
            messages_sent=self.messages_sent - sent.messages_sent,
            messages_received=self.messages_received - sent.messages_received,
            bytes_sent=self.bytes_sent - sent.bytes_sent,
            bytes_received=self.bytes_received - sent.bytes_received,
            clamped=self.clamped - sent.clamped,
            handshake_failures=since(self.handshake_failures, sent.handshake_failures),
            close_codes=since(self.close_codes, sent.close_codes),
            errors=since(self.errors, sent.errors),
            histograms={
                fig: pack(h)
                for fig, h in (
                    ("handshake", self._handshake),
                    ("first_message", self._first),
                    ("rtt", self._rtt),
                    ("gap", self._gap),
                )
                if h.total_count
            },
        )
        for h in (self._handshake, self._first, self._rtt, self._gap):
            if h.total_count:  # an untouched histogram is already empty
                reset(h)
        self._sent = StreamDelta(
            name=self.name,
            opened=self.opened,
            failed=self.failed,
            closed=self.closed_count,
            disconnects=self.disconnects,
            reconnects=self.reconnects,
            messages_sent=self.messages_sent,
            messages_received=self.messages_received,
            bytes_sent=self.bytes_sent,
            bytes_received=self.bytes_received,
            clamped=self.clamped,
            handshake_failures=dict(self.handshake_failures),
            close_codes=dict(self.close_codes),
            errors=dict(self.errors),
        )
        return d




def combine(name: str, streams: Sequence[StreamStats]) -> StreamStats:
    """Totals of streams that came without `Snapshot.stream_total` (hand-built or older
    snapshots): counters summed; latencies exact for one stream, otherwise each
    percentile is the worst stream's (an upper bound, never a flattering figure)."""
    if len(streams) == 1:
        return replace(streams[0], name=name, histograms={})
    return summed(
        name,
        streams,
        handshake=_worst(s.handshake for s in streams),
        first_message=_worst(s.first_message for s in streams),
        rtt=_worst(s.rtt for s in streams),
        gap=_worst(s.gap for s in streams),
        interval_rtt=_worst(s.interval_rtt for s in streams),
    )


def summed(
    name: str,
    stats: Sequence[StreamStats],
    *,
    handshake: Latency,
    first_message: Latency,
    rtt: Latency,
    gap: Latency,
    interval_rtt: Latency,
) -> StreamStats:
    """Counters, gauges and rates summed; counts by key merged. No histograms: the
    per-stream ones already carry every sample."""
    return StreamStats(
        name=name,
        open=sum(s.open for s in stats),
        connecting=sum(s.connecting for s in stats),
        opened=sum(s.opened for s in stats),
        failed=sum(s.failed for s in stats),
        closed=sum(s.closed for s in stats),
        disconnects=sum(s.disconnects for s in stats),
        reconnects=sum(s.reconnects for s in stats),
        messages_sent=sum(s.messages_sent for s in stats),
        messages_received=sum(s.messages_received for s in stats),
        bytes_sent=sum(s.bytes_sent for s in stats),
        bytes_received=sum(s.bytes_received for s in stats),
        sent_per_s=sum(s.sent_per_s for s in stats),
        received_per_s=sum(s.received_per_s for s in stats),
        handshake_failures=merged(s.handshake_failures for s in stats),
        close_codes=merged(s.close_codes for s in stats),
        errors=merged(s.errors for s in stats),
        clamped=sum(s.clamped for s in stats),
        handshake=handshake,
        first_message=first_message,
        rtt=rtt,
        gap=gap,
        interval_rtt=interval_rtt,
    )


def _worst(lats: Iterable[Latency]) -> Latency:
    seen = [lat for lat in lats if lat.count]
    if not seen:
        return Latency()
    count = sum(lat.count for lat in seen)
    mean = sum(lat.mean * lat.count for lat in seen) / count
    fields = ("p50", "p75", "p90", "p95", "p99", "p999", "max")
    worst = {f: max(getattr(lat, f) for lat in seen) for f in fields}
    return Latency(count=count, min=min(lat.min for lat in seen), mean=mean, **worst)



