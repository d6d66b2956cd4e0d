"""The session log: JSON Lines, appended and flushed every tick.

Header first, then ticks and events in time order, a summary last. A killed process
leaves every line up to its last tick intact (see design.md, "Session log").
"""

from __future__ import annotations

import json
import os
import platform
import socket
import time
from pathlib import Path
from typing import IO, Any

from loadtui import __version__
from loadtui.metrics.snapshot import Snapshot
from loadtui.scenario.model import Profile, Scenario, Target
from loadtui.session.codec import jsonable

FORMAT = "loadtui-session"
VERSION = 1


def host_facts() -> dict[str, Any]:
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def _tick_record(snap: Snapshot) -> dict[str, Any]:
    record = jsonable(snap)
    events = record.pop("events")
    return {"record": {"type": "tick", **record}, "events": events}


class SessionWriter:
    def __init__(
        self, path: str | Path, scenario: Scenario, target: Target, profile: Profile
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = self.path.open("w", encoding="utf-8")
        self._write(
            {
                "type": "header",
                "format": FORMAT,
                "version": VERSION,
                "tool": f"loadtui {__version__}",
                "scenario": jsonable(scenario),
                "target": jsonable(target),
                "profile": jsonable(profile),
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "host": host_facts(),
            }
        )

    def _write(self, obj: dict[str, Any]) -> None:
        if self._file is None:
            return
        self._file.write(json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n")

    def on_snapshot(self, snap: Snapshot) -> None:
        parts = _tick_record(snap)
        for event in parts["events"]:
            self._write({"type": "event", **event})
        self._write(parts["record"])
        if self._file is not None:
            self._file.flush()

    def close(self, summary: dict[str, Any] | None = None) -> None:
        if self._file is None:
            return
        if summary is not None:
            self._write({"type": "summary", **summary})
        self._file.close()
        self._file = None
