"""Session files written record by record, for tests of what reads them: a header (format
version 1, a 5 s profile of 2 users), a tick of 3 requests, an operator's pause."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Record = dict[str, Any]

HEADER: Record = {
    "type": "header",
    "format": "loadtui-session",
    "version": 1,
    "scenario": {},
    "profile": {"name": "p", "stages": [{"duration": 5.0, "users": 2}]},
}
TICK: Record = {
    "type": "tick",
    "seq": 0,
    "t": 0.5,
    "wall": 0.0,
    "interval_s": 0.5,
    "load": {},
    "total": {"name": "Aggregated", "requests": 3, "status_codes": {"200": 3}},
}


def pause(t: float) -> Record:
    """An operator's pause at `t`, as the console records it (rerun replays it)."""
    data = {"action": "pause", "args": []}
    return {"type": "event", "t": t, "kind": "operator", "message": "paused", "data": data}


def lines(*records: object) -> str:
    """JSON Lines, as the session writer puts them."""
    return "".join(json.dumps(r) + "\n" for r in records)


def write(path: Path, *records: object) -> Path:
    path.write_text(lines(*records))
    return path
