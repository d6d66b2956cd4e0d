"""A Python task that blocks its loop for good once the run has recorded a request: the
watchdog's case. It counts its calls, and writes the count beside the session (suffix
`.calls`) when it blocks, so a test bounds what it asserts by the calls really made."""

from __future__ import annotations

BLOCKING_TASK = """
import json
import time
from pathlib import Path

SESSION = Path({session!r})
calls = 0

def recorded():
    lines = SESSION.read_text().splitlines() if SESSION.exists() else []
    ticks = (json.loads(line) for line in lines if '"type":"tick"' in line)
    return any(tick["total"]["requests"] > 0 for tick in ticks)

async def nap(client, vars):
    global calls
    calls += 1
    await client.get("/api/fast")
    if recorded():
        SESSION.with_suffix(".calls").write_text(str(calls))
        time.sleep(120)
"""
# The line of the blocking call, as a traceback or the watchdog's report names it.
SLEEP_LINE = BLOCKING_TASK.splitlines().index("        time.sleep(120)") + 1


def blocking_task(session: str) -> str:
    """The module's text, watching the session file at `session`."""
    return BLOCKING_TASK.format(session=session)
