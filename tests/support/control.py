"""A Control that records the commands it receives, for console tests.

Screens only ever talk to a run through `loadtui.tui.control.Control`; recording the
calls (normalised to tuples) lets a test assert exactly what a key press asked for.
"""

from __future__ import annotations

from typing import Any

Call = tuple[Any, ...]


class RecordingControl:
    def __init__(self) -> None:
        self.calls: list[Call] = []

    def set_users(self, users: int, spawn_rate: float | None = None) -> None:
        self.calls.append(("set_users", users, spawn_rate))

    def set_rate(self, rate: float) -> None:
        self.calls.append(("set_rate", rate))

    def set_streams(self, streams: int, spawn_rate: float | None = None) -> None:
        self.calls.append(("set_streams", streams, spawn_rate))

    def pause(self) -> None:
        self.calls.append(("pause",))

    def resume(self) -> None:
        self.calls.append(("resume",))

    def next_stage(self) -> None:
        self.calls.append(("next_stage",))

    def follow_profile(self) -> None:
        self.calls.append(("follow_profile",))

    def stop(self, grace: float | None = None, reason: str = "stopped by operator") -> None:
        self.calls.append(("stop", grace, reason))

    @property
    def last(self) -> Call | None:
        return self.calls[-1] if self.calls else None

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]

    def clear(self) -> None:
        self.calls.clear()
