"""Every report file a command asked for, written in one place (`loadtui run`, `rerun`
and `report` alike): JSON, Markdown, JUnit, the CSV files, the SVG chart and the HTML
report.

A file that cannot be written (disk full, a folder in the way) is one line, "cannot
write PATH: reason", and does not stop the others; the caller turns the lines into its
exit code (3, incomplete, see docs/contracts.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from loadtui.report.csv_report import CsvWriter
from loadtui.report.html import run_page
from loadtui.report.schema import Report
from loadtui.report.svg import render_svg
from loadtui.report.writers import cannot_write, write_json, write_junit, write_markdown, write_text
from loadtui.session.reader import Session

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Outputs:
    """Where each report goes; None: not asked for. "-" is stdout (JSON, Markdown,
    JUnit). `csv_prefix` names `PREFIX_stats.csv`, `PREFIX_history.csv`, ..."""

    report_json: PathLike | None = None
    report_md: PathLike | None = None
    csv_prefix: PathLike | None = None
    junit: PathLike | None = None
    svg: PathLike | None = None
    html: PathLike | None = None

    def files(self) -> list[tuple[str, Path]]:
        """(flag, file) of each output asked for, in writing order, to check before any
        load is sent; the CSV files by their stats file."""
        asked = (
            ("--report-json", self.report_json),
            ("--report-md", self.report_md),
            ("--junit", self.junit),
            ("--csv", None if self.csv_prefix is None else f"{self.csv_prefix}_stats.csv"),
            ("--svg", self.svg),
            ("--report-html", self.html),
        )
        return [(flag, Path(path)) for flag, path in asked if path is not None]


def write_reports(
    report: Report,
    outputs: Outputs,
    *,
    session: Session | None = None,
    history: CsvWriter | None = None,
    on_lost: Callable[[str], None] | None = None,
) -> list[str]:
    """Write each output of `outputs`; returns one line per file not written, each also
    handed to `on_lost` as it happens (say it at once, over a live progress line).

    The CSV files: `history` is the live run's writer (made with `outputs.csv_prefix`,
    fed tick by tick), closed here with the report's tables; without it they are
    written from `session`'s ticks (no session: an empty history). The SVG chart and the
    HTML report need `session`. A malformed tick among `session`'s is a SessionError."""
    failed: list[str] = []

    def say(line: str) -> None:
        failed.append(line)
        if on_lost is not None:
            on_lost(line)

    def lost(path: object, exc: OSError) -> None:
        say(cannot_write(path, exc))

    files: tuple[tuple[PathLike | None, Callable[[Report, PathLike], None]], ...] = (
        (outputs.report_json, write_json),
        (outputs.report_md, write_markdown),
        (outputs.junit, write_junit),
    )
    for path, write in files:
        if path is not None:
            try:
                write(report, path)
            except OSError as exc:
                lost(path, exc)
    if history is not None:
        history.close(report, on_error=lost)
    elif outputs.csv_prefix is not None:
        _csv_from_session(report, outputs.csv_prefix, session, lost)
    if outputs.svg is not None:
        if session is None:
            say(f"cannot write {outputs.svg}: an SVG chart needs the session's ticks")
        else:
            chart = render_svg(session)
            try:
                write_text(outputs.svg, chart)
            except OSError as exc:
                lost(outputs.svg, exc)
    if outputs.html is not None:
        if session is None:
            say(f"cannot write {outputs.html}: an HTML report needs the session's ticks")
        else:
            try:
                write_text(outputs.html, run_page(session, report))
            except OSError as exc:
                lost(outputs.html, exc)
    return failed


def _csv_from_session(
    report: Report,
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
