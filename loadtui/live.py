"""A run in progress as its consumers see it, for the headless CLI and the console alike.

Drains the engine's snapshots (from a thread host or a child process), adds threshold
breach events to them, appends each to the session log and CSV history as it comes,
and at the end turns the final snapshot into the report. Nothing here renders.
"""

from __future__ import annotations

import queue
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from loadtui.engine.runner import RunConfig
from loadtui.metrics.snapshot import Snapshot
from loadtui.metrics.target import process_tree
from loadtui.metrics.target_process import TargetWatch
from loadtui.report.breaches import BreachWatch
from loadtui.report.build import build_report
from loadtui.report.csv_report import CsvWriter
from loadtui.report.facts import RunFacts
from loadtui.report.thresholds import evaluate
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
    ) -> None:
        self.config = config
        self.source = source
        self.session_path = session
        # The target's processes as the run starts (the engine walks the tree again at
        # every tick: this list only names them in the header and the report).
        pids = process_tree(config.target_pids) if config.target_pids else ()
        self.target = TargetWatch(pids)
        self._saturated = False  # seen saturated so far (the report uses the periods)
        self.session = (
            SessionWriter(
                session,
                config.scenario,
                config.target,
                config.profile,
                # Names hidden as headers, query parameters and user variables alike.
                redact_headers=redact,
                redact_query=redact,
                redact_variables=redact,
                target_pids=pids,
            )
            if session
            else None
        )
        self.csv = CsvWriter(csv_prefix) if csv_prefix else None
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
        # The engine's standing warning (engine/saturation.py) while it is saturated.
        self._saturated = self._saturated or SATURATED in snap.warnings
        facts = RunFacts(target_process=self.target.summary(), saturated=self._saturated)
        breaches = self.watch.check(snap, facts)
        if breaches:
            snap = replace(snap, events=(*snap.events, *breaches))
        if self.session:
            self.session.on_snapshot(snap)
        if self.csv:
            self.csv.on_snapshot(snap)
        self.last = snap
        return snap

    @property
    def done(self) -> bool:
        return not self.source.alive() and self.source.snapshots.empty()

    def finish(self, info: dict[str, Any]) -> dict[str, Any]:
        """The report of the run (call once `done`); closes the session log."""
        self.drain()
        final = self.source.final or self.last
        if final is None:
            raise RuntimeError("the run ended before its first snapshot")
        facts = RunFacts(
            target_process=self.target.summary(), saturated=bool(info.get("saturation"))
        )
        results = evaluate(self.config.scenario.thresholds, final, facts=facts)
        report = build_report(final, results, info=info, target_process=facts.target_process)
        if self.session:
            self.session.close({"report": report})
        return report
