"""A keyboard-first pick list for the launch screen."""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class Chooser(OptionList):
    """An OptionList whose picked row carries a ▶, and where a click picks but never starts."""

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, compact=True, markup=False)
        self._labels: list[str] = []
        self._marked: int | None = None

    def fill(self, rows: list[tuple[str, str]], index: int = 0) -> None:
        self._labels = [label for _, label in rows]
        self._marked = None
        self.set_options(Option(self._prompt(label, False), id=key) for key, label in rows)
        self.highlighted = min(max(index, 0), len(rows) - 1) if rows else None
        self.mark()

    def mark(self) -> None:
        """Move the ▶ to the highlighted row (cheap: two prompts change)."""
        now = self.highlighted
        if now == self._marked:
            return
        if self._marked is not None and self._marked < len(self._labels):
            label = self._labels[self._marked]
            self.replace_option_prompt_at_index(self._marked, self._prompt(label, False))
        if now is not None:
            self.replace_option_prompt_at_index(now, self._prompt(self._labels[now], True))
        self._marked = now

    @property
    def key(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None

    @staticmethod
    def _prompt(label: str, picked: bool) -> Content:
        return Content(("▶ " if picked else "  ") + label)

    async def _on_click(self, event: events.Click) -> None:
        index = event.style.meta.get("option")
        if index is not None:
            self.highlighted = index
        event.prevent_default()  # OptionList would also "select", i.e. start the run
