"""Widgets of a recorded run: the header under a REPLAY line, and an events log that is
replaced whole as the playhead moves (the live one only ever appends)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from loadtui.metrics.snapshot import Event, Snapshot
from loadtui.tui.widgets.events import EventsLog
from loadtui.tui.widgets.header import RunHeader, header_text


class ReplayHeader(RunHeader):
    """The recorded run's header under a REPLAY line (file, playhead / length)."""

    def show_at(self, snap: Snapshot, where: Text) -> None:
        text = Text("\n").join([where, header_text(self.scenario, self.target, self.profile, snap)])
        lines = len(text.plain.splitlines())
        self.update(text, layout=lines != self._lines)
        self._lines = lines


class ReplayEventsLog(EventsLog):
    """The events up to the playhead: replaced whole when the playhead moves past one."""

    def reset(self, events: Iterable[Event]) -> None:
        self.events.clear()
        self.add(events)
        self._dirty = True
        self.render_events()

    def on_show(self) -> None:
        """Shown by a tab switch: draw what was set while hidden, once laid out."""
        self.call_after_refresh(self.render_events)

    def on_resize(self) -> None:
        self.render_events()
