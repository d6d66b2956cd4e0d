"""A Control that records the commands it receives, for console tests.

Screens only ever talk to a run through `loadtui.tui.control.Control`, one typed command
at a time; recording them (and their tuple form, `(action, *arguments)`) lets a test
assert exactly what a key press asked for.
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

from loadtui.engine.commands import Command, NextStage

Call = tuple[Any, ...]


class RecordingControl:
    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.calls: list[Call] = []

    def send(self, command: Command) -> None:
        self.commands.append(command)
        args = () if command == NextStage() else astuple(command)
        self.calls.append((command.action, *args))

    @property
    def last(self) -> Call | None:
        return self.calls[-1] if self.calls else None

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]

    def clear(self) -> None:
        self.commands.clear()
        self.calls.clear()
