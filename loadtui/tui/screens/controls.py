"""The dashboard's controls: key bindings, palette commands and the actions behind them.

Each action ends in one `Control` call (and a short notification); the engine echoes
it as an operator event in a later snapshot. `+`/`-` step users (closed model) or the
arrival rate (open model: ×1.1 and ÷1.1, at least +1/s up); `shift+up`/`>` and
`shift+down`/`<` step ten times the users step, or ×2 / ÷2 the rate (at least +10/s
up). `w`/`W` open/close stream-only WebSocket sessions by the streams step, `S` asks
for an exact count; they show in the footer once the run has streams (or its profile
asks for some) and work from the keyboard and the palette always. The base is the
latest snapshot's wanted users / rate / streams, or the value just asked for until a
snapshot shows it (at most PENDING_SNAPSHOTS later), so quick repeated presses add
up; nothing goes below 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.binding import Binding, BindingType

from loadtui.engine.commands import (
    FollowProfile,
    NextStage,
    Pause,
    Resume,
    SetRate,
    SetStreams,
    SetUsers,
    Stop,
)
from loadtui.metrics.snapshot import Snapshot
from loadtui.report import fmt
from loadtui.scenario.model import Profile
from loadtui.tui.control import Control
from loadtui.tui.screens.prompt import MAX_USERS, ValuePrompt, parse_rate, parse_users

if TYPE_CHECKING:
    from textual.screen import Screen

    _Base = Screen[None]
else:
    _Base = object

USERS = Binding.Group("users ")
RATE = Binding.Group("rate ")
STREAMS = Binding.Group("streams ")
STOP_GRACE_S = 5.0
PENDING_SNAPSHOTS = 3
LOAD_ACTIONS = frozenset(
    {"users", "rate", "streams", "set_users", "set_rate", "set_streams"}
    | {"pause", "resume", "next_stage", "follow", "stop"}
)


def step_rate(rate: float, steps: int) -> float:
    """One press on the arrival rate: ±1 → ×/÷ 1.1, ±2 → ×/÷ 2 (up: at least +1 / +10)."""
    factor, floor = (1.1, 1.0) if abs(steps) == 1 else (2.0, 10.0)
    new = max(rate * factor, rate + floor) if steps > 0 else rate / factor
    return round(new, 2) if new >= 0.01 else 0.0


def parse_streams(text: str) -> tuple[int, float | None]:
    """`100` → 100 sessions; `100@20` → opened at 20 sessions/s (the users syntax)."""
    raw = text.strip().replace(" ", "")
    count, at, _rate = raw.partition("@")
    if not raw:
        raise ValueError("type a number of stream sessions, e.g. 100 or 100@20")
    if not count.isdigit():
        raise ValueError(f"streams must be a whole number, e.g. 100 or 100@20, not {count!r}")
    if int(count) > MAX_USERS:
        raise ValueError(f"at most {MAX_USERS:,} stream sessions")
    if at and not _rate:
        raise ValueError("type an opening rate after @, e.g. 100@20")
    try:
        return parse_users(raw)
    except ValueError as exc:  # only the rate part can be wrong here
        text = str(exc).replace("spawn rate", "opening rate").replace("users/s", "sessions/s")
        raise ValueError(text) from None


CONTROL_BINDINGS: list[BindingType] = [
    Binding("plus,equals_sign", "users(1)", "users", key_display="+", group=USERS),
    Binding("minus", "users(-1)", "users", key_display="-", group=USERS),
    Binding("plus,equals_sign", "rate(1)", "rate", key_display="+", group=RATE),
    Binding("minus", "rate(-1)", "rate", key_display="-", group=RATE),
    Binding("shift+up,greater_than_sign", "users(10)", "users +10 steps", show=False),
    Binding("shift+down,less_than_sign", "users(-10)", "users -10 steps", show=False),
    Binding("shift+up,greater_than_sign", "rate(2)", "rate ×2", show=False),
    Binding("shift+down,less_than_sign", "rate(-2)", "rate ÷2", show=False),
    # The prompt for the profile's own quantity is in the footer; the other stays
    # bound (mixing users and arrivals is allowed) but only shows in the palette.
    Binding("u", "set_users(1)", "users="),
    Binding("u", "set_users(0)", "users=", show=False),
    Binding("r", "set_rate(1)", "rate="),
    Binding("r", "set_rate(0)", "rate=", show=False),
    # Streams: footer variant (…, 1) while the run has streams, hidden twin (…, 0) otherwise.
    Binding("w", "streams(1, 1)", "streams", key_display="w", group=STREAMS),
    Binding("W", "streams(-1, 1)", "streams", key_display="W", group=STREAMS),
    Binding("w", "streams(1, 0)", "streams +", show=False),
    Binding("W", "streams(-1, 0)", "streams -", show=False),
    Binding("S", "set_streams", "streams=", show=False),
    Binding("space,p", "pause", "pause", key_display="p"),
    Binding("space,p", "resume", "resume", key_display="p"),
    Binding("n", "next_stage", "next"),
    Binding("f", "follow", "follow"),
    Binding("s", "stop", "stop"),
]


class ControlActions(_Base):
    """Mixed into the dashboard screen, which sets the attributes below and calls
    `_settle_pending` with each snapshot."""

    control: Control
    profile: Profile
    users_step: int
    streams_step: int
    latest: Snapshot | None
    _pending_users: tuple[int, int] | None  # (value, seq of the latest snapshot then)
    _pending_rate: tuple[float, int] | None
    _pending_streams: tuple[int, int] | None

    def _settle_pending(self, snap: Snapshot) -> None:
        if self._pending_users is not None:
            value, seq = self._pending_users
            if snap.load.users_target == value or snap.seq >= seq + PENDING_SNAPSHOTS:
                self._pending_users = None
        if self._pending_rate is not None:
            rate, seq = self._pending_rate
            if abs(snap.load.rate - rate) < 0.005 or snap.seq >= seq + PENDING_SNAPSHOTS:
                self._pending_rate = None
        if self._pending_streams is not None:
            value, seq = self._pending_streams
            if snap.load.streams_target == value or snap.seq >= seq + PENDING_SNAPSHOTS:
                self._pending_streams = None

    @property
    def ended(self) -> bool:
        return self.latest is not None and self.latest.load.state in ("stopping", "stopped")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """False hides a binding (other model, other state); None greys it (run over)."""
        stepped = "rate" if self.profile.model == "open" else "users"
        if action in ("users", "rate") and action != stepped:
            return False
        if action == "streams" and len(parameters) > 1:  # footer variant or its twin
            return bool(parameters[1]) == self.has_streams and self._allowed(action)
        footer_variant = bool(parameters[0]) if parameters else None  # set_users(1) / (0)
        if action in ("set_users", "set_rate") and footer_variant is not None:
            return footer_variant == (action == f"set_{stepped}") and self._allowed(action)
        return self._allowed(action)

    def _allowed(self, action: str) -> bool | None:
        paused = self.latest is not None and self.latest.load.state == "paused"
        if action == ("pause" if paused else "resume"):
            return False
        if action in LOAD_ACTIONS and self.ended:
            return None  # shown, greyed out: the run is over
        # "follow" is only offered after a manual override.
        return action != "follow" or not (self.latest is None or self.latest.load.following_profile)

    @property
    def has_streams(self) -> bool:
        """The run has WebSocket streams, or its profile asks for stream-only sessions."""
        latest = self.latest
        if latest is not None and (latest.streams or latest.load.streams_target):
            return True
        return any(stage.streams for stage in self.profile.stages)

    def palette_commands(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        """(name, help, callback) of the controls usable now."""
        step = self.users_step
        ws_step = self.streams_step
        commands = [
            ("users(1)", f"Users: add {step}", "raise the wanted users by one step"),
            ("users(-1)", f"Users: remove {step}", "lower the wanted users by one step"),
            ("users(10)", f"Users: add {10 * step}", "raise the wanted users by ten steps"),
            ("users(-10)", f"Users: remove {10 * step}", "lower the wanted users by ten steps"),
            ("rate(1)", "Arrival rate: ×1.1", "raise the arrival rate by 10 % (at least 1/s)"),
            ("rate(-1)", "Arrival rate: ÷1.1", "lower the arrival rate by 10 %"),
            ("rate(2)", "Arrival rate: ×2", "double the arrival rate (at least +10/s)"),
            ("rate(-2)", "Arrival rate: ÷2", "halve the arrival rate"),
            ("set_users", "Users: set exactly…", "type N or N@spawn-rate"),
            ("set_rate", "Arrival rate: set exactly…", "type arrivals per second"),
            ("streams(1)", f"Streams: open {ws_step}", "more stream-only WebSocket sessions"),
            ("streams(-1)", f"Streams: close {ws_step}", "fewer stream-only WebSocket sessions"),
            ("set_streams", "Streams: set exactly…", "type N or N@opening-rate"),
            ("pause", "Pause the run", "stop starting requests; in-flight ones finish"),
            ("resume", "Resume the run", "start sending again"),
            ("next_stage", "Next stage", "skip the rest of this profile stage"),
            ("follow", "Follow the profile again", "drop the manual override"),
            ("stop", "Stop the run (graceful)", f"in-flight requests get {STOP_GRACE_S:g} s"),
        ]
        for action, name, help_text in commands:
            action_name, _, _ = action.partition("(")
            if self.check_action(action_name, ()):
                yield name, help_text, partial(self.run_action, action)

    def _users_base(self) -> int:
        if self._pending_users is not None:
            return self._pending_users[0]
        return self.latest.load.users_target if self.latest else 0

    def _rate_base(self) -> float:
        if self._pending_rate is not None:
            return self._pending_rate[0]
        return self.latest.load.rate if self.latest else 0.0

    def _seq(self) -> int:
        return self.latest.seq if self.latest else -1

    def _set_users(self, users: int, spawn_rate: float | None = None) -> None:
        self._pending_users = (users, self._seq())
        self.control.send(SetUsers(users, spawn_rate))
        at = f" at {spawn_rate:g}/s" if spawn_rate else ""
        self.notify(f"users → {users}{at}", timeout=2)

    def _streams_base(self) -> int:
        if self._pending_streams is not None:
            return self._pending_streams[0]
        return self.latest.load.streams_target if self.latest else 0

    def _set_streams(self, streams: int, spawn_rate: float | None = None) -> None:
        self._pending_streams = (streams, self._seq())
        self.control.send(SetStreams(streams, spawn_rate))
        at = f" at {spawn_rate:g}/s" if spawn_rate else ""
        self.notify(f"stream sessions → {streams}{at}", timeout=2)

    def _set_rate(self, rate: float) -> None:
        self._pending_rate = (rate, self._seq())
        self.control.send(SetRate(rate))
        self.notify(f"arrival rate → {fmt.rate(rate)}/s", timeout=2)

    def action_users(self, steps: int) -> None:
        self._set_users(max(0, self._users_base() + steps * self.users_step))

    def action_rate(self, steps: int) -> None:
        self._set_rate(step_rate(self._rate_base(), steps))

    def action_streams(self, steps: int, _footer: int = 1) -> None:
        self._set_streams(max(0, self._streams_base() + steps * self.streams_step))

    def action_set_streams(self) -> None:
        def done(result: tuple[int, float | None] | None) -> None:
            if result is not None:
                self._set_streams(*result)

        prompt = ValuePrompt(
            "Set stream-only WebSocket sessions (N, or N@R to open R/s)",
            parse_streams,
            value=str(self._streams_base()),
            placeholder="100 or 100@20",
        )
        self.app.push_screen(prompt, done)

    def action_set_users(self, _footer: int = 1) -> None:
        def done(result: tuple[int, float | None] | None) -> None:
            if result is not None:
                self._set_users(*result)

        prompt = ValuePrompt(
            "Set users (N, or N@R to spawn R users/s)",
            parse_users,
            value=str(self._users_base()),
            placeholder="50 or 50@10",
        )
        self.app.push_screen(prompt, done)

    def action_set_rate(self, _footer: int = 1) -> None:
        def done(result: float | None) -> None:
            if result is not None:
                self._set_rate(result)

        prompt = ValuePrompt(
            "Set the arrival rate (requests started per second)",
            parse_rate,
            value=f"{self._rate_base():g}",
            placeholder="120",
        )
        self.app.push_screen(prompt, done)

    def action_pause(self) -> None:
        self.control.send(Pause())
        self.notify("pausing", timeout=2)

    def action_resume(self) -> None:
        self.control.send(Resume())
        self.notify("resuming", timeout=2)

    def action_next_stage(self) -> None:
        self.control.send(NextStage())
        self.notify("skipping to the next stage", timeout=2)

    def action_follow(self) -> None:
        self._pending_users = self._pending_rate = self._pending_streams = None
        self.control.send(FollowProfile())
        self.notify("following the profile again", timeout=2)

    def action_stop(self) -> None:
        self.control.send(Stop(STOP_GRACE_S))
        self.notify(f"stopping: in-flight requests get {STOP_GRACE_S:g} s", timeout=3)
