"""Locust-style CSV files: `{prefix}_stats.csv`, `{prefix}_history.csv`, `{prefix}_failures.csv`,
and `{prefix}_streams.csv` (WebSocket streams, one row each plus an Aggregated row).

History is appended and flushed one row per tick, so a long soak never holds its history
in memory and a killed run leaves the rows up to its last tick; its last columns are the
streams' live figures (zero when none run). Stats, failures and streams are written at
`close()` from the report dict (or the final snapshot). Latencies in ms, rates
per second.

A file that cannot be written (disk full, a folder in the way) raises OSError, unless
the writer was given `on_error`: then it is handed the file and the error, and every
other file is still written (a history that failed stops taking rows, the run goes on).
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from loadtui.metrics.snapshot import EndpointStats, Latency, Snapshot
from loadtui.metrics.streams import combine
from loadtui.report.build import figures, websocket_section

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


def _as_report(snap: Snapshot | None) -> Mapping[str, Any]:
    """The parts of a report dict the stats, failures and streams files need."""
    if snap is None:
        return {"duration_s": 0.0, **figures(EndpointStats(name=AGGREGATED)), "endpoints": []}
    return {
        "duration_s": snap.t,
        **figures(snap.total),
        "endpoints": [{"name": e.name, "method": e.method, **figures(e)} for e in snap.endpoints],
        "websocket": websocket_section(snap),
    }


def _counts(counts: Mapping[Any, int]) -> str:
    """`1000:950 1006:3`: one cell, no commas to quote."""
    return " ".join(f"{key}:{n}" for key, n in counts.items())


def _stream_row(name: str, fig: Mapping[str, Any]) -> list[str]:
    def lat(figure: str, *keys: str) -> list[str]:
        values = fig.get(figure) or {}
        return [_n(values.get(k, 0.0)) for k in keys]

    return [
        name,
        *(
            str(fig.get(k, 0))
            for k in (
                "sessions_opened",
                "sessions_failed",
                "sessions_closed",
                "disconnects",
                "reconnects",
                "messages_sent",
                "messages_received",
            )
        ),
        _n(fig.get("sent_per_s", 0.0)),
        _n(fig.get("received_per_s", 0.0)),
        str(fig.get("bytes_sent", 0)),
        str(fig.get("bytes_received", 0)),
        *lat("rtt_ms", "p50", "p90", "p95", "p99", "max"),
        *lat("handshake_ms", "p50", "p95", "p99", "max"),
        *lat("first_message_ms", "p50", "p95"),
        *lat("gap_ms", "p50", "p95", "p99", "max"),
        _counts(fig.get("close_codes") or {}),
        _counts(fig.get("handshake_failures") or {}),
        _counts(fig.get("errors") or {}),
    ]


def _stats_row(kind: str, name: str, fig: Mapping[str, Any], duration: float) -> list[str]:
    lat = fig.get("latency_ms") or {}
    keys = ("p50", "p75", "p90", "p95", "p99", "p99.9", "max", "mean", "min")
    return [
        kind,
        name,
        str(fig.get("requests", 0)),
        str(fig.get("failures", 0)),
        _n(fig.get("rps", 0.0)),
        _n(fig.get("failures", 0) / duration if duration > 0 else 0.0),
        *(_n(lat.get(k, 0.0)) for k in keys),
        str(fig.get("bytes_in", 0)),
        str(fig.get("bytes_out", 0)),
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

    def close(self, final: Snapshot | Mapping[str, Any] | None = None) -> None:
        """Write stats, failures and streams from `final`: the report dict of
        `build_report`, a final Snapshot, or by default the last snapshot seen. The
        streams file always exists (a header alone when no stream ran). Closing twice is
        a no-op."""
        if self._closed:
            return
        self._closed = True
        if self._history is not None:
            try:
                self._history.close()
            except OSError as exc:
                self._history_failed(exc)
            self._history = None
        report = final if isinstance(final, Mapping) else _as_report(final or self._last)
        duration = float(report.get("duration_s") or 0.0)
        endpoints = report.get("endpoints") or []
        stats = [_stats_row(e.get("method", ""), e["name"], e, duration) for e in endpoints]
        stats.append(_stats_row("", AGGREGATED, report, duration))
        failures = [
            [e["name"], kind, str(n)]
            for e in endpoints
            for kind, n in sorted((e.get("errors") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        ws = report.get("websocket") or {}
        streams = [_stream_row(str(st["name"]), st) for st in ws.get("streams") or []] if ws else []
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
