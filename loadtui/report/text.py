"""Plain-text renderings for the terminal: the end-of-run table and the live progress line.

Plain `str` (no rich), ASCII rules, so the output reads the same in a CI log, a pipe or
a TTY.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from loadtui.metrics.recorder import TOTAL_NAME
from loadtui.metrics.snapshot import LoadState, Snapshot
from loadtui.metrics.streams import combine
from loadtui.report import fmt
from loadtui.report.schema import (
    Counts,
    Report,
    StreamFigures,
    TargetProcess,
    Websocket,
)
from loadtui.scenario.bounds import endless

_Row = TypeVar("_Row", Counts, StreamFigures)
_Column = tuple[str, int, Callable[[_Row], str]]
# (header, width, cell); columns named in _DROP_ORDER go, in that order, while too wide
_COLUMNS: list[_Column[Counts]] = [
    ("Requests", 10, lambda r: fmt.count(r["requests"])),
    ("Fail", 8, lambda r: fmt.count(r["failures"])),
    ("req/s", 9, lambda r: fmt.rate(r["rps"])),
    ("p50", 7, lambda r: fmt.latency(r["latency_ms"], "p50")),
    ("p90", 7, lambda r: fmt.latency(r["latency_ms"], "p90")),
    ("p95", 7, lambda r: fmt.latency(r["latency_ms"], "p95")),
    ("p99", 7, lambda r: fmt.latency(r["latency_ms"], "p99")),
    ("p99.9", 7, lambda r: fmt.latency(r["latency_ms"], "p99.9")),
    ("max", 8, lambda r: fmt.latency(r["latency_ms"], "max")),
]
_DROP_ORDER = ("p90", "p99.9", "p50", "p95", "Fail")
_NAME_MIN = 12
_WS_COLUMNS: list[_Column[StreamFigures]] = [
    ("Opened", 8, lambda r: fmt.count(r["sessions_opened"])),
    ("Failed", 7, lambda r: fmt.count(r["sessions_failed"])),
    ("Sent", 10, lambda r: fmt.count(r["messages_sent"])),
    ("Recv", 10, lambda r: fmt.count(r["messages_received"])),
    ("out/s", 8, lambda r: fmt.rate(r["sent_per_s"])),
    ("in/s", 8, lambda r: fmt.rate(r["received_per_s"])),
    ("RTT p50", 7, lambda r: fmt.latency(r["rtt_ms"], "p50")),
    ("p95", 7, lambda r: fmt.latency(r["rtt_ms"], "p95")),
    ("p99", 7, lambda r: fmt.latency(r["rtt_ms"], "p99")),
    ("max", 8, lambda r: fmt.latency(r["rtt_ms"], "max")),
    ("HS p95", 7, lambda r: fmt.latency(r["handshake_ms"], "p95")),
    ("gap p95", 7, lambda r: fmt.latency(r["gap_ms"], "p95")),
]
_WS_DROP_ORDER = ("out/s", "Sent", "max", "gap p95", "Failed", "HS p95", "Recv")


def _table(
    head: str,
    rows: Sequence[tuple[str, _Row]],
    total: _Row | None,
    all_columns: list[_Column[_Row]],
    drop_order: tuple[str, ...],
    width: int,
) -> list[str]:
    """A name column then figure columns, dropping columns (in `drop_order`) while
    too wide; `total` (if any) becomes a last row under a rule."""
    columns = list(all_columns)
    for header in drop_order:
        if _NAME_MIN + sum(w + 1 for _, w, _c in columns) <= width:
            break
        columns = [c for c in columns if c[0] != header]
    longest = max([len(head), *(len(name) for name, _ in rows)])
    room = width - sum(w + 1 for _, w, _c in columns)
    name_w = max(_NAME_MIN, min(room, longest))

    def line(name: str, cells: list[str]) -> str:
        if len(name) > name_w:
            name = name[: name_w - 1] + "~"
        return (
            name.ljust(name_w)
            + "".join(" " + c.rjust(w) for c, (_, w, _f) in zip(cells, columns, strict=True))
        ).rstrip()

    out = [line(head, [h for h, _w, _c in columns])]
    out.append("-" * (name_w + sum(w + 1 for _, w, _c in columns)))
    for name, row in rows:
        out.append(line(name, [cell(row) for _h, _w, cell in columns]))
    if total is not None:
        out.append(out[1])
        out.append(line("Total", [cell(total) for _h, _w, cell in columns]))
    return out


def _endpoint_table(report: Report, width: int) -> list[str]:
    rows = [(fmt.endpoint_label(e), e) for e in report["endpoints"]]
    total: Counts | None = report if len(rows) != 1 else None
    return _table("Endpoint", rows, total, _COLUMNS, _DROP_ORDER, width)


def _websocket_lines(ws: Websocket, width: int) -> list[str]:
    """One row per stream (a total under several), then close codes and faults."""
    rows = [(st["name"], st) for st in ws["streams"]]
    total: StreamFigures | None = ws if len(rows) != 1 else None
    lines = [
        "",
        f"WebSocket: {fmt.count(ws['sessions_opened'])} sessions opened,"
        f" {fmt.count(ws['sessions_failed'])} failed;"
        f" {fmt.count(ws['disconnects'])} disconnects, {fmt.count(ws['reconnects'])} reconnects",
        "Per stream (latency in ms):",
    ]
    lines += _table("Stream", rows, total, _WS_COLUMNS, _WS_DROP_ORDER, width)
    lines.append("")
    scopes: list[tuple[str, StreamFigures]] = (
        [("", ws)] if len(rows) == 1 else [(f" ({name})", st) for name, st in rows]
    )
    for suffix, st in scopes:
        lines += _counts_line(f"Close codes{suffix}", st["close_codes"], width)
    for label, counts in (
        ("Handshake failures", ws["handshake_failures"]),
        ("Stream errors", ws["errors"]),
    ):
        if counts:
            lines += _counts_line(label, counts, width)
    return lines


def _counts_line(label: str, counts: Mapping[str, int], width: int) -> list[str]:
    if not counts:
        return [f"{label}: none"]
    text = ", ".join(f"{key} x{fmt.count(n)}" for key, n in counts.items())
    return textwrap.wrap(f"{label}: {text}", width=width, subsequent_indent="  ")


def summary_table(report: Report, width: int = 100) -> str:
    """The end-of-run summary of a report (see build.build_report)."""
    width = max(40, width)
    head = " | ".join(f"{k} {v}" for k, v in fmt.names(report) if v)
    lines = [head] if head else []
    ws = report["websocket"]
    if report["endpoints"] or report["requests"] or not ws:
        lines.append(
            f"{fmt.count(report['requests'])} requests in {fmt.duration(report['duration_s'])}"
            f" ({fmt.rate(report['rps'])} req/s), {fmt.count(report['failures'])} failed"
            f" ({fmt.pct(report['error_rate'])})"
            + (f", {fmt.count(report['iterations'])} iterations" if report["iterations"] else "")
        )
        lines.append("")
        lines.append("Per endpoint (latency in ms):")
        lines += _endpoint_table(report, width)
        lines.append("")
        lines += _counts_line("Status codes", report["status_codes"], width)
        lines += _counts_line("Errors", report["errors"], width)
    else:  # streams only: no HTTP figures to speak of
        lines.append(f"No HTTP requests in {fmt.duration(report['duration_s'])}")
    if ws:
        lines += _websocket_lines(ws, width)
    lines += _rate_limited_lines(report, width)
    om = report["open_model"]
    if om["late_starts"] or om["dropped"]:
        lines.append(
            f"Open model: {fmt.count(om['late_starts'])} late starts,"
            f" {fmt.count(om['dropped'])} dropped"
        )
    lines += _target_lines(report["target_process"])
    warnings = [w for w in (fmt.saturation(report), _clamped(report), _throttled(report)) if w]
    if warnings:
        lines.append("")
        for w in warnings:
            lines += textwrap.wrap(f"WARNING: {w}", width=width, subsequent_indent="  ")
    results = report["thresholds"]
    if results:
        lines.append("")
        lines.append("Thresholds:")
        for r in results:
            observed = fmt.observed(r["metric"], r["observed"])
            why = f": {r['reason']}" if r["observed"] is None and r["reason"] else ""
            lines.append(
                f"  {'PASS' if r['ok'] else 'FAIL'}  {r['name']}  (observed {observed}{why})"
            )
        failed = sum(1 for r in results if not r["ok"])
        verdict = "PASSED" if not failed else f"FAILED ({failed} of {len(results)} thresholds)"
        lines.append(f"Result: {verdict}")
    if report["unserved"]:
        lines += ["", f"FAILED: {report['unserved']}"]
    return "\n".join(lines)


def progress_line(snap: Snapshot) -> str:
    """One short line for headless progress. Its request figures are the snapshot's
    interval ones over `interval_s`: give it a window's view (metrics.window) so they
    cover the seconds since the previous line, not one tick."""
    load, tot = snap.load, snap.total
    parts: list[str] = []
    if load.state != "running":
        parts.append(load.state)
    if load.model == "open":
        parts.append(f"rate {fmt.rate(load.rate)}/s inflight {load.inflight}")
    else:
        parts.append(f"users {load.users}/{load.users_target}")
    reqs, fails = tot.interval_requests, tot.interval_failures
    err = fails / reqs if reqs else 0.0
    parts.append(
        f"{fmt.duration(snap.interval_s)}: {fmt.count(reqs)} req, {fmt.rate(tot.rps)} req/s,"
        f" {fmt.count(fails)} failed ({fmt.pct(err)})"
    )
    lat = tot.interval_latency
    if lat.count:
        parts.append(f"p50 {fmt.ms(lat.p50)} p95 {fmt.ms(lat.p95)} p99 {fmt.ms(lat.p99)} ms")
    else:
        parts.append("p50 - p95 - p99 - ms")
    ws = snap.stream_total or (combine(TOTAL_NAME, snap.streams) if snap.streams else None)
    if ws is not None:
        rtt = fmt.ms(ws.interval_rtt.p95) if ws.interval_rtt.count else "-"
        parts.append(f"ws open {ws.open} in {fmt.rate(ws.received_per_s)}/s rtt p95 {rtt} ms")
    if load.state in ("running", "paused"):
        parts += _where(load)
    return f"[{fmt.duration(snap.t)}] " + " | ".join(parts)


def _where(load: LoadState) -> list[str]:
    """The stage, and the time left of the run (its `-t`, else its profile)."""
    out: list[str] = []
    if load.stage < 0:
        out.append("manual")
    elif load.stages:
        stage = f"stage {load.stage + 1}/{load.stages}"
        if load.run_left_s is None:  # nothing ends the run: the stage's time is what is left
            left = load.stage_left_s
            stage += " (until stopped)" if endless(left) else f" ({fmt.duration(left)})"
        out.append(stage)
    if load.iterations_target:  # the count ends the run, not (only) the clock
        out.append(f"iterations {fmt.count(load.iterations)}/{fmt.count(load.iterations_target)}")
    elif load.run_left_s is not None and not endless(load.run_left_s):
        out.append(f"{fmt.duration(load.run_left_s)} left")
    return out


def _responses(report: Report) -> int:
    return sum(report["status_codes"].values())


def _rate_limited_lines(report: Report, width: int) -> list[str]:
    """The throttled share, beside the counts: 429s are neither requests nor failures,
    so without this line a mostly throttled run reads as a clean one."""
    rl = report["rate_limited"]
    if not rl["responses"]:
        return []
    answered = _responses(report)
    share = (
        f" of {fmt.count(answered)} responses ({fmt.pct(rl['responses'] / answered)})"
        if answered
        else ""
    )
    text = (
        f"Rate limited: {fmt.count(rl['responses'])}{share},"
        f" {fmt.count(rl['with_retry_after'])} with Retry-After;"
        f" honoured {fmt.count(rl['honoured'])}, waited {rl['waited_s']:.1f}s"
        " (not counted as requests, failures or latency)"
    )
    return textwrap.wrap(text, width=width, subsequent_indent="  ")


THROTTLED_WARN = 0.05  # a share of rate-limited responses worth a warning when not gated


def _throttled(report: Report) -> str:
    """A warning when much of the run was throttled and no threshold gates on it."""
    limited = report["rate_limited"]["responses"]
    answered = _responses(report)
    if not answered or limited / answered < THROTTLED_WARN:
        return ""
    gated = any(
        r["metric"].startswith(("rate_limited", "status_4", "status_429"))
        for r in report["thresholds"]
    )
    if gated:
        return ""
    return (
        f"{fmt.pct(limited / answered)} of responses were rate-limited (429/503 with"
        ' Retry-After) and no threshold gates on it; add rate_limited = "< 5%" to fail such a run'
    )


def _clamped(report: Report) -> str:
    n = report["clamped"]
    return f"{fmt.count(n)} latencies beyond 1 h were recorded as 1 h" if n else ""


def _target_lines(tp: TargetProcess | None) -> list[str]:
    """The watched target's processes (RSS and CPU summed over them)."""
    if not tp:
        return []
    mib = 1024 * 1024
    pids = tp["pids"]
    return [
        "",
        f"Target processes ({len(pids)}): RSS {tp['rss_start_bytes'] / mib:.1f} ->"
        f" {tp['rss_end_bytes'] / mib:.1f} MiB (max {tp['rss_max_bytes'] / mib:.1f},"
        f" growth {tp['rss_growth_bytes'] / mib:+.1f}); CPU mean"
        f" {tp['cpu_mean_percent']:.0f}%, max {tp['cpu_max_percent']:.0f}%",
    ]
