"""How long a run lasts when the operator pauses and skips.

`-t` (RunConfig.duration) counts wall-clock time, pauses included: the run stops that
long after it started, as a re-run must to last as long as its original. Without it the
profile's own clock ends the run: a pause lengthens it, a skipped stage shortens it.
"""

from __future__ import annotations

import asyncio
from itertools import pairwise

from support.runs import Steps, longest_gap, run, stopping
from support.scenarios import api_fast, scenario, user

from loadtui.engine.controller import FOLLOW_STEP_S, Controller
from loadtui.metrics.snapshot import Snapshot

TICK = 0.25
EARLY_S = 0.01  # event times run on the snapshots' clock, started a hair after the run's
STAGES = [{"duration": "2s", "users": 1, "spawn_rate": 100}, {"duration": "1s", "users": 2}]
TEXT = scenario(user(api_fast(), wait="constant(0.05s)"), profiles={"two": {"stages": STAGES}})


def operator() -> Steps:
    """At the first tick skip the rest of stage 1 and pause; resume a second later (by
    the ticks' clock: a tick number would move with a busy machine's late ticks)."""

    def skip_and_pause(engine: Controller, _snap: Snapshot) -> None:
        engine.next_stage()
        engine.pause()

    steps = Steps(
        (lambda _snap: True, skip_and_pause),
        (lambda snap: snap.t >= steps.taken[0].t + 1.0, lambda e, _s: e.resume()),
    )
    return steps


def stopped(snaps: list[Snapshot]) -> tuple[float, str]:
    found = stopping(snaps)
    return found.t, found.message


def acted(snaps: list[Snapshot], action: str) -> float:
    """When the operator's `action` was taken (the ticks that steer may come late)."""
    (t,) = [e.t for s in snaps for e in s.events if e.data.get("action") == action]
    return t


def late_by(snaps: list[Snapshot]) -> float:
    """How late a run's end may be noticed: the profile walk's step, plus the longest the
    loop went without a tick (a stall shows there)."""
    return FOLLOW_STEP_S + longest_gap(snaps)


async def test_duration_counts_wall_time_and_the_profile_its_own(demo_url: str) -> None:
    (_, by_profile, _), (_, by_duration, _) = await asyncio.gather(
        run(TEXT, demo_url, tick=TICK, on_snapshot=operator()),
        run(TEXT, demo_url, tick=TICK, duration=1.75, on_snapshot=operator()),
    )
    # Profile clock: 3 s of profile - the rest of stage 1 skipped + 1 s paused, as the
    # steering ticks came: the skip ended stage 1 where it was taken, and the pause lasted
    # from one action to the other. What is left is the profile walk's own lateness.
    skip = acted(by_profile, "next_stage")
    held = acted(by_profile, "resume") - acted(by_profile, "pause")
    due = skip + 1.0 + held  # stage 2's second, counted from the skip, plus the pause
    at, why = stopped(by_profile)
    assert why == "run finished" and -EARLY_S <= at - due <= late_by(by_profile), (at, due)
    # -t 1.75s: 1.75 s of wall time, whatever was paused or skipped.
    at, why = stopped(by_duration)
    assert why == "run finished" and -EARLY_S <= at - 1.75 <= late_by(by_duration), at
    # While paused, what is left of the stage is capped by the run's time left, read
    # after the tick before.
    paused = [(b, a) for b, a in pairwise(by_duration) if a.load.state == "paused"]
    assert paused and all(a.load.stage_left_s <= 1.75 - b.t for b, a in paused), paused
