"""Bursts through real runs against the demo target: the load jumps on a burst's edges.

Closed model: the users rise to the burst's level and fall back to the stage's at once,
not at the stage's spawn rate. Open model: the arrival rate switches on the edges and
no arrival is backdated to before a burst began.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

from support.runs import OnSnapshot, run, stop_when
from support.scenarios import api_fast, scenario, user

from loadtui.metrics.snapshot import Snapshot

USER = user(api_fast(), wait="constant(0.05s)")
GUARD = "30s"  # the second stage's length: the runs stop once they have seen both levels

# 3 users at once, then a stage whose spawn rate (1/s) would smear any ramp over
# seconds; 0.75 s bursts to 30 users every 1.5 s from 1 s on.
CLOSED = scenario(
    USER,
    profiles={
        "b": {
            "stages": [
                {"duration": "0.5s", "users": 3, "spawn_rate": 100},
                {"duration": GUARD, "users": 3, "spawn_rate": 1},
            ],
            "burst": {"every": "1.5s", "length": "0.75s", "users": 30, "offset": "1s"},
        }
    },
)

# 1 arrival/s, bursts of 80/s from 0.9 s on, 0.75 s every 1.5 s: a burst that reused the
# base rate's last arrival as its start would fire ~70 backdated arrivals at once.
BURST_RATE, BASE_RATE, EVERY, LENGTH, OFFSET = 80, 1, 1.5, 0.75, 0.9
OPEN = scenario(
    USER,
    profiles={
        "o": {
            "model": "open",
            "stages": [{"duration": GUARD, "rate": BASE_RATE}],
            "burst": {"every": "1.5s", "length": "0.75s", "rate": BURST_RATE, "offset": "0.9s"},
        }
    },
)
# The profile's edges: the base rate, then a burst, by turns.
OPEN_EDGES = (0.0, *(OFFSET + k * EVERY + d for k in range(20) for d in (0.0, LENGTH)))


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


def closed_windows(snaps: list[Snapshot]) -> list[tuple[int, list[Snapshot]]]:
    """Each stretch between two burst edges that has ended: its level, and the ticks that
    fall wholly inside it (maybe none: a busy machine may delay ticks past a stretch)."""
    found = edges(snaps)
    return [
        (30 if started else 3, ticks_after(snaps, at, until))
        for (at, started), (until, _) in pairwise(found)
    ]


def open_windows(snaps: list[Snapshot]) -> list[tuple[int, list[Snapshot]]]:
    """The same for the open model's profile, whose edges are where the profile puts
    them: a tick's rate is read off the profile's clock, as the tick's own time is (the
    edge events come from the profile's walk, which a busy loop may make late)."""
    return [
        (BURST_RATE if i % 2 else BASE_RATE, ticks_after(snaps, at, until))
        for i, (at, until) in enumerate(pairwise(OPEN_EDGES))
    ]


def both_levels(
    windows: Callable[[list[Snapshot]], list[tuple[int, list[Snapshot]]]],
    level: Callable[[Snapshot], float],
    levels: set[float],
) -> OnSnapshot:
    """Stop once ticks wholly inside stretches of each level have shown it: how many
    bursts that takes depends on how the ticks fell, not on a fixed length."""
    seen: list[Snapshot] = []

    def both(snap: Snapshot) -> bool:
        seen.append(snap)
        return {level(s) for _, window in windows(seen) for s in window} >= levels

    return stop_when(both)


async def test_closed_burst_users_rise_and_fall_on_the_edges(demo_url: str) -> None:
    until = both_levels(closed_windows, lambda s: s.load.users, {30, 3})
    _, snaps, _ = await run(CLOSED, demo_url, until, tick=0.25)
    found = edges(snaps)
    assert [started for _, started in found] == [i % 2 == 0 for i in range(len(found))]
    levels = set()
    for level, window in closed_windows(snaps):
        for s in window:
            assert (s.load.users, s.load.users_target) == (level, level), (level, s.t, s.load)
        levels |= {s.load.users for s in window}
    assert levels == {30, 3}, levels


async def test_open_burst_rate_switches_on_the_edges_without_backdated_arrivals(
    demo_url: str,
) -> None:
    # The base rate as seen after a burst, not before the first: the rate falls back too.
    after_first = lambda snaps: open_windows(snaps)[1:]  # noqa: E731
    until = both_levels(after_first, lambda s: s.load.rate, {BURST_RATE, BASE_RATE})
    final, snaps, _ = await run(OPEN, demo_url, until, tick=0.25)
    found = edges(snaps)
    assert found and [started for _, started in found] == [i % 2 == 0 for i in range(len(found))]
    seen = set()
    for rate, window in open_windows(snaps):
        assert all(s.load.rate == rate for s in window), (rate, window)
        seen |= {s.load.rate for s in window}
    assert seen == {BURST_RATE, BASE_RATE}, seen
    # Arrivals follow the schedule: 80/s in the bursts, 1/s between, up to the final
    # snapshot. A loop stalled late in a burst starts what fell due meanwhile at the
    # burst's rate, stretching the burst by as long as it was held: allowed for, as the
    # ticks' own lateness says. A burst backdated to the base rate's last arrival would
    # add about 70 each. Counted in all, not per tick: a stalled loop starts what fell
    # due at once, and one tick then holds them.
    held = sum(max(0.0, s.interval_s - 0.25) for s in snaps)
    most = (scheduled(final.t) + (BURST_RATE - BASE_RATE) * held) * 1.25
    assert final.total.requests <= most, (final.total.requests, final.t, held)
    assert final.load.dropped == 0


def scheduled(t: float) -> float:
    """Arrivals the open profile schedules in its first `t` seconds."""
    bursts = sum(
        max(0.0, min(t, start + LENGTH) - start) for start in OPEN_EDGES[1::2] if start < t
    )
    return BASE_RATE * t + (BURST_RATE - BASE_RATE) * bursts
