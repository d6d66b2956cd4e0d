"""The replay's keys and palette entries: play, seek, speed, event jumps and a marked
window. A recording cannot be steered, so none of the live controls is bound; quitting
stays the app's (`q`)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

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

# (action, palette name, help): the screen offers those its check_action allows now.
REPLAY_COMMANDS: tuple[tuple[str, str, str], ...] = (
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
)
