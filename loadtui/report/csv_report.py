"""Locust-style CSV files: `{prefix}_stats.csv`, `{prefix}_history.csv`, `{prefix}_failures.csv`,
and `{prefix}_streams.csv` (WebSocket streams, one row each plus an Aggregated row).

History is appended and flushed one row per tick, so a long soak never holds its history
in memory and a killed run leaves the rows up to its last tick; its last columns are the
streams' live figures (zero when none run). Stats, failures and streams are written at
`close()` from the report (or the final snapshot). Latencies in ms, rates per second.

A file that cannot be written (disk full, a folder in the way) raises OSError, unless
the writer was given `on_error`: then it is handed the file and the error, and every
other file is still written (a history that failed stops taking rows, the run goes on).
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from loadtui.metrics.snapshot import EndpointStats, Latency, Snapshot
from loadtui.metrics.streams import combine
from loadtui.report.build import counts, endpoint_row, websocket_section
from loadtui.report.schema import Counts, EndpointRow, LatencyKey, Report, StreamFigures, Websocket

STATS_HEADER = [
    "Type",
    "Name",
    "Request Count",
    "Failure Count",
    "Requests/s",
    "Failures/s",
    "50%",
    "75%",
    "90%",
    "95%",
    "99%",
    "99.9%",
    "Max Response Time",
    "Average Response Time",
    "Min Response Time",
    "Bytes In",
    "Bytes Out",
]
HISTORY_HEADER = [
    "Timestamp",
    "Elapsed (s)",
    "State",
    "User Count",
    "Arrival Rate",
    "Type",
    "Name",
    "Requests/s",
    "Failures/s",
    "50%",
    "90%",
    "95%",
    "99%",
    "99.9%",
    "100%",
    "Total Request Count",
    "Total Failure Count",
    "Total Median Response Time",
    "Total 95%",
    "Total 99%",
    "Total Max Response Time",
    "Total Average Response Time",
    "CPU %",
    "RSS (bytes)",
    "Loop Lag (ms)",
    "Streams Open",
    "Stream Messages Sent/s",
    "Stream Messages Received/s",
    "Stream RTT 95%",
]
FAILURES_HEADER = ["Name", "Error", "Occurrences"]
STREAMS_HEADER = [
    "Name",
    "Sessions Opened",
    "Sessions Failed",
    "Sessions Closed",
    "Disconnects",
    "Reconnects",
    "Messages Sent",
    "Messages Received",
    "Sent/s",
    "Received/s",
    "Bytes Sent",
    "Bytes Received",
    "RTT 50%",
    "RTT 90%",
    "RTT 95%",
    "RTT 99%",
    "RTT Max",
    "Handshake 50%",
    "Handshake 95%",
    "Handshake 99%",
    "Handshake Max",
    "First Message 50%",
    "First Message 95%",
    "Gap 50%",
    "Gap 95%",
    "Gap 99%",
    "Gap Max",
    "Close Codes",
    "Handshake Failures",
    "Errors",
]
AGGREGATED = "Aggregated"


def _n(value: float) -> str:
    """Numbers as plain text: integers without a fraction, others to 3 decimals."""
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


def _lat(lat: Latency, *attrs: str) -> list[str]:
    return [_n(getattr(lat, a)) for a in attrs]


@dataclass(frozen=True)
class _Tables:
    """What the stats, failures and streams files are written from: a report's parts,
    or the same parts of a final snapshot."""

    duration_s: float
    total: Counts
    endpoints: Sequence[EndpointRow]
    websocket: Websocket | None

    @classmethod
    def of(cls, final: Report | Snapshot | None) -> _Tables:
        if final is None:
            return cls(0.0, counts(EndpointStats(name=AGGREGATED)), (), None)
        if isinstance(final, Snapshot):
            rows = [endpoint_row(e) for e in final.endpoints]
            return cls(final.t, counts(final.total), rows, websocket_section(final))
        return cls(final["duration_s"], final, final["endpoints"], final["websocket"])


def _counts(by_key: Mapping[str, int]) -> str:
    """`1000:950 1006:3`: one cell, no commas to quote."""
    return " ".join(f"{key}:{n}" for key, n in by_key.items())


def _stream_row(name: str, fig: StreamFigures) -> list[str]:
    return [
        name,
        *(
            str(n)
            for n in (
                fig["sessions_opened"],
                fig["sessions_failed"],
                fig["sessions_closed"],
                fig["disconnects"],
                fig["reconnects"],
                fig["messages_sent"],
                fig["messages_received"],
            )
        ),
        _n(fig["sent_per_s"]),
        _n(fig["received_per_s"]),
        str(fig["bytes_sent"]),
        str(fig["bytes_received"]),
        *(_n(fig["rtt_ms"][k]) for k in ("p50", "p90", "p95", "p99", "max")),
        *(_n(fig["handshake_ms"][k]) for k in ("p50", "p95", "p99", "max")),
        *(_n(fig["first_message_ms"][k]) for k in ("p50", "p95")),
        *(_n(fig["gap_ms"][k]) for k in ("p50", "p95", "p99", "max")),
        _counts(fig["close_codes"]),
        _counts(fig["handshake_failures"]),
        _counts(fig["errors"]),
    ]


_STATS_LATENCY: tuple[LatencyKey, ...] = (
    "p50", "p75", "p90", "p95", "p99", "p99.9", "max", "mean", "min"
)  # fmt: skip


def _stats_row(kind: str, name: str, fig: Counts, duration: float) -> list[str]:
    return [
        kind,
        name,
        str(fig["requests"]),
        str(fig["failures"]),
        _n(fig["rps"]),
        _n(fig["failures"] / duration if duration > 0 else 0.0),
        *(_n(fig["latency_ms"][k]) for k in _STATS_LATENCY),
        str(fig["bytes_in"]),
        str(fig["bytes_out"]),
    ]


OnError = Callable[[Path, OSError], None]


class CsvWriter:
    """Feed every Snapshot to `on_snapshot`, then `close()` (or use as a context)."""

    def __init__(
        self,
        prefix: str | os.PathLike[str],
        *,
        full_history: bool = False,
        on_error: OnError | None = None,
    ) -> None:
        base = str(prefix)
        self.stats_path = Path(f"{base}_stats.csv")
        self.history_path = Path(f"{base}_history.csv")
        self.failures_path = Path(f"{base}_failures.csv")
        self.streams_path = Path(f"{base}_streams.csv")
        self.full_history = full_history  # also one row per endpoint per tick
        self._on_error = on_error
        self._closed = False
        self._last: Snapshot | None = None
        self._history: IO[str] | None = None
        try:
            self.history_path.parent.mkdir(parents=True, exist_ok=True)
            self._history = open(  # noqa: SIM115 - held open for the run
                self.history_path, "w", newline="", encoding="utf-8"
            )
            self._history_csv = csv.writer(self._history)
            self._history_csv.writerow(HISTORY_HEADER)
            self._history.flush()
        except OSError as exc:
            self._history_failed(exc)

    def _history_failed(self, exc: OSError) -> None:
        history, self._history = self._history, None
        if history is not None:
            with contextlib.suppress(OSError):  # its buffer cannot be flushed
                history.close()
        self._failed(self.history_path, exc)

    def _failed(self, path: Path, exc: OSError) -> None:
        if self._on_error is None:
            raise exc
        self._on_error(path, exc)

    def on_snapshot(self, snap: Snapshot) -> None:
        if self._closed:
            raise ValueError("CsvWriter is closed")
        self._last = snap
        if self._history is None:
            return  # its file failed: the other files are still written at close
        rows = [snap.total, *snap.endpoints] if self.full_history else [snap.total]
        try:
            for st in rows:
                self._history_csv.writerow(self._history_row(snap, st))
            self._history.flush()
        except OSError as exc:
            self._history_failed(exc)

    def _history_row(self, snap: Snapshot, st: EndpointStats) -> list[str]:
        interval = snap.interval_s
        stamp = datetime.fromtimestamp(snap.wall, tz=UTC).isoformat(timespec="milliseconds")
        is_total = st is snap.total
        return [
            stamp,
            f"{snap.t:.3f}",
            snap.load.state,
            str(snap.load.users),
            _n(snap.load.rate),
            "" if is_total else st.method,
            AGGREGATED if is_total else st.name,
            _n(st.rps),
            _n(st.interval_failures / interval if interval > 0 else 0.0),
            *_lat(st.interval_latency, "p50", "p90", "p95", "p99", "p999", "max"),
            str(st.requests),
            str(st.failures),
            *_lat(st.latency, "p50", "p95", "p99", "max", "mean"),
            _n(snap.system.cpu_percent),
            str(snap.system.rss_bytes),
            _n(snap.system.loop_lag_ms),
            *(self._stream_cells(snap) if is_total else ["", "", "", ""]),
        ]

    @staticmethod
    def _stream_cells(snap: Snapshot) -> list[str]:
        ws = snap.stream_total or (combine(AGGREGATED, snap.streams) if snap.streams else None)
        if ws is None:
            return ["0", "0", "0", "0"]
        rtt = ws.interval_rtt
        return [str(ws.open), _n(ws.sent_per_s), _n(ws.received_per_s), _n(rtt.p95)]

    def close(
        self, final: Report | Snapshot | None = None, *, on_error: OnError | None = None
    ) -> None:
        """Write stats, failures and streams from `final`: the report of `build_report`,
        a final Snapshot, or by default the last snapshot seen. The streams file always
        exists (a header alone when no stream ran). `on_error`: where the failures of
        this close go, instead of the writer's own. Closing twice is a no-op."""
        if self._closed:
            return
        self._closed = True
        if on_error is not None:
            self._on_error = on_error
        if self._history is not None:
            try:
                self._history.close()
            except OSError as exc:
                self._history_failed(exc)
            self._history = None
        tables = _Tables.of(final if final is not None else self._last)
        duration = tables.duration_s
        stats = [_stats_row(e["method"], e["name"], e, duration) for e in tables.endpoints]
        stats.append(_stats_row("", AGGREGATED, tables.total, duration))
        failures = [
            [e["name"], kind, str(n)]
            for e in tables.endpoints
            for kind, n in sorted(e["errors"].items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        ws = tables.websocket
        streams = [_stream_row(st["name"], st) for st in ws["streams"]] if ws else []
        if ws:
            streams.append(_stream_row(AGGREGATED, ws))
        self._write(self.stats_path, [STATS_HEADER, *stats])
        self._write(self.failures_path, [FAILURES_HEADER, *failures])
        self._write(self.streams_path, [STREAMS_HEADER, *streams])

    def _write(self, path: Path, rows: list[list[str]]) -> None:
        try:
            with open(path, "w", newline="", encoding="utf-8") as f:
                csv.writer(f).writerows(rows)
        except OSError as exc:
            self._failed(path, exc)

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
