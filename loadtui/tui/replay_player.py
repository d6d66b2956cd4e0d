"""The replay's playback clock: where in a recorded session we are, how fast we move,
and what the dashboard should show there. No Textual: tested on its own.

The playhead is a time (seconds since the run started, between the first and the last
tick); what is shown is the last tick at or before it. Playing moves the playhead by
`speed` × the time elapsed on an injected clock, so tests drive it without sleeping.
The charts' History always reflects the ticks up to the playhead: moving forward feeds
it the ticks in between; seeking back (or far ahead) rebuilds it from the ticks of its
window only (at most a few hundred), so a seek costs the same in a 12-hour session as
in a 1-minute one.
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Literal

from loadtui.metrics.snapshot import Event, Snapshot
from loadtui.session.reader import Session, SessionError
from loadtui.tui.history import History
from loadtui.tui.replay_window import run_to_end, window_merge

SPEEDS: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
PlayState = Literal["playing", "paused", "ended"]
Start = Literal["start", "end"]
BREACH = "breach"


@dataclass(frozen=True)
class Mark:
    """One recorded event, with the tick that carries it (where a jump lands)."""

    t: float
    index: int
    event: Event


class ReplayPlayer:
    """Position, play/pause, speed, seeks, event jumps and a window selection."""

    def __init__(
        self,
        session: Session,
        *,
        clock: Callable[[], float] = time.monotonic,
        start: Start = "end",
        history: History | None = None,
    ) -> None:
        if not session.ticks:
            raise SessionError(f"{session.path}: no tick was recorded; nothing to replay")
        self.session = session
        self.ticks: Sequence[Snapshot] = session.ticks
        # Tick times come with the session (no tick is rebuilt to learn them).
        self.times: list[float] = list(session.times) or [s.t for s in self.ticks]
        self.clock = clock
        self.history = history if history is not None else History()
        self.marks: tuple[Mark, ...] = _marks(session)
        self._mark_indices = [m.index for m in self.marks]
        self.speed = SPEEDS[0]
        self.playing = False
        self._t = self.times[-1] if start == "end" else self.times[0]
        self._index = self.index_at(self._t)
        self._anchor = (0.0, self._t)  # (clock, playhead) when play or speed last changed
        self._fed = -1  # the last tick index folded into the history
        self.window_start: float | None = None
        self.window_end: float | None = None
        self._sync_history()

    # ---- where we are ------------------------------------------------------------------

    @property
    def start_t(self) -> float:
        return self.times[0]

    @property
    def end_t(self) -> float:
        return self.times[-1]

    @property
    def time(self) -> float:
        """The playhead (seconds since the run started)."""
        return self._t

    @property
    def index(self) -> int:
        """The tick shown: the last one at or before the playhead."""
        return self._index

    @property
    def state(self) -> PlayState:
        if self.playing:
            return "playing"
        return "ended" if self._index == len(self.ticks) - 1 else "paused"

    def index_at(self, t: float) -> int:
        """The last tick at or before `t` (the first tick before it starts)."""
        return max(0, bisect_right(self.times, t) - 1)

    def visible(self) -> Snapshot:
        """The snapshot the dashboard shows at the playhead."""
        return self.ticks[self._index]

    def event_count(self) -> int:
        """How many events the ticks up to the one shown carry."""
        return bisect_right(self._mark_indices, self._index)

    def events_so_far(self, limit: int | None = None) -> list[Event]:
        """The events carried by the ticks up to the one shown (the last `limit`), in order."""
        k = self.event_count()
        first = 0 if limit is None else max(0, k - limit)
        return [m.event for m in self.marks[first:k]]

    # ---- moving ------------------------------------------------------------------------

    def seek_to(self, t: float) -> bool:
        """Move the playhead (clamped to the recording); True when the tick shown changed."""
        self._t = min(max(t, self.start_t), self.end_t)
        self._anchor = (self.clock(), self._t)
        return self._moved()

    def seek(self, delta_s: float) -> bool:
        return self.seek_to(self._t + delta_s)

    def go_to(self, index: int) -> bool:
        """Put the playhead on a tick."""
        index = min(max(index, 0), len(self.ticks) - 1)
        return self.seek_to(self.times[index])

    def home(self) -> bool:
        return self.go_to(0)

    def end(self) -> bool:
        self.playing = False
        return self.go_to(len(self.ticks) - 1)

    def play(self) -> None:
        """Start moving; from the end, start again from the beginning."""
        if self._index == len(self.ticks) - 1:
            self.home()
        self.playing = True
        self._anchor = (self.clock(), self._t)

    def pause(self) -> None:
        self.update()
        self.playing = False

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def set_speed(self, speed: float) -> None:
        self.update()  # time played so far counts at the old speed
        self.speed = speed
        self._anchor = (self.clock(), self._t)

    def faster(self) -> float:
        self.set_speed(next((s for s in SPEEDS if s > self.speed), SPEEDS[-1]))
        return self.speed

    def slower(self) -> float:
        self.set_speed(next((s for s in reversed(SPEEDS) if s < self.speed), SPEEDS[0]))
        return self.speed

    def update(self) -> bool:
        """Advance by the clock while playing (call every frame); True when the tick
        shown changed. Reaching the end stops."""
        if not self.playing:
            return False
        since, at = self._anchor
        t = at + (self.clock() - since) * self.speed
        if t >= self.end_t:
            t = self.end_t
            self.playing = False
        self._t = t
        return self._moved()

    def _moved(self) -> bool:
        index = self.index_at(self._t)
        if index == self._index:
            return False
        self._index = index
        self._sync_history()
        return True

    # ---- events ------------------------------------------------------------------------

    def next_event(self, kind: str | None = None) -> Mark | None:
        """Jump to the next tick carrying an event (of `kind`, if given)."""
        k = bisect_right(self._mark_indices, self._index)
        mark = next((m for m in self.marks[k:] if kind is None or m.event.kind == kind), None)
        if mark is not None:
            self.go_to(mark.index)
        return mark

    def previous_event(self, kind: str | None = None) -> Mark | None:
        """Jump to the previous tick carrying an event (of `kind`, if given)."""
        k = bisect_left(self._mark_indices, self._index)
        mark = next(
            (m for m in reversed(self.marks[:k]) if kind is None or m.event.kind == kind), None
        )
        if mark is not None:
            self.go_to(mark.index)
        return mark

    # ---- the history for the charts ----------------------------------------------------

    def _sync_history(self) -> None:
        index, history = self._index, self.history
        first = bisect_left(self.times, self.times[index] - history.window_s)
        if self._fed < 0 or index < self._fed or first > self._fed:
            history.clear()  # backwards, or so far ahead that nothing charted stays
        else:
            first = self._fed + 1
        for i in range(first, index + 1):
            history.add(self.ticks[i])
        self._fed = index

    # ---- a window of the recording -----------------------------------------------------

    def _mark_time(self) -> float:
        """The time a window mark takes here: the tick shown's end, or 0 at the first
        tick (so `home`, `m` selects from the very start, first interval included)."""
        tick = self.visible()
        return 0.0 if self._index == 0 else tick.t

    def mark_start(self) -> float:
        self.window_start, self.window_end = self._mark_time(), None
        return self.window_start

    def mark_end(self) -> tuple[float, float] | None:
        """Close the window here (ends swapped if marked backwards); None when no start
        was marked or the window would be empty."""
        if self.window_start is None:
            return None
        t0, t1 = sorted((self.window_start, self._mark_time()))
        if t1 <= t0:
            return None
        self.window_start, self.window_end = t0, t1
        return t0, t1

    def clear_window(self) -> None:
        self.window_start = self.window_end = None

    @property
    def window(self) -> tuple[float, float] | None:
        if self.window_start is None or self.window_end is None:
            return None
        return self.window_start, self.window_end

    def window_merge(self, t0: float, t1: float) -> Generator[None, None, Snapshot]:
        """The window's figures (replay_window.py), computed a tick per step: run it in
        slices so a long window does not freeze the console."""
        return window_merge(self.ticks, self.times, t0, t1)

    def window_snapshot(self, t0: float, t1: float) -> Snapshot:
        """The snapshot at `t1` with every endpoint's figures (and the total's) over
        t0 < t <= t1 only, percentiles merged exactly from the stored histograms."""
        return run_to_end(self.window_merge(t0, t1))


def _marks(session: Session) -> tuple[Mark, ...]:
    """Events by the tick that carries them; any recorded after the last tick (a run
    cut short) belong to the last one."""
    last = len(session.ticks) - 1
    if len(session.event_ticks) == len(session.events):
        return tuple(
            Mark(e.t, min(i, last), e)
            for e, i in zip(session.events, session.event_ticks, strict=True)
        )
    marks: list[Mark] = []  # a Session built by hand, without event_ticks
    for i, tick in enumerate(session.ticks):
        marks.extend(Mark(e.t, i, e) for e in tick.events)
    marks.extend(Mark(e.t, last, e) for e in session.events[len(marks) :])
    return tuple(marks)
