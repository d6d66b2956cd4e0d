"""Every pane of a run in one widget, shared by the live dashboard and the replay: each
screen composes `Panes` under its own header, feeds it a `Frame` per tick or playhead
move through `show`, and steers only what to look at (`tab`, the table's `view`).

Layout by width (panes.tcss, with the screen's `-narrow` / `-wide` breakpoint class):
from 120 columns all panes show in a grid; below, a tab bar (keys 1-5) shows one group
at a time, the first ("Overview") being the vitals strip plus the endpoints table, so
80x24 shows live percentiles, RSS, status codes and pool gauges at once. The panes are
mounted once; CSS only shows or hides them (by that class and this widget's `tab-*`).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.reactive import var
from textual.widgets import Tab, Tabs

from loadtui.metrics.snapshot import Event, Snapshot
from loadtui.report.breaches import BreachWatch
from loadtui.tui.history import History
from loadtui.tui.widgets.charts import ChartsPane
from loadtui.tui.widgets.common import WINDOW_LABEL
from loadtui.tui.widgets.endpoints import EndpointsPane
from loadtui.tui.widgets.events import EventsLog
from loadtui.tui.widgets.pool import PoolPane
from loadtui.tui.widgets.status import StatusPane
from loadtui.tui.widgets.system import SystemPane
from loadtui.tui.widgets.vitals import VitalsStrip

TABS: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("charts", "Charts"),
    ("status", "Status"),
    ("system", "System"),
    ("events", "Events"),
)


@dataclass(frozen=True)
class Frame:
    """What the panes show at one moment of a run, live or recorded."""

    tick: Snapshot  # the tick itself: vitals, status codes, system, pool
    table: Snapshot  # the endpoints table's figures; its interval ones cover window_label
    history: History  # the charts, and the system pane's RSS growth
    events: tuple[Event, ...]  # the events log, oldest first
    watch: BreachWatch | None = None  # breached thresholds, marked in the table
    window_label: str = WINDOW_LABEL


class Panes(Vertical):
    """The tab bar and the panes; `show` feeds them all."""

    tab: var[str] = var("overview", init=False)
    """The group of panes shown below 120 columns (a key of TABS)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="tab-overview")
        # `.pane`: shown or hidden as a whole by tab; `.box`: drawn with a border.
        self.vitals = VitalsStrip(id="vitals", classes="pane in-overview")
        self.endpoints = EndpointsPane(id="endpoints", classes="pane box in-overview")
        self.status = StatusPane(id="status", classes="pane box in-status")
        self.charts = ChartsPane(id="charts", classes="pane in-charts")
        self.system = SystemPane(id="system", classes="box")
        self.pool = PoolPane(id="pool", classes="box")
        self.events = EventsLog(id="events", classes="pane box in-events")

    def compose(self) -> ComposeResult:
        yield Tabs(
            *(Tab(f"{i} {label}", id=f"tab-{key}") for i, (key, label) in enumerate(TABS, 1)),
            id="tabs",
        )
        with Container(id="panes"):
            yield self.vitals
            yield self.endpoints
            yield self.status
            yield self.charts
            with Container(id="health", classes="pane in-system"):
                yield self.system
                yield self.pool
            yield self.events

    def show(self, frame: Frame) -> None:
        """Update every pane in place (2-10 times a second)."""
        self.vitals.show(frame.tick)
        self.endpoints.show(frame.table, frame.watch, frame.window_label)
        self.status.show(frame.tick)
        self.system.show(frame.tick, frame.history)
        self.pool.show(frame.tick)
        self.charts.show(frame.history)
        self.events.show(frame.events)

    def watch_tab(self, key: str) -> None:
        for other, _ in TABS:
            self.set_class(other == key, f"tab-{other}")
        self.query_one(Tabs).active = f"tab-{key}"

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        self.tab = (event.tab.id or "tab-overview").removeprefix("tab-")
