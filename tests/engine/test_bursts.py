"""Bursts through real runs against the demo target: the load jumps on a burst's edges.

Closed model: the users rise to the burst's level and fall back to the stage's at once,
not at the stage's spawn rate. Open model: the arrival rate switches on the edges and
no arrival is backdated to before a burst began.
"""

from __future__ import annotations

from itertools import pairwise

from support.runs import run
from support.scenarios import api_fast, scenario, user

from loadtui.metrics.snapshot import Snapshot

USER = user(api_fast(), wait="constant(0.05s)")

# 3 users at once, then a stage whose spawn rate (1/s) would smear any ramp over
# seconds; two 0.75 s bursts to 30 users, at 1 s and 2.5 s.
CLOSED = scenario(
    USER,
    profiles={
        "b": {
            "stages": [
                {"duration": "0.5s", "users": 3, "spawn_rate": 100},
                {"duration": "3.5s", "users": 3, "spawn_rate": 1},
            ],
            "burst": {"every": "1.5s", "length": "0.75s", "users": 30, "offset": "1s"},
        }
    },
)

# 1 arrival/s, bursts of 80/s at 0.9 s and 2.4 s: a burst that reused the base rate's
# last arrival as its start would fire ~70 backdated arrivals at once.
OPEN_EDGES = (0.0, 0.9, 1.65, 2.4, 3.15, 3.5)  # the base rate, then a burst, by turns
OPEN = scenario(
    USER,
    profiles={
        "o": {
            "model": "open",
            "stages": [{"duration": "3.5s", "rate": 1}],
            "burst": {"every": "1.5s", "length": "0.75s", "rate": 80, "offset": "0.9s"},
        }
    },
)


def edges(snaps: list[Snapshot]) -> list[tuple[float, bool]]:
    """(time, started) of each burst edge event, in order."""
    return [
        (e.t, e.message == "burst started")
        for s in snaps
        for e in s.events
        if e.message in ("burst started", "burst ended")
    ]


def ticks_after(snaps: list[Snapshot], start: float, end: float) -> list[Snapshot]:
    """The ticks from one tick after `start` up to `end` (exclusive), before the stop."""
    return [
        s for s in snaps if start <= s.t - s.interval_s and s.t < end and s.load.state == "running"
    ]


async def test_closed_burst_users_rise_and_fall_on_the_edges(demo_url: str) -> None:
    final, snaps, _ = await run(CLOSED, demo_url, tick=0.25)
    found = edges(snaps)
    assert [started for _, started in found] == [True, False, True, False]
    ends = [t for t, _ in found[1:]] + [final.t]
    levels = set()
    for (at, started), until in zip(found, ends, strict=True):
        level = 30 if started else 3
        window = ticks_after(snaps, at, until)  # maybe none on a busy machine: see below
        for s in window:
            assert (s.load.users, s.load.users_target) == (level, level), (at, s.t, s.load)
        levels |= {s.load.users for s in window}
    assert levels == {30, 3}, levels


async def test_open_burst_rate_switches_on_the_edges_without_backdated_arrivals(
    demo_url: str,
) -> None:
    final, snaps, _ = await run(OPEN, demo_url, tick=0.25)
    found = edges(snaps)
    assert [started for _, started in found] == [True, False, True, False]
    seen = set()
    for i, (at, until) in enumerate(pairwise(OPEN_EDGES)):
        # A tick that falls wholly inside a stretch of the profile shows its rate, read
        # off the profile's clock as the tick's own time is (the edge events come from
        # the profile's walk, which a busy loop may make late). A busy machine may delay
        # ticks so that one stretch holds none: the others still do.
        window = ticks_after(snaps, at, until)
        assert all(s.load.rate == (80 if i % 2 else 1) for s in window), (at, window)
        seen |= {s.load.rate for s in window}
    assert seen == {80, 1}, seen
    # Arrivals follow the schedule: 80/s for the bursts' 1.5 s, 1/s for the 2 s between,
    # about 122 in all (a loop that stalls late in a burst may stretch it a little). A
    # burst backdated to the base rate's last arrival would add about 70 each. Counted
    # in all, not per tick: a stalled loop starts what fell due at once, and one tick
    # then holds them.
    assert final.total.requests <= 122 * 1.25, final.total.requests
    assert final.load.dropped == 0
