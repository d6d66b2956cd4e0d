"""The live dashboard: the run header, the panes (widgets/panes.py) and the live
controls, fed one snapshot at a time by the app through `show`.

The endpoints table and the header's req/s and errors read the last 10 s, merged
exactly from the ticks' histograms (`SlidingWindow`, metrics/window.py): one tick is
0.25 s, too few requests to read. `t` switches the table to the whole run.

The controls (keys, palette, the Control calls) are in `controls.py`, the layout and
the tab keys shared with the replay in `panes_host.py`; this module is composing and
feeding.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from functools import partial
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import Footer

from loadtui.metrics.snapshot import Event, Snapshot
from loadtui.metrics.window import WINDOW_S, SlidingWindow
from loadtui.report.breaches import BreachWatch
from loadtui.scenario.model import Profile
from loadtui.tui.control import Control
from loadtui.tui.history import History
from loadtui.tui.screens.controls import CONTROL_BINDINGS, ControlActions
from loadtui.tui.screens.panes_host import VIEW_BINDINGS, PaletteCommand, PanesHost
from loadtui.tui.widgets.common import WINDOW_LABEL
from loadtui.tui.widgets.events import MAX_EVENTS
from loadtui.tui.widgets.header import RunHeader
from loadtui.tui.widgets.panes import Frame, Panes


class DashboardScreen(PanesHost, ControlActions, Screen[None]):
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
        super().__init__(name=name, id=id, classes="-narrow")
        self.profile = profile
        self.control = control
        self.users_step = max(1, users_step)
        self.streams_step = max(1, streams_step)
        self.history = History()
        self.window = SlidingWindow(WINDOW_S)
        self.latest: Snapshot | None = None
        self.breach_watch: BreachWatch | None = None
        self._events: deque[Event] = deque(maxlen=MAX_EVENTS)
        self._ready = False
        self._state_key: tuple[str, bool] | None = None
        self._pending_users: tuple[int, int] | None = None  # (value, seq when asked)
        self._pending_rate: tuple[float, int] | None = None
        self._pending_streams: tuple[int, int] | None = None
        self.header = RunHeader(scenario, target, profile, id="header")
        self.panes = Panes(id="view")

    def compose(self) -> ComposeResult:
        yield self.header
        yield self.panes
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
        self._events.extend(snap.events)
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
        self.panes.show(Frame(snap, window, self.history, tuple(self._events), self.breach_watch))

    # ---- what to look at ---------------------------------------------------------------

    def action_toggle_view(self) -> None:
        endpoints = self.panes.endpoints
        endpoints.view = "run" if endpoints.view == "window" else "window"
        self.notify(f"endpoints: {endpoints.view_label}", timeout=2)

    def palette_commands(self) -> Iterator[PaletteCommand]:
        yield from super().palette_commands()
        view = f"Endpoints: {WINDOW_LABEL} / whole run"
        yield view, "switch its figures", partial(self.run_action, "toggle_view")
        yield from self.tab_commands()
