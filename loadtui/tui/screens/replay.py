"""`loadtui replay SESSION`: the live dashboard's panes on a recorded session, moved by
a playback clock instead of a run, with a timeline at the bottom.

It is the DashboardScreen (same widgets, same layout, same Snapshot type) with the live
controls swapped for replay keys: a recording cannot be steered. What the panes show
comes from `ReplayPlayer` (replay_player.py): the tick at the playhead, the charts'
history up to it, the events until then. The endpoints table and the header read the
10 s up to the playhead, as live. A window marked with `m` / `M` turns the table into
that window's figures, percentiles merged exactly from the stored histograms (in
slices: a long window decodes thousands of them).
Quitting stays the app's (`q`).

Ticks are rebuilt (and checked) as the playhead reaches them: one found malformed ends
the replay with its one line and exit 2 (`LoadtuiApp.fail`), never a traceback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from functools import partial, wraps
from typing import Any, ClassVar, TypeVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from loadtui.metrics.snapshot import Snapshot
from loadtui.report.breaches import BreachWatch
from loadtui.scenario.model import Profile, Threshold
from loadtui.session.reader import Session, SessionError
from loadtui.tui.replay_player import BREACH, ReplayPlayer
from loadtui.tui.screens.dashboard import TABS, VIEW_BINDINGS, DashboardScreen
from loadtui.tui.widgets.common import WINDOW_LABEL, clock
from loadtui.tui.widgets.endpoints import View
from loadtui.tui.widgets.recorded import ReplayEventsLog, ReplayHeader
from loadtui.tui.widgets.timeline import Timeline, TimelineView

FRAME_S = 0.1  # playhead refresh while playing
SLICE_S = 0.015  # window merging between two looks at the keyboard
SEEK = Binding.Group("seek")
SPEED = Binding.Group("speed")
EVENT = Binding.Group("event")
WINDOW = Binding.Group("window")

REPLAY_BINDINGS: list[BindingType] = [
    # Priority: the focused table (and the tab bar) would take the arrows and home/end.
    Binding("space", "play_pause", "play/pause", key_display="space", priority=True),
    Binding("left", "seek(-10)", "seek", key_display="←", group=SEEK, priority=True),
    Binding("right", "seek(10)", "seek", key_display="→", group=SEEK, priority=True),
    Binding("shift+left", "seek(-60)", "back 1 min", show=False, priority=True),
    Binding("shift+right", "seek(60)", "ahead 1 min", show=False, priority=True),
    Binding("home", "go_home", "start", show=False, priority=True),
    Binding("end", "go_end", "end", show=False, priority=True),
    Binding("left_square_bracket", "speed(-1)", "speed", key_display="[", group=SPEED),
    Binding("right_square_bracket", "speed(1)", "speed", key_display="]", group=SPEED),
    Binding("n", "jump(1)", "event", key_display="n", group=EVENT),
    Binding("N", "jump(-1)", "event", key_display="N", group=EVENT),
    Binding("b", "jump(1, 'breach')", "next breach", show=False),
    Binding("B", "jump(-1, 'breach')", "previous breach", show=False),
    Binding("m", "mark_start", "window", key_display="m", group=WINDOW),
    Binding("M", "mark_end", "window", key_display="M", group=WINDOW),
    Binding("x", "clear_window", "clear window", show=False),
]


Handler = TypeVar("Handler", bound=Callable[..., None])


def _reads_ticks(method: Handler) -> Handler:
    """A handler that moves the playhead or paints: a malformed tick met on the way
    ends the replay with its one line (see ReplayScreen.unreadable)."""

    @wraps(method)
    def guarded(self: ReplayScreen, *args: Any, **kwargs: Any) -> None:
        try:
            method(self, *args, **kwargs)
        except SessionError as exc:
            self.unreadable(exc)

    return cast(Handler, guarded)


class _NoControl:
    """A recording cannot be steered: the live controls are not bound here at all."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        def refuse(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError(f"replay: {name} is not available on a recorded session")

        return refuse


