"""`loadtui run`: drive one engine run without the console and turn it into reports.

The engine runs on its own thread; this thread reads snapshots, prints progress on
stderr, feeds the session log and CSV history, and on the way out writes every report
asked for, even after Ctrl-C or SIGTERM. Exit codes follow design.md.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from loadtui.engine.host import EngineHost
from loadtui.engine.runner import RunConfig
from loadtui.live import LiveRun
from loadtui.metrics.snapshot import Snapshot
from loadtui.report.answered import never_answered
from loadtui.report.csv_report import CsvWriter
from loadtui.report.progress import Progress
from loadtui.report.text import summary_table
from loadtui.report.writers import write_json, write_junit, write_markdown

EXIT_OK, EXIT_THRESHOLD, EXIT_USAGE, EXIT_ABORTED = 0, 1, 2, 3


@dataclass
class Outputs:
    session: Path | None = None
    report_json: Path | None = None
    report_md: Path | None = None
    csv_prefix: str | None = None
    junit: Path | None = None
    quiet: bool = False
    redact: tuple[str, ...] = ()  # extra secret names kept out of the session log


@dataclass
class Outcome:
    code: int
    reason: str = ""
    report: dict[str, Any] = field(default_factory=dict)


def _unreachable_all_run(final: Snapshot) -> str | None:
    """A run in which something was sent and nothing answered: the one line that says so
    (unreachable, or never answered), whatever the thresholds."""
    return never_answered(final)


def run_headless(
    config: RunConfig,
    outputs: Outputs,
    info: dict[str, Any],
    *,
    err: TextIO | None = None,
    out: TextIO | None = None,
) -> Outcome:
    err = err or sys.stderr
    out = out or sys.stdout
    progress = Progress(err, outputs.quiet)
    host = EngineHost(config)
    run = LiveRun(
        config,
        host,
        session=outputs.session,
        csv_prefix=outputs.csv_prefix,
        redact=outputs.redact,
    )
    host.start()
    interrupted: list[str] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if interrupted:  # a second signal: cut in-flight requests short
            host.stop(grace=0.0, reason=f"{name} again: stopping now")
        else:
            host.stop(reason=f"{name}: stopping gracefully")
        interrupted.append(name)

    previous = _install_signals(on_signal)
    try:
        while not run.done:
            for snap in run.drain(timeout=0.2):
                progress.show(snap)
        host.join()
    finally:
        _restore_signals(previous)
        progress.done()
    if host.error is not None:
        raise host.error
    report = run.finish({**info, "saturation": host.engine.saturation_periods()})
    unwritten = _write_reports(report, outputs, run.csv)
    if not outputs.quiet:
        out.write(summary_table(report) + "\n")
    final = run.source.final or run.last
    assert final is not None
    # Exit 3 with one line: no verdict (nothing answered, or aborted), or reports missing.
    why = _unreachable_all_run(final) or (f"aborted by {interrupted[0]}" if interrupted else "")
    if unwritten:
        why = "; ".join(filter(None, (why, "could not write: " + "; ".join(unwritten))))
    if why:
        return Outcome(EXIT_ABORTED, why, report)
    if not report.get("passed", True):
        failed = [t["name"] for t in report.get("thresholds", []) if not t["ok"]]
        return Outcome(EXIT_THRESHOLD, "thresholds failed: " + "; ".join(failed), report)
    return Outcome(EXIT_OK, "", report)


def _write_reports(report: dict[str, Any], outputs: Outputs, csv: CsvWriter | None) -> list[str]:
    """Write each report asked for; one failing (disk full...) does not stop the others."""
    failed = []
    writers = (
        (outputs.report_json, write_json),
        (outputs.report_md, write_markdown),
        (outputs.junit, write_junit),
    )
    for path, write in writers:
        if path is not None:
            try:
                write(report, path)
            except OSError as exc:
                failed.append(f"{path} ({exc.strerror or exc})")
    if csv is not None:
        try:
            csv.close(report)
        except OSError as exc:
            failed.append(f"{outputs.csv_prefix}_*.csv ({exc.strerror or exc})")
    return failed


def _install_signals(handler: Callable[[int, FrameType | None], None]) -> dict[int, Any]:
    previous: dict[int, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):  # not the main thread: Ctrl-C is the caller's
            previous[sig] = signal.signal(sig, handler)
    return previous


def _restore_signals(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
