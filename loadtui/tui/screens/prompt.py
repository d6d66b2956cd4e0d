"""A one-line modal prompt for an exact value (users, arrival rate).

The text is parsed by a function that raises ValueError with a message for the
operator; a bad value keeps the prompt open with that message instead of sending a
command the engine would have to refuse. Enter applies, Escape cancels (None).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

T = TypeVar("T")
MAX_USERS = 1_000_000
MAX_RATE = 1_000_000.0


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what} must be a number, not {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be 0 or more")
    return value


def parse_users(text: str) -> tuple[int, float | None]:
    """`50` → (50, None); `50@10` → 50 users, spawned at 10 users/s."""
    raw = text.strip().replace(" ", "")
    if not raw:
        raise ValueError("type a number of users, e.g. 50 or 50@10")
    users_part, at, spawn_part = raw.partition("@")
    if not users_part.isdigit():
        raise ValueError(f"users must be a whole number, e.g. 50 or 50@10, not {users_part!r}")
    users = int(users_part)
    if users > MAX_USERS:
        raise ValueError(f"at most {MAX_USERS:,} users")
    if not at:
        return users, None
    spawn = _number(spawn_part.removesuffix("/s"), "spawn rate")
    if spawn <= 0:
        raise ValueError("spawn rate must be above 0 users/s")
    return users, spawn


def parse_rate(text: str) -> float:
    """`120`, `120/s`, `7.5` → arrivals per second."""
    raw = text.strip().replace(" ", "").removesuffix("/s")
    if not raw:
        raise ValueError("type an arrival rate per second, e.g. 120")
    rate = _number(raw, "arrival rate")
    if rate > MAX_RATE:
        raise ValueError(f"at most {MAX_RATE:,.0f}/s")
    return rate


class ValuePrompt(ModalScreen[T | None], Generic[T]):
    """Dismisses with the parsed value, or None when cancelled."""

    DEFAULT_CSS = """
    ValuePrompt { align: center middle; }
    ValuePrompt > #prompt-box {
        width: 60; max-width: 100%; height: auto; padding: 0 1;
        border: round $accent; background: $surface;
    }
    ValuePrompt #prompt-error { color: $error; text-style: bold; height: auto; }
    ValuePrompt #prompt-hint { color: $text-muted; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        parse: Callable[[str], T],
        *,
        value: str = "",
        placeholder: str = "",
        hint: str = "Enter applies · Escape cancels",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.parse = parse
        self.value = value
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Label(Text(self.title_text, style="bold"), id="prompt-title")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static("", id="prompt-error")
            yield Static(Text(self.hint), id="prompt-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#prompt-error", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            value = self.parse(event.value)
        except ValueError as exc:
            self.query_one("#prompt-error", Static).update(Text(f"✗ {exc}"))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
