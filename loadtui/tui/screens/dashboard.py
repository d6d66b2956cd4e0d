"""The live dashboard: every pane of a run, fed one snapshot at a time by the app.

Layout by width (HORIZONTAL_BREAKPOINTS): from 120 columns all panes show in a grid;
below, a tab bar (keys 1-5) shows one group at a time, the first ("Overview") being
the vitals strip plus the endpoints table, so 80x24 shows live percentiles, RSS,
status codes and pool gauges at once. The panes are mounted once; CSS only shows or
hides them (by the screen's breakpoint class and its `tab-*` class).

The endpoints table and the header's req/s and errors read the last 10 s, merged
exactly from the ticks' histograms (`SlidingWindow`, metrics/window.py): one tick is
0.25 s, too few requests to read. `t` switches the table to the whole run.

The controls (keys, palette, the Control calls) are in `controls.py`; this module is
layout and feeding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Tab, Tabs

from loadtui.metrics.snapshot import Snapshot
from loadtui.metrics.window import WINDOW_S, SlidingWindow
from loadtui.report.breaches import BreachWatch
from loadtui.scenario.model import Profile
from loadtui.tui.control import Control
from loadtui.tui.history import History
from loadtui.tui.screens.controls import CONTROL_BINDINGS, ControlActions, DashboardCommands
from loadtui.tui.widgets.charts import ChartsPane
from loadtui.tui.widgets.common import WINDOW_LABEL
from loadtui.tui.widgets.endpoints import EndpointsPane, View
from loadtui.tui.widgets.events import EventsLog
from loadtui.tui.widgets.header import RunHeader
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


# Shared with the replay screen: what to look at, as opposed to what to do to the run.
VIEW_BINDINGS: tuple[BindingType, ...] = (
    Binding("t", "toggle_view", "view"),
    *(
        Binding(str(i), f"tab('{key}')", label, show=False)
        for i, (key, label) in enumerate(TABS, 1)
    ),
)


class DashboardScreen(ControlActions, Screen[None]):
    CSS_PATH = "../dashboard.tcss"
    # Textual types it `ClassVar[list[...]] | None`, which mypy takes for an instance
    # variable; ruff (RUF012) wants the ClassVar that mypy then rejects.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [  # type: ignore[misc]
        (0, "-narrow"),
        (120, "-wide"),
    ]
    AUTO_FOCUS = "#endpoints-table"
    COMMANDS: ClassVar[set[Any]] = {DashboardCommands}
    BINDINGS: ClassVar[list[BindingType]] = [*CONTROL_BINDINGS, *VIEW_BINDINGS]

    def __init__(
        self,
        *,
        scenario: str,
        target: str,
        profile: Profile,
        control: Control,
        users_step: int = 5,
        streams_step: int = 10,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes="-narrow tab-overview")
        self.scenario = scenario
        self.target = target
        self.profile = profile
        self.control = control
        self.users_step = max(1, users_step)
        self.streams_step = max(1, streams_step)
        self.history = History()
        self.window = SlidingWindow(WINDOW_S)
        self.latest: Snapshot | None = None
        self.breach_watch: BreachWatch | None = None
        self.tab = "overview"
        self._ready = False
        self._state_key: tuple[str, bool] | None = None
        self._pending_users: tuple[int, int] | None = None  # (value, seq when asked)
        self._pending_rate: tuple[float, int] | None = None
        self._pending_streams: tuple[int, int] | None = None
        self.header = RunHeader(scenario, target, profile, id="header")
        # `.pane`: shown or hidden as a whole by tab; `.box`: drawn with a border.
        self.vitals = VitalsStrip(id="vitals", classes="pane in-overview")
        self.endpoints = EndpointsPane(
            window_label=WINDOW_LABEL, id="endpoints", classes="pane box in-overview"
        )
        self.status = StatusPane(id="status", classes="pane box in-status")
        self.charts = ChartsPane(id="charts", classes="pane in-charts")
        self.system = SystemPane(id="system", classes="box")
        self.pool = PoolPane(id="pool", classes="box")
        self.events = EventsLog(id="events", classes="pane box in-events")

    def compose(self) -> ComposeResult:
        yield self.header
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
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._ready = True
        if self.latest is not None:
            self._paint()

    # ---- feeding ----------------------------------------------------------------------

    def show(self, snap: Snapshot, watch: BreachWatch | None = None) -> None:
        """Render one snapshot (2-10 times a second): panes update in place."""
        self.latest = snap
        self.breach_watch = watch
        self.history.add(snap)
        self.window.add(snap)
        self.events.add(snap.events)
        self._settle_pending(snap)
        state_key = (snap.load.state, snap.load.following_profile)
        if state_key != self._state_key:
            self._state_key = state_key
            if self._ready:
                self.refresh_bindings()
        if self._ready:
            self._paint()

    def _paint(self) -> None:
        snap, window = self.latest, self.window.view()
        assert snap is not None and window is not None
        self.header.show(window)
        self.vitals.show(snap)
        self.endpoints.show(window, self.breach_watch)
        self.status.show(snap)
        self.system.show(snap, self.history)
        self.pool.show(snap)
        self.charts.show(self.history)
        self.events.render_events()

    def palette_commands(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        yield from super().palette_commands()
        view = ("toggle_view", f"Endpoints: {WINDOW_LABEL} / whole run", "switch its figures")
        for action, name, help_text in [
            view,
            *((f"tab('{k}')", f"Show tab: {v}", "") for k, v in TABS),
        ]:
            yield name, help_text, partial(self.run_action, action)

    # ---- layout ------------------------------------------------------------------------

    def action_toggle_view(self) -> None:
        view: View = "run" if self.endpoints.view == "window" else "window"
        self.endpoints.set_view(view)
        window = self.window.view()
        if window is not None:
            self.endpoints.show(window, self.breach_watch)
        self.notify(f"endpoints: {self.endpoints.view_label}", timeout=2)

    def action_tab(self, key: str) -> None:
        self.query_one("#tabs", Tabs).active = f"tab-{key}"

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        key = (event.tab.id or "tab-overview").removeprefix("tab-")
        self.tab = key
        for other, _ in TABS:
            self.set_class(other == key, f"tab-{other}")
        self.call_after_refresh(self.events.render_events)  # it skips while hidden

    def on_resize(self) -> None:
        self.call_after_refresh(self.events.render_events)
