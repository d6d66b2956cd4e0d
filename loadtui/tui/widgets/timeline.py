"""The replay's timeline: where the playhead is in the recording, where the events
happened, the selected window, and whether (and how fast) it plays.

Three lines: event markers placed by time (▸ stage, ● operator, ✗ breach or error,
⚠ warning; a cell holding several shows the most serious), the bar (━ played, ─ to
come, ◆ the playhead, [ ] the selected window shown reversed), and the state line.
Every meaning has a symbol, so it reads without colour. `timeline_text` is a pure
function of a `TimelineView` and a width, tested without an app.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual.widget import Widget

from loadtui.tui.widgets.common import clock

State = Literal["playing", "paused", "ended"]
# Event.kind → (marker, style, rank): the higher rank wins a shared cell.
MARKERS: dict[str, tuple[str, str, int]] = {
    "breach": ("✗", "bold red", 5),
    "error": ("✗", "bold red", 4),
    "operator": ("●", "bold", 3),
    "warning": ("⚠", "bold yellow", 2),
    "stage": ("▸", "cyan", 1),
}
STATES: dict[State, tuple[str, str]] = {
    "playing": ("▶ PLAYING", "bold green"),
    "paused": ("‖ PAUSED", "bold"),
    "ended": ("■ END", "bold"),
}


@dataclass(frozen=True)
class TimelineView:
    """Everything the timeline draws (times in seconds since the run started)."""

    start: float
    end: float
    position: float
    state: State = "paused"
    speed: float = 1.0
    marks: Sequence[tuple[float, str]] = ()  # (t, Event.kind)
    window_start: float | None = None
    window_end: float | None = None


def column(t: float, start: float, end: float, width: int) -> int:
    """The cell of time `t` on a bar `width` cells wide."""
    if width <= 1 or end <= start:
        return max(0, width - 1)
    return min(width - 1, max(0, round((t - start) / (end - start) * (width - 1))))


def markers_line(view: TimelineView, width: int) -> Text:
    cells: dict[int, tuple[str, str, int]] = {}
    for t, kind in view.marks:
        marker = MARKERS.get(kind)
        if marker is None:
            continue
        x = column(t, view.start, view.end, width)
        if x not in cells or cells[x][2] < marker[2]:
            cells[x] = marker
    line = Text(no_wrap=True)
    for x in range(width):
        char, style, _ = cells.get(x, (" ", "", 0))
        line.append(char, style=style)
    return line


def bar_line(view: TimelineView, width: int) -> Text:
    here = column(view.position, view.start, view.end, width)
    lo = hi = -1
    if view.window_start is not None:
        lo = column(view.window_start, view.start, view.end, width)
        end = view.window_end if view.window_end is not None else view.position
        hi = column(end, view.start, view.end, width)
        lo, hi = min(lo, hi), max(lo, hi)
    line = Text(no_wrap=True)
    for x in range(width):
        if x == here:
            char, style = "◆", "bold"
        elif x in (lo, hi):
            char, style = ("[" if x == lo else "]"), "bold"
        else:
            char, style = ("━", "bold") if x < here else ("─", "dim")
        if lo <= x <= hi and x != here:
            style = f"{style} reverse"
        line.append(char, style=style)
    return line


def window_text(view: TimelineView) -> str:
    if view.window_start is None:
        return "m: mark a window"
    if view.window_end is None:
        return f"window from {clock(view.window_start)} · M: mark its end"
    return f"window {clock(view.window_start)}–{clock(view.window_end)} · x: clear"


def status_line(view: TimelineView, width: int) -> Text:
    word, style = STATES[view.state]
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(word, style=style)
    line.append(f" {view.speed:g}×  ")
    line.append(f"{clock(view.position)} / {clock(view.end)}", style="bold")
    line.append(f"  {window_text(view)}", style="dim" if view.window_start is None else "")
    line.truncate(width, overflow="ellipsis")
    return line


def timeline_text(view: TimelineView, width: int) -> Text:
    """The three lines, `width` cells wide."""
    if width < 1:
        return Text()
    return Text("\n").join(
        [markers_line(view, width), bar_line(view, width), status_line(view, width)]
    )


class Timeline(Widget):
    """Draws the view it was last shown, at whatever width it has now."""

    DEFAULT_CSS = """
    Timeline { height: 3; padding: 0 1; background: $boost; }
    """

    view: reactive[TimelineView | None] = reactive(None)
    """What to draw; setting an equal view draws nothing again."""

    def show(self, view: TimelineView) -> None:
        self.view = view

    def render(self) -> RenderResult:
        if self.view is None:
            return Text("")
        return timeline_text(self.view, self.content_region.size.width)
