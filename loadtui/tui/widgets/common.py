"""Small pieces every pane shares: the waiting text, state words and symbols, compact
numbers, and a base pane that renders text built from the latest snapshot.

Meaning is never carried by colour alone: every state and warning has a symbol and a
word, so the panes read the same in 16 colours, in monochrome and over a slow SSH link.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from loadtui.metrics.snapshot import RunState, Snapshot
from loadtui.metrics.window import WINDOW_S

WAITING = "waiting for the first snapshot…"
WINDOW_LABEL = f"last {WINDOW_S:g} s"  # what the live figures (table, header) cover

STATES: dict[RunState, tuple[str, str, str]] = {
    # state: (symbol, word, style)
    "starting": ("◌", "STARTING", "bold"),
    "running": ("▶", "RUNNING", "bold green"),
    "paused": ("‖", "PAUSED", "bold reverse yellow"),
    "stopping": ("■", "STOPPING", "bold red"),
    "stopped": ("■", "STOPPED", "bold red"),
}

KIND_MARKS: dict[str, tuple[str, str]] = {
    # Event.kind: (symbol + word, style)
    "stage": ("▸ stage", "cyan"),
    "operator": ("● you", "bold"),
    "warning": ("⚠ warn", "bold yellow"),
    "breach": ("✗ BREACH", "bold red"),
    "info": ("· info", "dim"),
    "error": ("✗ error", "bold red"),
}


def waiting() -> Text:
    return Text(WAITING, style="dim italic")


def state_text(state: RunState) -> Text:
    symbol, word, style = STATES.get(state, ("?", state.upper(), "bold"))
    return Text(f"{symbol} {word}", style=style)


def short_count(n: int) -> str:
    """Counts that stay narrow: 999, 12,345, 1.23M, 45.6M."""
    if n < 1_000_000:
        return f"{n:,}"
    if n < 1_000_000_000:
        return f"{n / 1e6:.3g}M"
    return f"{n / 1e9:.3g}G"


def clock(seconds: float) -> str:
    """Run time of an event: 0:05, 12:34, 1:02:03 (fixed shape for a log column)."""
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def saturation(snap: Snapshot) -> str | None:
    """The generator-saturated warning, if standing."""
    return next((w for w in snap.warnings if "saturat" in w), None)


def warning_line(message: str) -> Text:
    return Text(f" ⚠ {message.upper()} ", style="bold reverse red")


class Pane(Static):
    """A bordered pane whose whole content is text rebuilt from each snapshot.

    Heights come from CSS, so `update(..., layout=False)` keeps a refresh to a repaint.
    """

    TITLE = ""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(waiting(), id=id, classes=classes)
        self.border_title = self.TITLE

    def put(self, text: Text) -> None:
        self.update(text, layout=False)
