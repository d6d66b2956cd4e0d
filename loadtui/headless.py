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
from loadtui.report.csv_report import CsvWriter
from loadtui.report.text import progress_line, summary_table
from loadtui.report.writers import write_json, write_junit, write_markdown

EXIT_OK, EXIT_THRESHOLD, EXIT_USAGE, EXIT_ABORTED = 0, 1, 2, 3
CONNECT_KINDS = frozenset({"refused", "dns", "connect_timeout", "tls", "unreachable"})


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
    """A run that never got one response and failed only on connecting: say why."""
    total = final.total
    if sum(total.status_codes.values()) or not total.errors:
        return None
    if set(total.errors) <= CONNECT_KINDS:
        kinds = ", ".join(f"{k} x{n}" for k, n in total.errors.items())
        return f"target unreachable for the whole run ({kinds})"
    return None


class Progress:
    """A live line on a terminal; a plain line every `every` seconds otherwise."""

    def __init__(self, stream: TextIO, quiet: bool, every: float = 5.0) -> None:
        self.stream = stream
        self.quiet = quiet
        self.tty = stream.isatty()
        self.every = every
        self._last = 0.0

    def show(self, snap: Snapshot) -> None:
        if self.quiet:
            return
        for ev in snap.events:
            self._line(f"[{ev.t:7.1f}s] {ev.kind}: {ev.message}")
        if self.tty:
            self.stream.write("\r\x1b[2K" + progress_line(snap))
            self.stream.flush()
        elif snap.t - self._last >= self.every:
            self._last = snap.t
            self.stream.write(progress_line(snap) + "\n")
            self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write(("\r\x1b[2K" if self.tty else "") + text + "\n")

    def done(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()


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
    if unwritten:
        return Outcome(EXIT_USAGE, "could not write: " + "; ".join(unwritten), report)
    reason = _unreachable_all_run(final)
    if reason:
        return Outcome(EXIT_ABORTED, reason, report)
    if interrupted:
        return Outcome(EXIT_ABORTED, f"aborted by {interrupted[0]}", report)
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
