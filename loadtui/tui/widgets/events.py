"""The run's timeline as it happens: stage changes, operator actions, warnings and
threshold breaches, newest at the bottom, bounded so a long soak cannot grow it.

Fed the events to list (live: every event so far; replay: those up to the playhead),
kept as events rather than pre-rendered lines so a resize re-wraps everything; events
are rare, so rebuilding the text when they change costs nothing per tick.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from loadtui.metrics.snapshot import Event
from loadtui.tui.widgets.common import KIND_MARKS, clock, waiting

MAX_EVENTS = 500


def event_line(event: Event) -> Text:
    mark, style = KIND_MARKS.get(event.kind, (f"· {event.kind}", ""))
    line = Text(f"{clock(event.t):>7} ", style="dim")
    line.append(f"{mark:<8} ", style=style)
    line.append(event.message, style="bold" if event.kind in ("breach", "error") else "")
    return line


class EventsLog(VerticalScroll):
    """Follows the newest event (anchored) unless the operator scrolled up to read."""

    DEFAULT_CSS = """
    EventsLog > Static { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(
        self, *, maxlen: int = MAX_EVENTS, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Events"
        self.maxlen = maxlen
        self.events: tuple[Event, ...] = ()  # what the log lists, oldest first
        self._body = Static(waiting())
        self._drawn: tuple[Event, ...] = ()  # what the body shows

    def compose(self) -> ComposeResult:
        yield self._body

    def show(self, events: Iterable[Event]) -> None:
        """List these events, oldest first (the last `maxlen` of them)."""
        self.events = tuple(events)[-self.maxlen :]
        self._draw()

    def on_show(self) -> None:
        """Shown by a tab switch: draw what came while hidden, once laid out."""
        self.call_after_refresh(self._draw)

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        """Draw what changed; skipped while hidden (a size of 0 would lay it out wrongly)."""
        if self.events == self._drawn or not self.display or not self.size.width:
            return
        self._drawn = self.events
        self._body.update(Text("\n").join(event_line(e) for e in self.events))
        if not self.is_anchored and len(self.events) > self.size.height:
            # Once it overflows, stay at the newest line until the operator scrolls up.
            # (Anchored earlier, Textual would bottom-align a short log.)
            self.anchor()
