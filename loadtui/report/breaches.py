"""Thresholds watched while a run goes on: a breach becomes an event the moment it
happens (and another when the figure is back within its limit), so the console's
events pane and the session log show *when* a limit broke, not just that it did."""

from __future__ import annotations

from collections.abc import Sequence

from loadtui.metrics.snapshot import Event, Snapshot
from loadtui.report.facts import RunFacts
from loadtui.report.fmt import observed as fmt_observed
from loadtui.report.thresholds import ThresholdResult, evaluate
from loadtui.scenario.model import Threshold


class BreachWatch:
    def __init__(self, thresholds: Sequence[Threshold]) -> None:
        self.thresholds = tuple(thresholds)
        self.results: list[ThresholdResult] = []
        self._breached: set[str] = set()

    def check(self, snap: Snapshot, facts: RunFacts | None = None) -> list[Event]:
        """Evaluate on this snapshot; events for thresholds that changed side.

        A threshold with no data yet is neither breached nor recovered (evaluate()
        fails it closed, which is right at the end of a run but noise during one): so
        target and generator_saturated thresholds stay silent until `facts` are given.
        """
        if not self.thresholds:
            return []
        self.results = evaluate(self.thresholds, snap, facts)
        events = []
        for r in self.results:
            if r.observed is None:
                continue
            value = fmt_observed(r.threshold.metric, r.observed)
            if not r.ok and r.name not in self._breached:
                self._breached.add(r.name)
                events.append(
                    Event(
                        snap.t,
                        "breach",
                        f"threshold breached: {r.name} ({value})",
                        {"threshold": r.name, "observed": r.observed},
                    )
                )
            elif r.ok and r.name in self._breached:
                self._breached.discard(r.name)
                events.append(
                    Event(
                        snap.t,
                        "info",
                        f"threshold within limit again: {r.name} ({value})",
                        {"threshold": r.name, "observed": r.observed},
                    )
                )
        return events

    def breached(self, endpoint: str | None = None) -> list[ThresholdResult]:
        """Currently breached run-scope thresholds of one endpoint (None: the whole
        run's); WebSocket and target thresholds belong to no endpoint row."""
        return [
            r
            for r in self.results
            if r.name in self._breached
            and r.threshold.scope == "run"
            and r.threshold.endpoint == endpoint
        ]
