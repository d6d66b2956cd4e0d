"""The shared send clock of WebSocket sessions (engine/ws_clock.py): every wake runs once,
earliest slot first and in order within a slot, never more than a slot early; a wake
that asks for a time already due runs in the same turn; sessions' first sends are spread
evenly over their period."""

from __future__ import annotations

import asyncio
from time import perf_counter

from loadtui.engine.ws_clock import SLOT_S, SendClock


async def test_wakes_run_once_in_time_order_and_not_early() -> None:
    clock = SendClock()
    done = asyncio.get_running_loop().create_future()
    ran: list[tuple[int, float]] = []
    t0 = perf_counter()
    whens = [t0 + d for d in (0.03, 0.01, 0.02, 0.01, 0.0)]
    for i, when in enumerate(whens):
        clock.at(when, lambda i=i: ran.append((i, perf_counter())))
    clock.at(t0 + 0.04, lambda: done.set_result(None))
    await asyncio.wait_for(done, 5)
    assert [i for i, _ in ran] == [4, 1, 3, 2, 0]  # by slot; within a slot, as asked
    assert all(at >= whens[i] - SLOT_S for i, at in ran)


async def test_a_wake_due_at_once_runs_in_the_same_turn() -> None:
    clock = SendClock()
    done = asyncio.get_running_loop().create_future()
    turns: list[int] = []
    turn = 0

    def again() -> None:
        turns.append(turn)
        if len(turns) < 5:
            clock.at(perf_counter() - 1.0, again)  # overdue: no need to wait a turn
        else:
            done.set_result(None)

    def count_turns() -> None:
        nonlocal turn
        turn += 1
        if not done.done():
            asyncio.get_running_loop().call_soon(count_turns)

    clock.at(perf_counter() + 0.005, again)
    count_turns()
    await asyncio.wait_for(done, 5)
    assert len(set(turns)) == 1  # all five in the loop turn of the first


def test_first_sends_are_spread_over_the_period() -> None:
    clock = SendClock()
    phases = [clock.spread() for _ in range(1000)]
    assert phases[0] == 1.0 and all(0.0 < p <= 1.0 for p in phases)
    for n, buckets in ((100, 10), (1000, 50)):  # however many sessions: evenly spread
        counts = [0] * buckets
        for p in phases[:n]:
            counts[min(int((1.0 - p) * buckets), buckets - 1)] += 1
        assert max(counts) - min(counts) <= 2, counts
