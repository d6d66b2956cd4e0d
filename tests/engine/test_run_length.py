"""How long a run lasts when the operator pauses and skips.

`-t` (RunConfig.duration) counts wall-clock time, pauses included: the run stops that
long after it started, as a re-run must to last as long as its original. Without it the
profile's own clock ends the run: a pause lengthens it, a skipped stage shortens it.
"""

from __future__ import annotations

import asyncio

from support.runs import run
from support.scenarios import api_fast, scenario, user

from loadtui.engine.controller import Controller
from loadtui.metrics.snapshot import Snapshot

TICK = 0.25
STAGES = [{"duration": "2s", "users": 1, "spawn_rate": 100}, {"duration": "1s", "users": 2}]
TEXT = scenario(user(api_fast(), wait="constant(0.05s)"), profiles={"two": {"stages": STAGES}})


def steer(engine: Controller, snap: Snapshot) -> None:
    """At 0.25 s skip the rest of stage 1 (1.75 s), at 0.5 s pause for 1 s."""
    if snap.seq == 0:
        engine.next_stage()
    elif snap.seq == 1:
        engine.pause()
    elif snap.seq == 5:
        engine.resume()


def stopped(snaps: list[Snapshot]) -> tuple[float, str]:
    found = [e for s in snaps for e in s.events if e.data.get("stopping")]
    assert len(found) == 1
    return found[0].t, found[0].message


def acted(snaps: list[Snapshot], action: str) -> float:
    """When the operator's `action` was taken (the ticks that steer may come late)."""
    (t,) = [e.t for s in snaps for e in s.events if e.data.get("action") == action]
    return t


async def test_duration_counts_wall_time_and_the_profile_its_own(demo_url: str) -> None:
    (_, by_profile, _), (_, by_duration, _) = await asyncio.gather(
        run(TEXT, demo_url, tick=TICK, on_snapshot=steer),
        run(TEXT, demo_url, tick=TICK, duration=1.75, on_snapshot=steer),
    )
    # Profile clock: 3 s of profile - 1.75 s skipped + 1 s paused = 2.25 s, as the
    # steering ticks came: the skip ended stage 1 where it was taken, and the pause lasted
    # from one action to the other. What is left is the profile walk's own lateness.
    skip = acted(by_profile, "next_stage")
    held = acted(by_profile, "resume") - acted(by_profile, "pause")
    due = skip + 1.0 + held  # stage 2's second, counted from the skip, plus the pause
    at, why = stopped(by_profile)
    assert why == "run finished" and abs(at - due) <= TICK, (at, due)
    # -t 1.75s: 1.75 s of wall time, whatever was paused or skipped.
    at, why = stopped(by_duration)
    assert why == "run finished" and abs(at - 1.75) <= TICK, at
    paused = [s for s in by_duration if s.load.state == "paused"]
    assert paused and all(s.load.stage_left_s <= 1.75 - s.t + TICK for s in paused)
