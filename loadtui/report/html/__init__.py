"""The HTML report: one self-contained file per run, or per comparison of two runs.

`run_page` and `compare_page` are the front door (report/outputs.py and the CLI call
them). Inside: blocks.py and levels.py turn a session's ticks into the packed blocks
the page embeds (pack.py), facts.py and views.py say what the page shows in words,
page.py assembles the file from assets/ (the page's own JS and CSS, and uPlot, vendored
with its licence under assets/vendor/uplot/).
"""

from __future__ import annotations

from loadtui.report.compare import Comparison
from loadtui.report.html.levels import BLOB_LIMIT
from loadtui.report.html.page import render
from loadtui.report.html.views import compare_meta, run_meta
from loadtui.report.schema import Report
from loadtui.session.reader import Session


def _title(report: Report) -> str:
    return f"loadtui: {report['scenario'] or 'run'}" + (
        f" · {report['profile']}" if report["profile"] else ""
    )


def run_page(session: Session, report: Report, *, limit: int = BLOB_LIMIT) -> str:
    """The report of one recorded run, its packed ticks within `limit` base64
    characters (levels.py). SessionError when a tick of it is malformed."""
    meta, data = run_meta(session, report, limit=limit)
    headline = "✓ PASSED" if report["passed"] else "✗ FAILED"
    return render(
        {"kind": "run", "runs": [meta], "compare": None},
        [data],
        title=_title(report),
        subtitle=f"{report['target']} · {report['started'] or ''}".strip(" ·"),
        verdict=headline,
        ok=report["passed"],
    )


def compare_page(
    base: Session, new: Session, reports: tuple[Report, Report], comparison: Comparison
) -> str:
    """BASE and NEW on shared axes, with `loadtui compare`'s verdict and marks."""
    runs = [
        run_meta(session, report, label, BLOB_LIMIT // 2)
        for session, report, label in zip((base, new), reports, ("BASE", "NEW"), strict=True)
    ]
    cmp = compare_meta(comparison)
    judged_ok = comparison.judged and comparison.ok
    word = (
        "NOT COMPARABLE"
        if not comparison.judged
        else "NO REGRESSION"
        if comparison.ok
        else "REGRESSED"
    )
    return render(
        {"kind": "compare", "runs": [m for m, _ in runs], "compare": cmp},
        [d for _, d in runs],
        title=f"loadtui compare: {reports[1]['scenario'] or 'run'}",
        subtitle=f"BASE {base.path.name} · NEW {new.path.name}",
        verdict=f"{'✓' if judged_ok else '✗'} {word}: {cmp['verdict']}",
        ok=judged_ok,
    )


__all__ = ["compare_page", "run_page"]
