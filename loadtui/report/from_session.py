"""Every report of `loadtui run`, rebuilt from a recorded session, no load sent.

The live run builds its report from its final Snapshot, which is also the session's
last tick record; that record round-trips exactly through JSON (floats print as their
shortest repr), so the same `build_report` on the same thresholds gives the same figures,
and `started` (derived from the final tick's wall clock and elapsed time) too. Only what
the ticks cannot tell comes from elsewhere: scenario, target and profile names from the
header; saturation periods, and any other pass-through `info`, from the summary (absent
when the run was killed: then no saturation periods). The target's processes are folded
from every tick's gauges through the same TargetWatch as live, named by the header's
`target_pids`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from loadtui.metrics.target_process import TargetProcessSummary, TargetWatch
from loadtui.report.build import build_report
from loadtui.report.csv_report import CsvWriter
from loadtui.report.facts import RunFacts
from loadtui.report.svg import render_svg
from loadtui.report.thresholds import evaluate
from loadtui.report.writers import (
    cannot_write,
    write_json,
    write_junit,
    write_markdown,
    write_text,
)
from loadtui.session.reader import Session, SessionError, tick_gauges

PathLike = str | os.PathLike[str]


def session_info(session: Session) -> dict[str, Any]:
    """The `info` the live run passed to `build_report`, as far as the log holds it."""
    hdr = session.header
    info: dict[str, Any] = {
        "scenario": (hdr.get("scenario") or {}).get("name", ""),
        "target": (hdr.get("target") or {}).get("url", ""),
        "profile": (hdr.get("profile") or {}).get("name", ""),
    }
    summary = (session.summary or {}).get("report")
    info["saturation"] = (summary or {}).get("saturation", [])
    return info


def target_process(session: Session) -> TargetProcessSummary | None:
    """What the live run's TargetWatch summed up; the ticks are only rebuilt when the
    target was watched (pids in the header, or gauges in the last tick of an older log)."""
    pids = tuple(p for p in session.header.get("target_pids") or () if isinstance(p, int))
    final = session.final
    if not pids and (final is None or final.system.target_rss_bytes is None):
        return None
    watch = TargetWatch(pids)
    for t, system in tick_gauges(session):
        watch.add_gauges(t, system)
    return watch.summary()


def report_from_session(session: Session) -> dict[str, Any]:
    """The report dict of the recorded run (see build.build_report).

    Raises SessionError when the session holds no tick (killed before its first)."""
    final = session.final
    if final is None:
        raise SessionError(f"{session.path}: no tick recorded, nothing to report")
    info = session_info(session)
    facts = RunFacts(target_process=target_process(session), saturated=bool(info["saturation"]))
    results = evaluate(session.thresholds(), final, facts=facts)
    tp = facts.target_process
    report = build_report(final, results, info=info, target_process=tp)
    summary = (session.summary or {}).get("report")
    if isinstance(summary, Mapping):  # other pass-through info of the live run, in its order
        extra = {k: v for k, v in summary.items() if k not in report}
        if extra:
            report = build_report(final, results, info={**info, **extra}, target_process=tp)
    return report


def write_outputs(
    report: Mapping[str, Any],
    *,
    report_json: PathLike | None = None,
    report_md: PathLike | None = None,
    csv_prefix: PathLike | None = None,
    junit: PathLike | None = None,
    svg: PathLike | None = None,
    session: Session | None = None,
) -> list[str]:
    """Write each output asked for; returns what could not be written, one line per file
    ("cannot write PATH: reason"): a failing one, disk full say, does not stop the others.

    CSV history and SVG come from `session`'s ticks (CSV without a session: stats and
    failures only, an empty history); a malformed tick among them is a SessionError."""
    failed: list[str] = []

    def lost(path: object, exc: OSError) -> None:
        failed.append(cannot_write(path, exc))

    def attempt(path: PathLike, write: Callable[[], None]) -> None:
        try:
            write()
        except OSError as exc:
            lost(path, exc)

    if report_json is not None:
        attempt(report_json, lambda: write_json(report, report_json))
    if report_md is not None:
        attempt(report_md, lambda: write_markdown(report, report_md))
    if junit is not None:
        attempt(junit, lambda: write_junit(report, junit))
    if csv_prefix is not None:
        _write_csv(report, csv_prefix, session, lost)
    if svg is not None:
        if session is None:
            failed.append(f"cannot write {svg}: an SVG chart needs the session's ticks")
        else:
            chart = render_svg(session)
            attempt(svg, lambda: write_text(svg, chart))
    return failed


def _write_csv(
    report: Mapping[str, Any],
    prefix: PathLike,
    session: Session | None,
    lost: Callable[[Path, OSError], None],
) -> None:
    csv = CsvWriter(prefix, on_error=lost)
    try:
        for snap in session.ticks if session else ():
            csv.on_snapshot(snap)
    finally:
        csv.close(report)
