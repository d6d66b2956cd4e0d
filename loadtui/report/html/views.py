"""What the page's script reads (`meta`), for one run or for a comparison.

A comparison is `loadtui compare`'s own `Comparison` (report/compare.py) written out
with its own helpers: the page marks exactly the regressions the command marks, and
words each figure as its table does.
"""

from __future__ import annotations

from typing import Any

from loadtui.metrics.snapshot import Snapshot
from loadtui.report import fmt
from loadtui.report.compare import MARK, Comparison, Section, change, relative, value
from loadtui.report.compare_render import difference_lines, rules_line, verdict_line
from loadtui.report.html.blocks import STREAM_COUNTS
from loadtui.report.html.facts import events, facts, verdict
from loadtui.report.html.levels import BLOB_LIMIT, columns_meta, pack_ticks
from loadtui.report.schema import Report
from loadtui.session.reader import Session, SessionError


def run_meta(
    session: Session, report: Report, label: str = "", limit: int = BLOB_LIMIT
) -> tuple[dict[str, Any], str]:
    """One run's `meta` and its packed ticks. SessionError when a tick is malformed."""
    try:
        packed = pack_ticks(session.ticks, limit)
    except ValueError as exc:  # a histogram that does not decode (SessionError is one too)
        if isinstance(exc, SessionError):
            raise
        raise SessionError(f"{session.path}: malformed tick: {exc}") from None
    final: Snapshot | None = session.final
    methods = {e.name: e.method for e in final.endpoints} if final else {}
    meta = {
        "label": label,
        "facts": facts(session, report),
        "verdict": verdict(report),
        "events": events(session),
        "saturation": report["saturation"],
        "report": report,
        "ticks": len(session.ticks),
        "k": packed.k,
        "blocks": packed.blocks,
        "endpoints": [
            {"name": n, "label": fmt.endpoint_label({"name": n, "method": methods.get(n, "")})}
            for n in packed.endpoints
        ],
        "streams": packed.streams,
        "keys": packed.keys,
        "columns": columns_meta(),
        "stream_counts": list(STREAM_COUNTS),
    }
    return meta, packed.data


def _section(title: str, first: str, what: str, sec: Section) -> dict[str, Any]:
    only = [f"Only in NEW (added {what}): {', '.join(sec.added)}"] if sec.added else []
    if sec.removed:
        only.append(f"Only in BASE (removed {what}): {', '.join(sec.removed)}")
    return {
        "title": title,
        "first": first,
        "only": only,
        "rows": [
            {
                "name": "" if row.total else row.name,
                "label": row.label,
                "total": row.total,
                "deltas": [
                    {
                        "figure": d.figure + (" (ms)" if d.kind == "latency" else ""),
                        "base": value(d, 0),
                        "new": value(d, 1),
                        "change": change(d),
                        "relative": relative(d),
                        "verdict": d.verdict,
                        "mark": MARK[d.verdict],
                    }
                    for d in row.deltas
                ],
            }
            for row in sec.table()
        ],
    }


def compare_meta(c: Comparison) -> dict[str, Any]:
    """The comparison as the page shows it (verdict, differences, each row's deltas)."""
    sections = [
        _section(title, first, what, sec)
        for title, first, what, sec in (
            ("Endpoints (latency in ms)", "Endpoint", "endpoints", c.endpoints),
            ("WebSocket streams (latency in ms)", "Stream", "streams", c.streams),
        )
        if sec
    ]
    return {
        "verdict": verdict_line(c),
        "judged": c.judged,
        "ok": c.ok,
        "differences": difference_lines(c),
        "notes": list(c.notes),
        "rules": rules_line(c),
        "tolerance": c.tolerance,
        "sections": sections,
        "regressions": c.regressions,  # listed, as the command lists them, judged or not
        "improvements": c.improvements,
    }
