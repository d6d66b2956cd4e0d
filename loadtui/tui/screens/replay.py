"""`loadtui replay SESSION`: the live dashboard's panes on a recorded session, moved by
a playback clock instead of a run, with a timeline at the bottom.

It composes the same `Panes` as the live dashboard (same widgets, same layout, same
Snapshot type) under the run header with a REPLAY line on top, and binds replay keys
(replay_keys.py) instead of the live controls: a recording cannot be steered. What the
panes show comes from `ReplayPlayer` (replay_player.py): the tick at the playhead, the
charts' history up to it, the events until then. The endpoints table and the header
read the 10 s up to the playhead, as live. A window marked with `m` / `M` turns the
table into that window's figures, percentiles merged exactly from the stored
histograms (in slices: a long window decodes thousands of them).

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
from textual.binding import BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from loadtui.metrics.snapshot import Event, Snapshot
from loadtui.metrics.window import WINDOW_S, SlidingWindow
from loadtui.report.breaches import BreachWatch
from loadtui.session.reader import Session, SessionError
from loadtui.tui.recorded import recorded_names, recorded_profile, recorded_thresholds
from loadtui.tui.replay_player import BREACH, ReplayPlayer
from loadtui.tui.screens.panes_host import VIEW_BINDINGS, PaletteCommand, PanesHost
from loadtui.tui.screens.replay_keys import REPLAY_BINDINGS, REPLAY_COMMANDS
from loadtui.tui.widgets.common import WINDOW_LABEL, clock
from loadtui.tui.widgets.events import MAX_EVENTS
from loadtui.tui.widgets.header import RunHeader
from loadtui.tui.widgets.panes import Frame, Panes
from loadtui.tui.widgets.timeline import Timeline, TimelineView

FRAME_S = 0.1  # playhead refresh while playing
SLICE_S = 0.015  # window merging between two looks at the keyboard

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


class ReplayScreen(PanesHost, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [*REPLAY_BINDINGS, *VIEW_BINDINGS]

    def __init__(
        self,
        session: Session,
        *,
        player: ReplayPlayer | None = None,
        frame_s: float = FRAME_S,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes="-narrow")
        self.session = session
        self.player = player if player is not None else ReplayPlayer(session)
        scenario, target = recorded_names(session)
        self.header = RunHeader(scenario, target, recorded_profile(session), id="header")
        self.panes = Panes(id="view")
        self.timeline = Timeline(id="timeline")
        self.thresholds = recorded_thresholds(session)
        self.breach_watch = BreachWatch(self.thresholds)
        self.window = SlidingWindow(WINDOW_S)  # the 10 s up to the playhead
        self.window_snapshot: Snapshot | None = None  # figures of the marked window
        self._window_watch = BreachWatch(self.thresholds)  # breaches in those figures
        self._marks = tuple((m.t, m.event.kind) for m in self.player.marks)
        self._frame_s = frame_s
        self._timer: Timer | None = None
        self._watched = -1  # the tick the breach watch last saw
        self._events: tuple[Event, ...] = ()  # the events up to the playhead
        self._events_count = -1
        self._damaged = False  # a damaged histogram near the playhead was reported
        self._unreadable = False  # a malformed tick ended the replay

    def compose(self) -> ComposeResult:
        yield self.header
        yield self.panes
        yield self.timeline
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._timer = self.set_interval(self._frame_s, self._frame, pause=True)
        self._paint()

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
        snap = p.visible()
        if p.index != self._watched:
            self._watched = p.index
            self.breach_watch.check(snap)
        window = self._slide()
        self.header.show(window, self._where())
        count = p.event_count()
        if count != self._events_count:
            self._events_count = count
            self._events = tuple(p.events_so_far(limit=MAX_EVENTS))
        table, watch, label = self._table(window)
        self.panes.show(Frame(snap, table, p.history, self._events, watch, label))
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

    def _table(self, window: Snapshot) -> tuple[Snapshot, BreachWatch, str]:
        """What the endpoints table reads, with its watch and what its window covers: a
        marked window's figures once merged (in the window view), else the 10 s up to
        the playhead."""
        marked, selected = self.player.window, self.window_snapshot
        if marked is None:
            return window, self.breach_watch, WINDOW_LABEL
        label = f"window {clock(marked[0])}–{clock(marked[1])}"
        if selected is None:
            return window, self.breach_watch, f"{label} (computing…)"
        if self.panes.endpoints.view == "window":
            return selected, self._window_watch, label
        return window, self.breach_watch, label

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
        self.panes.endpoints.view = "window"
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
        endpoints = self.panes.endpoints
        endpoints.view = "run" if endpoints.view == "window" else "window"
        self._paint()
        words = "whole run up to the playhead" if endpoints.view == "run" else None
        self.notify(f"endpoints: {words or endpoints.view_label}", timeout=2)

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
        self._paint()

    # ---- palette -----------------------------------------------------------------------

    def palette_commands(self) -> Iterator[PaletteCommand]:
        for action, label, help_text in REPLAY_COMMANDS:
            if self.check_action(action.partition("(")[0], ()):
                yield label, help_text, partial(self.run_action, action)
        yield from self.tab_commands()
