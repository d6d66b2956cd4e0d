"""Markdown summary of a report, sized for a pull-request comment."""

from __future__ import annotations

from collections.abc import Mapping

from loadtui.report import fmt
from loadtui.report.schema import (
    Counts,
    LatencyKey,
    Report,
    StreamFigures,
    TargetProcess,
    ThresholdEntry,
    Websocket,
)
from loadtui.report.thresholds import format_limit

_LAT: tuple[LatencyKey, ...] = ("p50", "p90", "p95", "p99", "p99.9", "max")


def _cell(text: object) -> str:
    """Table-cell safe: no pipes or newlines breaking the row."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: object) -> str:
    clean = str(text).replace("`", "'")
    return f"`{clean}`"


def _limit(t: ThresholdEntry) -> str:
    return f"{t['op']} {format_limit(t['metric'], t['limit'])}".strip()


def _observed(t: ThresholdEntry) -> str:
    """The observed value; with no data, why (no target process watched, ...)."""
    text = fmt.observed(t["metric"], t["observed"])
    return f"{text} ({t['reason']})" if t["observed"] is None and t["reason"] else text


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _figures_row(name: str, r: Counts) -> str:
    lat = r["latency_ms"]
    return _row(
        [
            name,
            fmt.count(r["requests"]),
            fmt.count(r["failures"]),
            fmt.rate(r["rps"]),
            *(fmt.latency(lat, k) for k in _LAT),
        ]
    )


def _counts(title: str, head: str, counts: Mapping[str, int]) -> list[str]:
    if not counts:
        return []
    rows = [_row([_cell(k), fmt.count(n)]) for k, n in counts.items()]
    return ["", f"### {title}", "", _row([head, "Count"]), "|---|---:|", *rows]


_WS_HEAD = (
    "Stream",
    "Opened",
    "Failed",
    "Sent",
    "Received",
    "msg/s in",
    "RTT p50 (ms)",
    "RTT p95 (ms)",
    "RTT p99 (ms)",
    "RTT max (ms)",
    "Handshake p95 (ms)",
    "Gap p95 (ms)",
    "Close codes",
)


def _stream_row(name: str, r: StreamFigures) -> str:
    codes = ", ".join(f"{code}×{fmt.count(n)}" for code, n in r["close_codes"].items())
    return _row(
        [
            name,
            fmt.count(r["sessions_opened"]),
            fmt.count(r["sessions_failed"]),
            fmt.count(r["messages_sent"]),
            fmt.count(r["messages_received"]),
            fmt.rate(r["received_per_s"]),
            *(fmt.latency(r["rtt_ms"], k) for k in ("p50", "p95", "p99", "max")),
            fmt.latency(r["handshake_ms"], "p95"),
            fmt.latency(r["gap_ms"], "p95"),
            _cell(codes or "-"),
        ]
    )


def _websocket(ws: Websocket) -> list[str]:
    streams = ws["streams"]
    lines = [
        "",
        "### WebSocket",
        "",
        f"{fmt.count(ws['sessions_opened'])} sessions opened,"
        f" {fmt.count(ws['sessions_failed'])} failed,"
        f" {fmt.count(ws['disconnects'])} disconnects, {fmt.count(ws['reconnects'])} reconnects.",
        "",
        _row(list(_WS_HEAD)),
        "|---|" + "---:|" * (len(_WS_HEAD) - 2) + "---|",
    ]
    for st in streams:
        lines.append(_stream_row(_cell(st["name"]), st))
    if len(streams) != 1:
        lines.append(_stream_row("**Total**", ws))
    lines += _counts("Handshake failures", "Reason", ws["handshake_failures"])
    lines += _counts("Stream errors", "Error", ws["errors"])
    return lines


def _mib(n: int, sign: bool = False) -> str:
    return f"{n / 2**20:{'+' if sign else ''}.1f} MiB"


def _target_process(tp: TargetProcess) -> list[str]:
    """RSS and CPU of the target's processes, children included, summed."""
    pids = ", ".join(str(p) for p in tp["pids"]) or "-"
    return [
        "",
        "### Target process",
        "",
        f"Summed over processes {pids} and any children started during the run.",
        "",
        _row(["RSS start", "RSS end", "RSS max", "RSS growth", "CPU mean", "CPU max"]),
        "|" + "---:|" * 6,
        _row(
            [
                _mib(tp["rss_start_bytes"]),
                _mib(tp["rss_end_bytes"]),
                _mib(tp["rss_max_bytes"]),
                _mib(tp["rss_growth_bytes"], sign=True),
                f"{tp['cpu_mean_percent']:.1f}%",
                f"{tp['cpu_max_percent']:.1f}%",
            ]
        ),
    ]


