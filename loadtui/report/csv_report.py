"""Locust-style CSV files: `{prefix}_stats.csv`, `{prefix}_history.csv`, `{prefix}_failures.csv`.

History is appended and flushed one row per tick, so a long soak never holds its history
in memory and a killed run leaves the rows up to its last tick. Stats and failures are
written at `close()` from the report dict (or the final snapshot). Latencies in ms, rates
per second.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from loadtui.metrics.snapshot import EndpointStats, Latency, Snapshot
from loadtui.report.build import figures

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
]
FAILURES_HEADER = ["Name", "Error", "Occurrences"]
AGGREGATED = "Aggregated"


def _n(value: float) -> str:
    """Numbers as plain text: integers without a fraction, others to 3 decimals."""
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


def _lat(lat: Latency, *attrs: str) -> list[str]:
    return [_n(getattr(lat, a)) for a in attrs]


def _as_report(snap: Snapshot | None) -> Mapping[str, Any]:
    """The parts of a report dict the stats and failures files need."""
    if snap is None:
        return {"duration_s": 0.0, **figures(EndpointStats(name=AGGREGATED)), "endpoints": []}
    return {
        "duration_s": snap.t,
        **figures(snap.total),
        "endpoints": [{"name": e.name, "method": e.method, **figures(e)} for e in snap.endpoints],
    }


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


class CsvWriter:
    """Feed every Snapshot to `on_snapshot`, then `close()` (or use as a context)."""

    def __init__(self, prefix: str | os.PathLike[str], *, full_history: bool = False) -> None:
        base = str(prefix)
        self.stats_path = Path(f"{base}_stats.csv")
        self.history_path = Path(f"{base}_history.csv")
        self.failures_path = Path(f"{base}_failures.csv")
        self.full_history = full_history  # also one row per endpoint per tick
        self.history_path.parent.mkdir(parents=True, exist_ok=True)
        self._history: IO[str] | None = open(  # noqa: SIM115 - held open for the run
            self.history_path, "w", newline="", encoding="utf-8"
        )
        self._history_csv = csv.writer(self._history)
        self._history_csv.writerow(HISTORY_HEADER)
        self._history.flush()
        self._last: Snapshot | None = None

    def on_snapshot(self, snap: Snapshot) -> None:
        if self._history is None:
            raise ValueError("CsvWriter is closed")
        self._last = snap
        rows = [snap.total, *snap.endpoints] if self.full_history else [snap.total]
        for st in rows:
            self._history_csv.writerow(self._history_row(snap, st))
        self._history.flush()

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
        ]

    def close(self, final: Snapshot | Mapping[str, Any] | None = None) -> None:
        """Write stats and failures from `final`: the report dict of `build_report`, a
        final Snapshot, or by default the last snapshot seen. Closing twice is a no-op."""
        if self._history is None:
            return
        self._history.close()
        self._history = None
        report = final if isinstance(final, Mapping) else _as_report(final or self._last)
        duration = float(report.get("duration_s") or 0.0)
        endpoints = report.get("endpoints") or []
        with open(self.stats_path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(STATS_HEADER)
            for e in endpoints:
                w.writerow(_stats_row(e.get("method", ""), e["name"], e, duration))
            w.writerow(_stats_row("", AGGREGATED, report, duration))
        with open(self.failures_path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(FAILURES_HEADER)
            for e in endpoints:
                errors = (e.get("errors") or {}).items()
                for kind, n in sorted(errors, key=lambda kv: (-kv[1], kv[0])):
                    w.writerow([e["name"], kind, str(n)])

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
