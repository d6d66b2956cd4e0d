"""The open model's coarse timer: every arrival started once, timed from its intended
start, with dropped and late starts counted, whatever the wake-ups look like.

`Schedule` is driven here with hand-picked wake-up times (no clock, no loop), so the
arithmetic is checked exactly; the last test runs the real scheduler on uvloop against
the demo target and checks it never wakes more than once per millisecond.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from itertools import pairwise
from time import perf_counter

import pytest
from support.runs import config, worker_of
from support.scenarios import api_fast, scenario, user

from loadtui.engine.arrivals import (
    EARLY_S,
    LATE_S,
    TICK_S,
    TURN_STARTS,
    OpenArrivals,
    Schedule,
)
from loadtui.engine.controller import Controller
from loadtui.engine.loops import new_event_loop

ROOM = 10**9  # no cap on starts in a wake


class Starts:
    """What a Schedule started: (intended, timed from) per arrival, in order."""

    def __init__(self) -> None:
        self.items: list[tuple[float, float]] = []
        self.schedule = Schedule(lambda intended, timed: self.items.append((intended, timed)))

    @property
    def intended(self) -> list[float]:
        return [i for i, _ in self.items]


def wakes(start: float, end: float, seed: int, low: float, high: float) -> list[float]:
    """Wake-up times from `start` to `end`, gaps drawn from [low, high]."""
    rng = random.Random(seed)
    times, t = [], start
    while t < end:
        times.append(t)
        t += rng.uniform(low, high)
    return times


@pytest.mark.parametrize("seed", range(5))
def test_every_arrival_starts_once_timed_from_its_intended_start(seed: int) -> None:
    rate, t0 = 1_700.0, 100.0  # not a multiple of the tick: no start on a boundary
    s = Starts()
    times = wakes(t0, t0 + 1.0, seed, TICK_S * 0.9, TICK_S * 3)
    for now in times:
        s.schedule.turn(now, rate, ROOM)
    # The arrivals are exactly the schedule: one every 1/rate after the first wake, up
    # to half a tick past the last wake; none twice, none skipped.
    n = len(s.items)
    expected = [t0 + k / rate for k in range(1, n + 1)]
    assert s.intended == pytest.approx(expected, abs=1e-9)
    assert n == int((times[-1] + EARLY_S - t0) * rate + 1e-9)
    assert s.schedule.started == n and s.schedule.dropped == 0
    # Each is timed from its intended start, or from its wake when that came first (an
    # early start is never timed from before it left). Wakes are at most 3 ticks apart,
    # so no start is late.
    wake_of = iter(times)
    now = next(wake_of)
    for intended, timed in s.items:
        while intended > now + EARLY_S:
            now = next(wake_of)
        assert timed == min(intended, now)
        assert intended - timed <= EARLY_S + 1e-9
    assert s.schedule.late == 0


def test_wakes_far_behind_count_late_starts() -> None:
    s = Starts()
    s.schedule.turn(0.0, 1_000.0, ROOM)  # the rate starts: first arrival at 1 ms
    s.schedule.turn(0.0502, 1_000.0, ROOM)  # a wake 50 ms on: 50 arrivals due
    assert s.intended == pytest.approx([k / 1000 for k in range(1, 51)])
    late = [i for i in s.intended if 0.0502 - i > LATE_S]  # 1..40 ms
    assert s.schedule.late == len(late) == 40
    assert all(timed == intended for intended, timed in s.items)  # timed from the plan


def test_arrivals_beyond_the_room_are_dropped_not_carried() -> None:
    s = Starts()
    s.schedule.turn(0.0, 1_000.0, ROOM)
    s.schedule.turn(0.1, 1_000.0, 30)  # 100 due, room for 30: the 30 earliest start
    assert s.intended == pytest.approx([k / 1000 for k in range(1, 31)])
    assert (s.schedule.started, s.schedule.dropped) == (30, 70)
    s.schedule.turn(0.1 + TICK_S, 1_000.0, ROOM)  # the dropped ones are not started later
    assert s.intended[30:] == pytest.approx([0.101])


def test_a_rate_change_applies_from_the_wake_that_sees_it() -> None:
    s = Starts()
    s.schedule.turn(0.0, 100.0, ROOM)
    for k in range(1, 101):  # 1 s at 100/s, woken every 10 ms
        s.schedule.turn(k * 0.01, 100.0, ROOM)
    before = len(s.items)
    s.schedule.turn(1.0 + 0.004, 1_000.0, ROOM)  # 10x from here on
    s.schedule.turn(1.0 + 0.0105, 1_000.0, ROOM)
    assert s.intended[:before] == pytest.approx([k / 100 for k in range(1, 101)])
    # Nothing at the new pace before the change; the 40 % of the old interval gone by
    # carries over as 40 % of the new one, then they come 1 ms apart.
    assert s.intended[before:] == pytest.approx([1.0036 + k * 0.001 for k in range(1, 8)])


def test_a_rate_from_zero_backdates_nothing() -> None:
    s = Starts()
    s.schedule.turn(0.0, 0.0, ROOM)
    s.schedule.turn(5.0, 0.0, ROOM)
    s.schedule.turn(5.02, 1_000.0, ROOM)  # the rate appears: first arrival 1 ms on
    assert s.items == []
    s.schedule.turn(5.03, 1_000.0, ROOM)
    assert s.intended[0] == pytest.approx(5.021)
    assert len(s.items) == 10


def test_a_pause_owes_nothing() -> None:
    s = Starts()
    s.schedule.turn(0.0, 1_000.0, ROOM)
    s.schedule.turn(0.01, 1_000.0, ROOM)
    s.schedule.restart(60.0)  # paused for a minute
    s.schedule.turn(60.0, 1_000.0, ROOM)
    assert len(s.items) == 10 and s.schedule.dropped == 0


@pytest.mark.parametrize("rate", [1e9, 1e308])
def test_an_absurd_rate_starts_one_turns_worth_and_counts_the_rest(rate: float) -> None:
    s = Starts()
    s.schedule.turn(0.0, rate, TURN_STARTS)
    assert len(s.items) == TURN_STARTS
    s.schedule.turn(0.01, rate, TURN_STARTS)
    assert len(s.items) == s.schedule.started == 2 * TURN_STARTS
    assert s.schedule.dropped >= min(rate * 0.01, 2**53) - 2 * TURN_STARTS
    assert s.schedule.turn(0.02, rate, TURN_STARTS) < 1.0  # and it goes on


def test_the_scheduler_wakes_at_most_once_a_millisecond_on_uvloop(demo_url: str) -> None:
    """At 5,000/s (an arrival every 0.2 ms, which uvloop would sleep as "now") the
    scheduler still wakes at most once per millisecond of its clock, every arrival it
    started ran once, and runners are reused rather than one Task per arrival."""
    text = scenario(user(api_fast()))
    rate = 5_000.0
    loop = new_event_loop()
    try:
        seen = loop.run_until_complete(_run_scheduler(text, demo_url, rate, 0.3))
    finally:
        loop.close()
    arrivals = seen.arrivals
    assert seen.wakes <= seen.elapsed / TICK_S + 2, (seen.wakes, seen.elapsed)
    assert arrivals.started > 0
    assert seen.requests == arrivals.started  # every start ran exactly once, and succeeded
    # A wake starts TURN_STARTS arrivals at most and counts the rest as dropped: only a
    # loop held longer than that many arrivals last (0.2 s; a busy machine) drops any.
    # What each late wake owed over the cap is the most it may have dropped: 0 on a loop
    # that kept up.
    owed = sum(max(0.0, gap * rate - TURN_STARTS) for gap in seen.gaps)
    assert arrivals.dropped <= owed + 1, (arrivals.dropped, max(seen.gaps))
    # Reused runners: a Task per arrival would be one each. Reuse needs calls to end while
    # arrivals keep coming; a machine too slow to keep up piles them up in flight (each
    # then needs a runner of its own), which no count of runners can judge.
    if seen.most_in_flight <= arrivals.started / 8:
        assert seen.runners < arrivals.started / 4, (seen.runners, arrivals.started)


@dataclass
class SchedulerRun:
    wakes: int  # wake-ups of the scheduler
    elapsed: float  # seconds it ran
    arrivals: OpenArrivals
    requests: int  # requests recorded
    runners: int  # runner tasks met at wake-ups
    gaps: list[float]  # seconds between wake-ups
    most_in_flight: int  # arrivals in flight at a wake-up, at most


async def _run_scheduler(text: str, url: str, rate: float, seconds: float) -> SchedulerRun:
    """Run one worker's scheduler alone for `seconds`, then let its arrivals finish."""
    engine = Controller(config(text, url, rate=rate, duration=60), lambda s: None)
    worker = worker_of(engine)
    arrivals = worker.arrivals
    times: list[float] = []
    in_flight = 0
    seen: set[asyncio.Task[None]] = set()  # every runner task met at a wake-up

    def counted_rate() -> float:  # read once per wake-up
        nonlocal in_flight
        times.append(perf_counter())
        in_flight = max(in_flight, arrivals.inflight)
        seen.update(arrivals._runners)
        return rate

    arrivals.rate = counted_rate
    began = perf_counter()
    scheduler = asyncio.get_running_loop().create_task(arrivals.run())
    await asyncio.sleep(seconds)
    scheduler.cancel()
    await asyncio.gather(scheduler, return_exceptions=True)
    elapsed = perf_counter() - began
    wakes_seen = len(times)
    left = arrivals.pending()
    if left:
        await asyncio.wait(left, timeout=60)
    await worker.pools.close()
    fast = worker.recorder.endpoint("fast")
    assert fast.interval_failures == 0, fast.errors
    gaps = [b - a for a, b in pairwise(times)]
    return SchedulerRun(
        wakes_seen, elapsed, arrivals, fast.interval_requests, len(seen), gaps, in_flight
    )