def _http(report: Report) -> list[str]:
    """The headline figures and the endpoints table."""
    lat = report["latency_ms"]
    lines = [
        f"**{fmt.count(report['requests'])} requests** in {fmt.duration(report['duration_s'])}"
        f" ({fmt.rate(report['rps'])} req/s), {fmt.pct(report['error_rate'])} failed"
        f" · p50 {fmt.latency(lat, 'p50')} ms · p95 {fmt.latency(lat, 'p95')} ms"
        f" · p99 {fmt.latency(lat, 'p99')} ms",
        "",
        _row(["Endpoint", "Requests", "Failures", "req/s", *(f"{k} (ms)" for k in _LAT)]),
        "|---|" + "---:|" * (3 + len(_LAT)),
    ]
    for e in report["endpoints"]:
        lines.append(_figures_row(_cell(fmt.endpoint_label(e)), e))
    lines.append(_figures_row("**Total**", report))
    return lines


def render_markdown(report: Report) -> str:
    thresholds = report["thresholds"]
    failed = [t for t in thresholds if not t["ok"]]
    if report["unserved"]:
        verdict = f"❌ **loadtui: failed**, {report['unserved']}"
    elif not thresholds:
        verdict = "ℹ️ **loadtui: no thresholds**"
    elif failed:
        verdict = f"❌ **loadtui: failed** ({len(failed)} of {len(thresholds)} thresholds)"
    else:
        verdict = f"✅ **loadtui: passed** ({len(thresholds)} thresholds)"
    where = ", ".join(f"{k} {_code(v)}" for k, v in fmt.names(report) if v)
    lines = [f"{verdict}" + (f" — {where}" if where else ""), ""]
    warning = fmt.saturation(report)
    if warning:
        lines += [f"> ⚠️ {warning[0].upper()}{warning[1:]}", ""]
    ws = report["websocket"]
    if report["endpoints"] or report["requests"] or not ws:
        lines += _http(report)
    else:  # streams only: the WebSocket section says it all
        lines.append(f"**No HTTP requests** in {fmt.duration(report['duration_s'])}.")

    if thresholds:
        lines += ["", "### Thresholds", "", _row(["", "Threshold", "Observed", "Limit"])]
        lines.append("|---|---|---:|---:|")
        for t in thresholds:
            lines.append(
                _row(
                    [
                        "✅" if t["ok"] else "❌",
                        _cell(t["name"]),
                        _cell(_observed(t)),
                        _limit(t),
                    ]
                )
            )
    lines += _counts("Status codes", "Status", report["status_codes"])
    lines += _counts("Errors", "Error", report["errors"])
    if ws:
        lines += _websocket(ws)
    rl = report["rate_limited"]
    if rl["responses"]:
        lines += [
            "",
            f"Rate-limited responses (kept out of latency): {fmt.count(rl['responses'])}"
            f" ({fmt.count(rl['with_retry_after'])} with Retry-After);"
            f" honoured {fmt.count(rl['honoured'])}, waited {rl['waited_s']:.1f}s.",
        ]
    om = report["open_model"]
    if om["late_starts"] or om["dropped"]:
        lines += [
            "",
            f"Open model: {fmt.count(om['late_starts'])} late starts,"
            f" {fmt.count(om['dropped'])} dropped starts.",
        ]
    if report["target_process"]:
        lines += _target_process(report["target_process"])
    return "\n".join(lines) + "\n"
