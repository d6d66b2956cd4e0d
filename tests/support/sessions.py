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


def at_length(path: Path, seconds: float) -> None:
    """Put a timed run's recorded end at its length (`-t`, or its profile's): the ticks
    after it go (the last one, which holds the run's totals, stays), and the last tick
    and the events of the end are put at `seconds`. Runs that share a loaded machine may
    end late (CI: a 2 s run ended at 2.7 s), which compare rightly calls another length;
    tests about something else compare them at the length they were given."""
    records = [json.loads(line) for line in path.read_text().splitlines()]
    (last,) = [r for r in records if r.get("type") == "tick"][-1:]
    assert last["t"] >= seconds  # it did run its whole length
    records = [r for r in records if r is last or r.get("type") != "tick" or r["t"] <= seconds]
    for r in records:
        if r.get("type") in ("tick", "event") and r["t"] > seconds:
            r["t"] = seconds
    write(path, *records)
