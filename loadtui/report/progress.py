"""Headless progress on stderr: a live line on a terminal, plain lines otherwise.

On a terminal the line is redrawn every tick with the figures of the last 10 s (the
console's window). Elsewhere (a CI log, a pipe) a line every `every` seconds gives the
figures since the previous line, merged exactly from the ticks in between: a tick is
0.25-0.5 s, far too short to read (2 requests, p90 = p99 = max, or "0.00 req/s" in a
quiet moment of a busy run). Events (stages, warnings, breaches) get a line each.
"""

from __future__ import annotations

from typing import TextIO

from loadtui.metrics.snapshot import Snapshot
from loadtui.metrics.window import WINDOW_S, SlidingWindow, Stretch
from loadtui.report import fmt
from loadtui.report.text import progress_line

CLEAR_LINE = "\r\x1b[2K"


class Progress:
    """Feed it every snapshot of the run, in order; `done` once the run is over."""

    def __init__(
        self, stream: TextIO, quiet: bool, every: float = 5.0, window_s: float = WINDOW_S
    ) -> None:
        self.stream = stream
        self.quiet = quiet
        self.tty = stream.isatty()
        self.every = every
        # Only the total row is read: endpoints are not merged.
        self.figures: Stretch = (
            SlidingWindow(window_s, endpoints=False) if self.tty else Stretch(endpoints=False)
        )
        self._last = 0.0

    def show(self, snap: Snapshot) -> None:
        if self.quiet:
            return
        for ev in snap.events:
            self._line(f"[{fmt.duration(ev.t)}] {ev.kind}: {ev.message}")
        self.figures.add(snap)
        view = self.figures.view()
        assert view is not None  # a tick was just added
        if self.tty:
            self.stream.write(CLEAR_LINE + progress_line(view))
            self.stream.flush()
        elif snap.t - self._last >= self.every:
            self._last = snap.t
            self.stream.write(progress_line(view) + "\n")
            self.stream.flush()
            self.figures.clear()  # the next line starts from here

    def _line(self, text: str) -> None:
        self.stream.write((CLEAR_LINE if self.tty else "") + text + "\n")

    def done(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()