def recorded_names(session: Session) -> tuple[str, str]:
    """(scenario name, target URL) from the session header, tolerant of gaps."""
    header = session.header
    scenario = header.get("scenario") or {}
    target = header.get("target") or {}
    name = scenario.get("name") if isinstance(scenario, dict) else None
    url = target.get("url") if isinstance(target, dict) else None
    return str(name or session.path.stem), str(url or "?")


def recorded_profile(session: Session) -> Profile:
    try:
        return session.profile()
    except (SessionError, TypeError, ValueError, AttributeError):  # a partial header
        return Profile("recorded")


def recorded_thresholds(session: Session) -> list[Threshold]:
    try:
        return session.thresholds()
    except (SessionError, TypeError, ValueError, AttributeError):
        return []


class ReplayScreen(DashboardScreen, inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = [
        *Screen.BINDINGS,
        *REPLAY_BINDINGS,
        *VIEW_BINDINGS,
    ]
    # Set in __init__ over the dashboard's own: a recorded run's header, log and watch.
    header: ReplayHeader
    events: ReplayEventsLog
    breach_watch: BreachWatch

    def __init__(
        self,
        session: Session,
        *,
        player: ReplayPlayer | None = None,
        frame_s: float = FRAME_S,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        self.session = session
        self.player = player if player is not None else ReplayPlayer(session)
        scenario, target = recorded_names(session)
        super().__init__(
            scenario=scenario,
            target=target,
            profile=recorded_profile(session),
            control=_NoControl(),
            name=name,
            id=id,
        )
        self.history = self.player.history
        self.header = ReplayHeader(scenario, target, self.profile, id="header")
        self.events = ReplayEventsLog(id="events", classes="pane box in-events")
        self.timeline = Timeline(id="timeline")
        self.thresholds = recorded_thresholds(session)
        self.breach_watch = BreachWatch(self.thresholds)
        self.latest = self.player.visible()
        self.window_snapshot: Snapshot | None = None  # figures of the marked window
        self._window_watch: BreachWatch | None = None
        self._marks = tuple((m.t, m.event.kind) for m in self.player.marks)
        self._frame_s = frame_s
        self._timer: Timer | None = None
        self._watched = -1  # the tick the breach watch last saw
        self._events_shown = -1
        self._damaged = False  # a damaged histogram near the playhead was reported
        self._unreadable = False  # a malformed tick ended the replay

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, Footer):
                yield self.timeline
            yield widget

    def on_mount(self) -> None:
        # DashboardScreen.on_mount runs next (Textual calls each class's handler): it paints.
        self._timer = self.set_interval(self._frame_s, self._frame, pause=True)

    def show(self, snap: Snapshot, watch: BreachWatch | None = None) -> None:
        """Not fed from outside: the player says what to show."""
        raise RuntimeError("ReplayScreen shows its session; it takes no live snapshots")

    def unreadable(self, exc: SessionError) -> None:
        """End the replay on a malformed tick: the app exits 2 and its command prints
        the one line (a host app without `fail` prints it on exit)."""
        from loadtui.tui.app import LoadtuiApp

        if self._unreadable:
            return
        self._unreadable = True
        if self._timer is not None:
            self._timer.pause()
        if isinstance(self.app, LoadtuiApp):
            self.app.fail(str(exc), 2)
        else:
            self.app.exit(return_code=2, message=Text(f"loadtui: {exc}"))

    # ---- painting ----------------------------------------------------------------------

    @_reads_ticks
    def _paint(self) -> None:
        p = self.player
        snap = self.latest = p.visible()
        if p.index != self._watched:
            self._watched = p.index
            self.breach_watch.check(snap)
        window = self._slide()
        self.header.show_at(window, self._where())
        self.vitals.show(snap)
        self._paint_table(window)
        self.status.show(snap)
        self.system.show(snap, self.history)
        self.pool.show(snap)
        self.charts.show(self.history)
        count = p.event_count()
        if count != self._events_shown:
            self._events_shown = count
            self.events.reset(p.events_so_far(limit=self.events.events.maxlen))
        self._paint_timeline()

    def _paint_timeline(self) -> None:
        p = self.player
        view = TimelineView(
            start=min(0.0, p.start_t),
            end=p.end_t,
            position=p.time,
            state=p.state,
            speed=p.speed,
            marks=self._marks,
            window_start=p.window_start,
            window_end=p.window_end,
        )
        self.timeline.show(view)

    def _where(self) -> Text:
        p = self.player
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(" REPLAY ", style="bold reverse")
        line.append(f"  {self.session.path.name}  ")
        line.append(f"{clock(p.time)} / {clock(p.end_t)}", style="bold")
        if self.session.summary is None:
            line.append("  run cut short: replays up to its last tick", style="bold yellow")
        return line

    def _slide(self) -> Snapshot:
        """The 10 s up to the playhead; the tick alone where a recorded histogram in
        them is damaged (said once)."""
        p = self.player
        try:
            self.window.slide_to(p.ticks, p.times, p.index)
        except ValueError as exc:
            if not self._damaged:
                self._damaged = True
                self.notify(f"figures of one tick only here: {exc}", severity="error", timeout=6)
            return p.visible()
        view = self.window.view()
        assert view is not None  # slide_to added the playhead's tick
        return view

    @_reads_ticks
    def _paint_table(self, window: Snapshot | None = None) -> None:
        pane, marked = self.endpoints, self.player.window
        selected = self.window_snapshot
        if marked is None:
            pane.set_window_label(WINDOW_LABEL)
        else:
            label = f"window {clock(marked[0])}–{clock(marked[1])}"
            pane.set_window_label(label if selected is not None else f"{label} (computing…)")
        if marked is not None and pane.view == "window" and selected is not None:
            pane.show(selected, self._window_watch)
        else:
            pane.show(window if window is not None else self._slide(), self.breach_watch)

    @_reads_ticks
    def _frame(self) -> None:
        """While playing: move the playhead; repaint what changed."""
        p = self.player
        if p.update():
            self._paint()
        else:
            self._paint_timeline()
        if not p.playing and self._timer is not None:
            self._timer.pause()
            self._paint_timeline()

    # ---- keys --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_window":
            return self.player.window_start is not None
        return True

    @_reads_ticks
    def action_play_pause(self) -> None:
        p = self.player
        p.toggle()
        if self._timer is not None:
            if p.playing:
                self._timer.resume()
            else:
                self._timer.pause()
        self._paint()

    @_reads_ticks
    def action_seek(self, seconds: float) -> None:
        self.player.seek(seconds)
        self._paint()

    @_reads_ticks
    def action_go_home(self) -> None:
        self.player.home()
        self._paint()

    @_reads_ticks
    def action_go_end(self) -> None:
        self.player.end()
        self._paint()

    def action_speed(self, steps: int) -> None:
        p = self.player
        p.faster() if steps > 0 else p.slower()
        self._paint_timeline()

    @_reads_ticks
    def action_jump(self, direction: int, kind: str = "") -> None:
        p = self.player
        find = p.next_event if direction > 0 else p.previous_event
        mark = find(kind or None)
        what = "breach" if kind == BREACH else "event"
        if mark is None:
            self.notify(f"no {'later' if direction > 0 else 'earlier'} {what}", timeout=2)
        else:
            self.notify(f"{clock(mark.t)} {mark.event.message}", timeout=3)
        self._paint()

    @_reads_ticks
    def action_mark_start(self) -> None:
        t0 = self.player.mark_start()
        self.window_snapshot = None
        self.refresh_bindings()
        self.notify(f"window from {clock(t0)}: move, then M marks its end", timeout=3)
        self._paint()

    @_reads_ticks
    def action_mark_end(self) -> None:
        p = self.player
        if p.window_start is None:
            self.notify("mark the window's start first (m)", timeout=3)
            return
        window = p.mark_end()
        if window is None:
            self.notify("empty window: move the playhead away from its start", timeout=3)
            return
        self.window_snapshot = None
        if self.endpoints.view != "window":
            self.endpoints.set_view("window")
        self._compute_window(*window)
        self._paint()

    @_reads_ticks
    def action_clear_window(self) -> None:
        self.player.clear_window()
        self.window_snapshot = None
        self.refresh_bindings()
        self._paint()

    @_reads_ticks
    def action_toggle_view(self) -> None:
        view: View = "run" if self.endpoints.view == "window" else "window"
        self.endpoints.set_view(view)
        self._paint_table()
        words = "whole run up to the playhead" if view == "run" else self.endpoints.view_label
        self.notify(f"endpoints: {words}", timeout=2)

    def _compute_window(self, t0: float, t1: float) -> None:
        self.run_worker(
            self._merge_window(t0, t1), group="replay-window", exclusive=True, exit_on_error=False
        )

    async def _merge_window(self, t0: float, t1: float) -> None:
        """Merge the window's histograms in slices of SLICE_S on the UI loop (~0.13 ms
        per histogram: an hour of ticks takes seconds), so keys keep working meanwhile;
        marking another window cancels this one."""
        steps = self.player.window_merge(t0, t1)
        try:
            while True:
                until = time.perf_counter() + SLICE_S
                while time.perf_counter() < until:
                    next(steps)
                await asyncio.sleep(0)
        except StopIteration as done:
            self._window_ready((t0, t1), done.value)
        except SessionError as exc:  # a malformed tick inside the window
            self.unreadable(exc)
        except ValueError as exc:  # a damaged histogram in the log
            if self.player.window == (t0, t1):
                self.player.clear_window()
            self.notify(f"cannot merge the window: {exc}", severity="error", timeout=6)
            self._paint()

    def _window_ready(self, window: tuple[float, float], snap: Snapshot) -> None:
        if self.player.window != window:
            return  # marked again meanwhile
        watch = BreachWatch(self.thresholds)
        watch.check(snap)
        self.window_snapshot, self._window_watch = snap, watch
        self._paint_table()

    # ---- palette -----------------------------------------------------------------------

    def palette_commands(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        commands = [
            ("play_pause", "Replay: play / pause", "space"),
            ("speed(1)", "Replay: faster", "] (1× 2× 5× 10× 30× 60×)"),
            ("speed(-1)", "Replay: slower", "["),
            ("seek(-10)", "Replay: back 10 s", "←"),
            ("seek(10)", "Replay: ahead 10 s", "→"),
            ("seek(-60)", "Replay: back 1 min", "shift+←"),
            ("seek(60)", "Replay: ahead 1 min", "shift+→"),
            ("go_home", "Replay: go to the start", "home"),
            ("go_end", "Replay: go to the end", "end"),
            ("jump(1)", "Replay: next event", "n"),
            ("jump(-1)", "Replay: previous event", "N"),
            ("jump(1, 'breach')", "Replay: next breach", "b"),
            ("jump(-1, 'breach')", "Replay: previous breach", "B"),
            ("mark_start", "Window: mark its start here", "m"),
            ("mark_end", "Window: mark its end here (exact percentiles)", "M"),
            ("clear_window", "Window: clear", "x"),
            ("toggle_view", "Endpoints: window / whole run", "t"),
            *((f"tab('{k}')", f"Show tab: {v}", "") for k, v in TABS),
        ]
        for action, label, help_text in commands:
            if self.check_action(action.partition("(")[0], ()):
                yield label, help_text, partial(self.run_action, action)
