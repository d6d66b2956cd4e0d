"""`loadtui run` and `rerun`: drive one engine run without the console and turn it into
reports.

The engine runs on its own thread; this thread reads snapshots, prints progress on
stderr, feeds the session log and CSV history, and on the way out writes every report
asked for, even after Ctrl-C, SIGTERM or SIGHUP, and even when user code blocked the
engine past the run's end (the watchdog's reports are from the last snapshot). Exit
codes follow docs/contracts.md, "Exit codes".
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from loadtui import stop_signals
from loadtui.engine.commands import Stop
from loadtui.engine.config import RunConfig
from loadtui.engine.host import EngineHost
from loadtui.engine.pycalls import describe
from loadtui.live import LiveRun
from loadtui.metrics.snapshot import Snapshot
from loadtui.report.answered import never_answered
from loadtui.report.outputs import Outputs as ReportFiles
from loadtui.report.outputs import write_reports
from loadtui.report.progress import CLEAR_LINE, Progress
from loadtui.report.schema import Report
from loadtui.report.text import summary_table
from loadtui.session.reader import Session, SessionError, read_session

EXIT_OK, EXIT_THRESHOLD, EXIT_USAGE, EXIT_ABORTED = 0, 1, 2, 3


@dataclass
class Outputs:
    session: Path | None = None
    reports: ReportFiles = field(default_factory=ReportFiles)
    quiet: bool = False
    redact: tuple[str, ...] = ()  # extra secret names kept out of the session log
    kept: bool = True  # False: `session` is a scratch file for the HTML report only


@dataclass
class Outcome:
    code: int
    reason: str = ""
    report: Report | None = None
    lost: list[str] = field(default_factory=list)  # outputs not written, a line each


def _unreachable_all_run(final: Snapshot) -> str | None:
    """A run in which something was sent and nothing answered: the one line that says so
    (unreachable, or never answered), whatever the thresholds."""
    return never_answered(final)


def run_headless(
    config: RunConfig,
    outputs: Outputs,
    *,
    err: TextIO | None = None,
    out: TextIO | None = None,
) -> Outcome:
    """The run, its reports and its exit code. SIGINT, SIGTERM and SIGHUP stop it
    gracefully from the first line on (a second one cuts in-flight requests off); the
    handlers stay until every report is written."""
    err = err or sys.stderr
    stops = _Stops(err if not outputs.quiet else None, config.grace_s)
    previous = stop_signals.install(stops.on_signal)
    stops.names[:0] = stop_signals.take_deferred()  # one that came during start-up
    scratch = _scratch_session(outputs)
    if scratch is not None:
        outputs = replace(outputs, session=scratch, kept=False)
    try:
        return _run(config, outputs, stops, err, out or sys.stdout)
    finally:
        stop_signals.restore(previous)
        if scratch is not None:
            scratch.unlink(missing_ok=True)


def _scratch_session(outputs: Outputs) -> Path | None:
    """The HTML report is drawn from a session log: without --session, one in a
    temporary file, removed once the reports are written."""
    if outputs.session is not None or outputs.reports.html is None:
        return None
    fd, name = tempfile.mkstemp(prefix="loadtui-html-", suffix=".json.gz")
    os.close(fd)
    return Path(name)


def _recorded(run: LiveRun, outputs: Outputs) -> Session | None:
    """The run's session log read back, for the HTML report (None when it was not asked
    for, or the log could not be written: write_reports then says so)."""
    path = run.saved_session
    if outputs.reports.html is None or path is None:
        return None
    try:
        recorded = read_session(path)
    except SessionError:
        return None
    return recorded if outputs.kept else replace(recorded, path=Path("(not kept)"))


def _run(
    config: RunConfig,
    outputs: Outputs,
    stops: _Stops,
    err: TextIO,
    out: TextIO,
) -> Outcome:
    progress = Progress(err, outputs.quiet)
    host = EngineHost(config)
    run = LiveRun(
        config,
        host,
        session=outputs.session,
        csv_prefix=None if outputs.reports.csv_prefix is None else str(outputs.reports.csv_prefix),
        redact=outputs.redact,
        on_lost=_say_lost(err),
    )
    host.start()
    stops.attach(host)  # a signal that came during start-up stops the run at once
    try:
        while not run.done:
            for snap in run.drain(timeout=0.2):
                _quietly(progress, progress.show, snap)
        if host.stuck is None:
            host.join()
    finally:
        _quietly(progress, progress.done)
    why = _engine_trouble(host, run.last)
    try:
        info = {
            "scenario": config.scenario.name,
            "target": config.target.url,
            "profile": config.profile.name,
            "saturation": host.saturation,
        }
        report = run.finish(info)
    except RuntimeError as exc:  # not one snapshot: nothing to report from
        return Outcome(EXIT_ABORTED, "; ".join(filter(None, (why, f"no report: {exc}"))))
    recorded = _recorded(run, outputs)
    reports = write_reports(
        report, outputs.reports, session=recorded, history=run.csv, on_lost=_say_lost(err)
    )
    unwritten = [*run.lost, *reports]
    if not outputs.quiet:
        with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
            out.write(summary_table(report) + "\n")
    final = run.source.final or run.last
    assert final is not None
    # Exit 3 with one line: no verdict (the engine failed or overran, nothing answered,
    # or aborted), or reports missing.
    why = why or _unreachable_all_run(final) or (f"aborted by {stops.first}" if stops.first else "")
    if why:
        return Outcome(EXIT_ABORTED, why, report, unwritten)
    if not report["passed"]:
        failed = [t["name"] for t in report["thresholds"] if not t["ok"]]
        reasons = [report["unserved"]] if report["unserved"] else []
        if failed:
            reasons.append("thresholds failed: " + "; ".join(failed))
        return Outcome(EXIT_THRESHOLD, "; ".join(reasons), report, unwritten)
    if unwritten:  # each one already said on stderr, with its file and reason
        n = len(unwritten)
        return Outcome(
            EXIT_ABORTED, f"incomplete: {n} output{'s' * (n > 1)} not written", report, unwritten
        )
    return Outcome(EXIT_OK, "", report)


class _Stops:
    """Stop signals, counted from before the engine exists: the first stops the run
    gracefully, the second cuts in-flight requests off."""

    def __init__(self, err: TextIO | None, grace_s: float) -> None:
        self.names: list[str] = []
        self._host: EngineHost | None = None
        self._err = err  # where the operator is told what the signal does (None: -q)
        self._grace_s = grace_s

    @property
    def first(self) -> str:
        return self.names[0] if self.names else ""

    def on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.names.append(signal.Signals(signum).name)
        if self._host is not None:
            self._forward(self._host, len(self.names))

    def attach(self, host: EngineHost) -> None:
        self._host = host
        if self.names:
            self._forward(host, len(self.names))

    def _forward(self, host: EngineHost, count: int) -> None:
        name = self.names[-1]
        if count == 1:
            host.send(Stop(None, f"{name}: stopping gracefully"))
            self._say(
                f"{name}: stopping; in-flight requests get {self._grace_s:g} s "
                "(a second signal cuts them off)"
            )
        else:
            host.send(Stop(0.0, f"{name} again: stopping now"))
            self._say(f"{name} again: cutting in-flight requests off")

    def _say(self, line: str) -> None:
        if self._err is not None:
            with contextlib.suppress(OSError, ValueError):
                clear = CLEAR_LINE if self._err.isatty() else ""  # over the live line
                self._err.write(f"{clear}loadtui: {line}\n")
                self._err.flush()


def _engine_trouble(host: EngineHost, last: Snapshot | None) -> str:
    """Why the engine gave no final snapshot (it failed, or the watchdog gave up on it),
    and what the reports are made of then; empty when it ended as it should."""
    if host.stuck is not None:
        why = f"run overran its end: {host.stuck}"
    elif host.error is not None:
        why = f"engine failed: {describe(host.error)}"
    else:
        return ""
    if last is not None:
        why += f"; reports are from the last snapshot ({last.t:.1f} s into the run)"
    return why


def _quietly(progress: Progress, show: Callable[..., None], *args: Any) -> None:
    """Progress on a terminal that went away (SIGHUP) must not end the run: stop
    printing and carry on to the reports."""
    try:
        show(*args)
    except OSError:
        progress.quiet = True


def _say_lost(err: TextIO) -> Callable[[str], None]:
    """Each output that cannot be written, said on stderr at once (over a live line)."""

    def say(line: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # the terminal may be gone (SIGHUP)
            err.write(f"{CLEAR_LINE if err.isatty() else ''}loadtui: {line}\n")
            err.flush()

    return say
