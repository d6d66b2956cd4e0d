"""The run's timeline as it happens: stage changes, operator actions, warnings and
threshold breaches, newest at the bottom, bounded so a long soak cannot grow it.

Kept as a list of events (not pre-rendered lines) so a resize re-wraps everything;
events are rare, so rebuilding the text when some arrive costs nothing per tick.
"""

from __future__ import annotations

from collections import deque
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
        self.events: deque[Event] = deque(maxlen=maxlen)
        self._body = Static(waiting())
        self._dirty = False

    def compose(self) -> ComposeResult:
        yield self._body

    def add(self, events: Iterable[Event]) -> None:
        """Record events (works before mount); `render_events` shows them."""
        for event in events:
            self.events.append(event)
            self._dirty = True

    def render_events(self) -> None:
        """Show new events; skipped while hidden (a size of 0 would lay it out wrongly)."""
        if not self._dirty or not self.display or not self.size.width:
            return
        self._dirty = False
        self._body.update(Text("\n").join(event_line(e) for e in self.events))
        if not self.is_anchored and len(self.events) > self.size.height:
            # Once it overflows, stay at the newest line until the operator scrolls up.
            # (Anchored earlier, Textual would bottom-align a short log.)
            self.anchor()
