"""What the console may ask of a run: one typed command at a time, nothing else.

`EngineProcess` (a live run) satisfies it; tests use a recorder of commands. Screens
never reach further into the engine than this.
"""

from __future__ import annotations

from typing import Protocol

from loadtui.engine.commands import Command


class Control(Protocol):
    def send(self, command: Command) -> None: ...
