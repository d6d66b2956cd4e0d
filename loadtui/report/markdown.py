"""Markdown summary of a report, sized for a pull-request comment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loadtui.report import fmt
from loadtui.report.thresholds import format_limit

_LAT = ("p50", "p90", "p95", "p99", "p99.9", "max")


def _cell(text: Any) -> str:
    """Table-cell safe: no pipes or newlines breaking the row."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: Any) -> str:
    clean = str(text).replace("`", "'")
    return f"`{clean}`"


def _limit(t: Mapping[str, Any]) -> str:
    return f"{t.get('op', '')} {format_limit(t.get('metric', ''), t['limit'])}".strip()


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _figures_row(name: str, r: Mapping[str, Any]) -> str:
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


def render_markdown(report: Mapping[str, Any]) -> str:
    thresholds = report.get("thresholds") or []
    failed = [t for t in thresholds if not t["ok"]]
    if not thresholds:
        verdict = "ℹ️ **loadtui: no thresholds**"
    elif failed:
        verdict = f"❌ **loadtui: failed** ({len(failed)} of {len(thresholds)} thresholds)"
    else:
        verdict = f"✅ **loadtui: passed** ({len(thresholds)} thresholds)"
    where = ", ".join(
        f"{k} {_code(report[k])}" for k in ("scenario", "target", "profile") if report.get(k)
    )
    lat = report["latency_ms"]
    lines = [
        f"{verdict}" + (f" — {where}" if where else ""),
        "",
        f"**{fmt.count(report['requests'])} requests** in {fmt.duration(report['duration_s'])}"
        f" ({fmt.rate(report['rps'])} req/s), {fmt.pct(report.get('error_rate', 0.0))} failed"
        f" · p50 {fmt.latency(lat, 'p50')} ms · p95 {fmt.latency(lat, 'p95')} ms"
        f" · p99 {fmt.latency(lat, 'p99')} ms",
        "",
        _row(["Endpoint", "Requests", "Failures", "req/s", *(f"{k} (ms)" for k in _LAT)]),
        "|---|" + "---:|" * (3 + len(_LAT)),
    ]
    for e in report["endpoints"]:
        lines.append(_figures_row(_cell(fmt.endpoint_label(e)), e))
    lines.append(_figures_row("**Total**", report))

    if thresholds:
        lines += ["", "### Thresholds", "", _row(["", "Threshold", "Observed", "Limit"])]
        lines.append("|---|---|---:|---:|")
        for t in thresholds:
            lines.append(
                _row(
                    [
                        "✅" if t["ok"] else "❌",
                        _cell(t["name"]),
                        fmt.observed(t.get("metric", ""), t["observed"]),
                        _limit(t),
                    ]
                )
            )
    lines += _counts("Status codes", "Status", report["status_codes"])
    lines += _counts("Errors", "Error", report["errors"])
    rl = report.get("rate_limited") or {}
    if rl.get("responses"):
        lines += [
            "",
            f"Rate-limited responses (kept out of latency): {fmt.count(rl['responses'])}"
            f" ({fmt.count(rl['with_retry_after'])} with Retry-After);"
            f" honoured {fmt.count(rl['honoured'])}, waited {rl['waited_s']:.1f}s.",
        ]
    om = report.get("open_model") or {}
    if om.get("late_starts") or om.get("dropped"):
        lines += [
            "",
            f"Open model: {fmt.count(om['late_starts'])} late starts,"
            f" {fmt.count(om['dropped'])} dropped starts.",
        ]
    return "\n".join(lines) + "\n"
