"""A run in progress as its consumers see it, for the headless CLI and the console alike.

Drains the engine's snapshots (from a thread host or a child process), adds threshold
breach events to them, appends each to the session log and CSV history as it comes,
and at the end turns the final snapshot into the report. Nothing here renders.

An output that cannot be written (disk full, I/O error, read-only, a folder in the way)
never stops the run: it is one line ("cannot write PATH: reason; the run goes on
without it"), handed to `on_lost` as it happens and kept in `lost`, and every other
output is still written. The caller turns `lost` into its exit code (3, incomplete).
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from loadtui.engine.commands import END_RUN
from loadtui.engine.config import RunConfig
from loadtui.metrics.snapshot import Snapshot
from loadtui.metrics.target import process_tree
from loadtui.metrics.target_process import TargetWatch
from loadtui.report.breaches import BreachWatch
from loadtui.report.build import build_report
from loadtui.report.csv_report import CsvWriter
from loadtui.report.facts import RunFacts
from loadtui.report.schema import Report
from loadtui.report.thresholds import evaluate
from loadtui.report.writers import cannot_write
from loadtui.session.writer import SessionWriter

SATURATED = "generator saturated"


class Source(Protocol):
    """An engine host or process: snapshots in a queue, a final one when done."""

    snapshots: queue.Queue[Snapshot]
    final: Snapshot | None

    def alive(self) -> bool: ...


class LiveRun:
    def __init__(
        self,
        config: RunConfig,
        source: Source,
        *,
        session: Path | None = None,
        csv_prefix: str | None = None,
        redact: tuple[str, ...] = (),
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.source = source
        self.session_path = session
        self.lost: list[str] = []  # one line per output that could not be written
        self._on_lost = on_lost
        self._ended = False  # past the run: a failing output no longer "goes on without"
        self._session_lost = False
        # The target's processes as the run starts (the engine walks the tree again at
        # every tick: this list only names them in the header and the report).
        pids = process_tree(config.target_pids) if config.target_pids else ()
        self.target = TargetWatch(pids)
        self._saturated = False  # seen saturated so far (the report uses the periods)
        # Why the engine ended the run before its time (a unique data table ran out):
        # the report's `ended_early`.
        self.ended_early: str | None = None
        self.session: SessionWriter | None = None
        if session:
            try:
                self.session = SessionWriter(
                    session,
                    config.scenario,
                    config.target,
                    config.profile,
                    # Names hidden as headers, query parameters and user variables alike.
                    redact_headers=redact,
                    redact_query=redact,
                    redact_variables=redact,
                    target_pids=pids,
                    workers=config.workers,
                )
            except OSError as exc:
                self._session_failed(session, exc)
        self.csv = CsvWriter(csv_prefix, on_error=self._lose) if csv_prefix else None
        self.watch = BreachWatch(config.scenario.thresholds)
        self.last: Snapshot | None = None

    def drain(self, timeout: float = 0.0) -> list[Snapshot]:
        """Every snapshot that arrived (waiting up to `timeout` for the first), recorded."""
        out: list[Snapshot] = []
        try:
            snap = (
                self.source.snapshots.get(timeout=timeout)
                if timeout
                else (self.source.snapshots.get_nowait())
            )
            while True:
                out.append(self._record(snap))
                snap = self.source.snapshots.get_nowait()
        except queue.Empty:
            pass
        return out

    def _record(self, snap: Snapshot) -> Snapshot:
        self.target.add(snap)
        asked = (e.data[END_RUN] for e in snap.events if END_RUN in e.data)
        self.ended_early = self.ended_early or next(asked, None)
        # The engine's standing warning (engine/saturation.py) while it is saturated.
        self._saturated = self._saturated or SATURATED in snap.warnings
        facts = RunFacts(target_process=self.target.summary(), saturated=self._saturated)
        breaches = self.watch.check(snap, facts)
        if breaches:
            snap = replace(snap, events=(*snap.events, *breaches))
        if self.session:
            try:
                self.session.on_snapshot(snap)
            except OSError as exc:
                self._session_failed(self.session.path, exc)
        if self.csv:
            self.csv.on_snapshot(snap)
        self.last = snap
        return snap

    @property
    def done(self) -> bool:
        return not self.source.alive() and self.source.snapshots.empty()

    def finish(self, info: dict[str, Any]) -> Report:
        """The report of the run (call once `done`); closes the session log."""
        self.drain()
        final = self.source.final or self.last
        if final is None:
            raise RuntimeError("the run ended before its first snapshot")
        facts = RunFacts(
            target_process=self.target.summary(), saturated=bool(info.get("saturation"))
        )
        results = evaluate(self.config.scenario.thresholds, final, facts=facts)
        if self.ended_early:
            info = {**info, "ended_early": self.ended_early}
        report = build_report(final, results, info=info, target_process=facts.target_process)
        self._ended = True
        if self.session:
            try:
                self.session.close({"report": report})
            except OSError as exc:
                self._session_failed(self.session.path, exc)
        return report

    @property
    def saved_session(self) -> Path | None:
        """The session log's path, if it was written (None when none was asked for, or
        it could not be)."""
        return None if self._session_lost else self.session_path

    def _session_failed(self, path: Path, exc: OSError) -> None:
        self.session = None  # the writer has let go of its file
        self._session_lost = True
        self._lose(path, exc)

    def _lose(self, path: object, exc: OSError) -> None:
        line = cannot_write(path, exc)
        if not self._ended:
            line += "; the run goes on without it"
        self.lost.append(line)
        if self._on_lost is not None:
            self._on_lost(line)
