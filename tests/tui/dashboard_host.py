"""A tiny app hosting DashboardScreen the way the real app does (push, then feed
snapshots through `show`), for Pilot tests, snapshot tests and a look in tmux:

    python tests/tui/dashboard_host.py [--open] [--saturated]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from textual.app import App

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for `support`

from support.control import RecordingControl
from support.snapshots import run_of, snapshot

from loadtui.metrics.snapshot import Event, Snapshot
from loadtui.report.breaches import BreachWatch
from loadtui.scenario.model import Profile, Stage, Threshold
from loadtui.tui.screens.dashboard import DashboardScreen

CLOSED = Profile("ramp", "closed", (Stage(30, users=10), Stage(60, users=20), Stage(30, users=5)))
OPEN = Profile("arrivals", "open", (Stage(60, rate=100.0), Stage(60, rate=200.0)))
THRESHOLDS = (
    Threshold("p95", "<", 50.0, endpoint="login", text="< 50ms"),
    Threshold("error_rate", "<", 0.001, text="< 0.1%"),
)


class DashboardHost(App[None]):
    def __init__(
        self,
        *,
        profile: Profile = CLOSED,
        snapshots: Sequence[Snapshot] = (),
        watch: BreachWatch | None = None,
        control: RecordingControl | None = None,
        users_step: int = 5,
    ) -> None:
        super().__init__()
        self.control = control or RecordingControl()
        self.dashboard = DashboardScreen(
            scenario="demo",
            target="http://127.0.0.1:8089",
            profile=profile,
            control=self.control,
            users_step=users_step,
        )
        self.snapshots = list(snapshots)
        self.watch = watch

    def on_mount(self) -> None:
        self.push_screen(self.dashboard)
        for snap in self.snapshots:
            self.feed(snap)

    def feed(self, snap: Snapshot) -> None:
        events = self.watch.check(snap) if self.watch else []
        if events:
            snap = replace(snap, events=(*snap.events, *events))
        self.dashboard.show(snap, self.watch)


def story(count: int = 40, **kwargs: object) -> list[Snapshot]:
    """A short fixed run: a wave of load, a stage change, an operator action, a warning."""
    snaps = run_of(count, **kwargs)
    notes = {
        1: Event(0.5, "info", "run started: profile ramp against http://127.0.0.1:8089"),
        2: Event(1.0, "stage", "stage 1/3: 10 users for 30s"),
        20: Event(10.0, "operator", "set users to 25 at 5/s", {"users": 25}),
        30: Event(15.0, "stage", "stage 2/3: 20 users for 60s"),
    }
    out = []
    for snap in snaps:
        if snap.seq in notes:
            snap = replace(snap, events=(notes[snap.seq],))
        out.append(snap)
    return out


if __name__ == "__main__":
    opened = "--open" in sys.argv
    snaps = story(model="open", rate=150.0, users=0, users_target=0) if opened else story()
    load = {"model": "open", "rate": 150.0, "users": 0, "users_target": 0} if opened else {}
    warnings = ("generator saturated",) if "--saturated" in sys.argv else ()
    last = snapshot(41, warnings=warnings, **load)  # type: ignore[arg-type]
    DashboardHost(
        profile=OPEN if opened else CLOSED,
        snapshots=[*snaps, last],
        watch=BreachWatch(THRESHOLDS),
    ).run()
