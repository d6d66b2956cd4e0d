"""What the two screens that show the panes share (the live dashboard, the replay):
layout by width, the keys that change what is looked at (not the run), and a palette
fed by the screen's own commands. A mixin, small on purpose: each screen composes the
panes with its own header and keys, and neither inherits the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider

from loadtui.tui.widgets.panes import TABS, Panes

if TYPE_CHECKING:
    from textual.screen import Screen

    _Base = Screen[None]
else:
    _Base = object

PaletteCommand = tuple[str, str, Callable[[], Any]]  # (name, help, callback)

VIEW_BINDINGS: tuple[BindingType, ...] = (
    Binding("t", "toggle_view", "view"),
    *(
        Binding(str(i), f"tab('{key}')", label, show=False)
        for i, (key, label) in enumerate(TABS, 1)
    ),
)


@runtime_checkable
class HasCommands(Protocol):
    def palette_commands(self) -> Iterator[PaletteCommand]: ...


class ScreenCommands(Provider):
    """The screen's own commands in the palette: those it offers now."""

    def _commands(self) -> Iterator[PaletteCommand]:
        if isinstance(self.screen, HasCommands):
            yield from self.screen.palette_commands()

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class PanesHost(_Base):
    """Mixed into a screen that composes `self.panes`; the screen binds VIEW_BINDINGS
    and implements `action_toggle_view` (what `t` re-reads differs live and replayed)."""

    CSS_PATH = "../panes.tcss"
    # Textual types it `ClassVar[list[...]] | None`, which mypy takes for an instance
    # variable; ruff (RUF012) wants the ClassVar that mypy then rejects.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [  # type: ignore[misc]
        (0, "-narrow"),
        (120, "-wide"),
    ]
    AUTO_FOCUS = "#endpoints-table"
    COMMANDS: ClassVar[set[Any]] = {ScreenCommands}
    panes: Panes

    def action_tab(self, key: str) -> None:
        self.panes.tab = key

    def tab_commands(self) -> Iterator[PaletteCommand]:
        for key, label in TABS:
            yield f"Show tab: {label}", "", partial(self.run_action, f"tab('{key}')")
