"""Iteration counts (`-i N`, an `iterations` stage): exactly N task executions (or
passes of a flow) in all, over every user and worker, then the run ends by itself.
The shares' bookkeeping is tested on its own; the runs send real traffic to the demo
target, on one worker and on two worker processes."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.runs import GUARD_S, config, run, stop_when
from support.scenarios import api_fast, scenario, user
from support.waits import wait_for

from loadtui.engine.controller import Controller
from loadtui.engine.iterations import Allowance, IterationBudget, split_by
from loadtui.metrics.delta import WorkerLoad
from loadtui.metrics.snapshot import Snapshot

FAST = scenario(user(api_fast(), wait="constant(0.002s)"))


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**7), min_size=1, max_size=64))
def test_a_split_adds_up_and_follows_the_weights(total: int, weights: list[int]) -> None:
    shares = split_by(total, weights)
    assert sum(shares) == total and len(shares) == len(weights)
    whole = sum(weights) or len(weights)
    for share, w in zip(shares, weights or [1], strict=False):
        exact = total * (w if sum(weights) else 1) / whole
        assert abs(share - exact) < 1 + 1e-6 * exact


def test_a_spent_allowance_waits_and_hands_back_what_it_cannot_use() -> None:
    allowance = Allowance(limited=True)
    assert not allowance.take()  # nothing granted yet
    allowance.grant(2)
    assert allowance.take() and allowance.take() and not allowance.take()
    assert allowance.running == 2
    allowance.end()
    allowance.grant(5)
    allowance.give_back()  # no user left: the 5 not begun go back
    assert (allowance.allowed, allowance.returned, allowance.running) == (2, 5, 1)
    assert Allowance().take()  # no count: always


def _load(begun: int, returned: int = 0, running: int = 0, wanted: int = 1) -> WorkerLoad:
    return WorkerLoad(
        users_wanted=wanted,
        allowance_begun=begun,
        allowance_returned=returned,
        iterating=running,
    )


def test_the_budget_moves_shares_to_workers_with_users_and_ends_when_all_ran() -> None:
    budget = IterationBudget(10)
    assert budget.first([0, 1], [2, 1]) == {0: 7, 1: 3}  # 2 users and 1 user
    assert budget.pool == 0 and not budget.finished()
    budget.seen(0, _load(4, running=1))
    budget.seen(1, _load(1, returned=2, wanted=0))  # its user is gone: 2 handed back
    assert budget.pool == 2
    assert budget.regrant([0, 1]) == {0: 2}  # to the worker holding users
    budget.seen(0, _load(9, running=1))
    assert not budget.finished()  # one still running
    budget.seen(0, _load(9))
    assert budget.finished()


def test_a_lost_workers_unused_share_returns_to_the_pool() -> None:
    budget = IterationBudget(10)
    budget.first([0, 1], [1, 1])
    budget.seen(0, _load(1))
    budget.seen(1, _load(2, running=1))
    budget.lose(1)  # it began 2 of its 5: 3 come back, its running one is gone with it
    assert budget.pool == 3
    assert budget.regrant([0]) == {0: 3}
    budget.seen(0, _load(8))
    assert budget.finished()


@pytest.mark.parametrize("wait", [None, "constant(0.002s)"], ids=["driven", "coroutine"])
async def test_every_task_executed_is_an_iteration(demo_url: str, wait: str | None) -> None:
    """Without a count too, on either task loop (callback-driven or coroutine)."""
    text = scenario(user(api_fast(), wait=wait))
    some = stop_when(lambda s: s.total.requests >= 10)
    final, _, _ = await run(text, demo_url, some, users=2, spawn_rate=100, duration=GUARD_S)
    assert final.total.requests >= 10
    assert final.load.iterations == final.total.requests


async def test_n_iterations_run_exactly_then_the_run_ends(demo_url: str) -> None:
    final, snaps, _ = await run(FAST, demo_url, users=3, spawn_rate=100, iterations=37)
    assert final.total.requests == 37 and final.total.failures == 0
    assert final.load.iterations == 37 and final.load.iterations_target == 37
    events = [e.message for s in snaps for e in s.events]
    assert "run finished: 37 iterations done" in events


async def test_an_iterations_stage_counts_passes_not_requests(demo_url: str) -> None:
    text = scenario(
        user(api_fast("a"), api_fast("b"), order="sequence"),
        profiles={"count": {"stages": [{"iterations": 5, "users": 2}]}},
    )
    final, _, _ = await run(text, demo_url)
    assert [e.requests for e in final.endpoints] == [5, 5]
    assert final.load.iterations == 5


async def test_two_worker_processes_share_the_count_exactly(demo_url: str) -> None:
    """2 users on 2 workers; then one worker's user is retired, its unused share goes to
    the other, and the run still ends at exactly N."""
    snaps: list[Snapshot] = []
    run_config = replace(config(FAST, demo_url, users=2, spawn_rate=100, iterations=400), workers=2)
    controller = Controller(run_config, snaps.append)
    running = asyncio.ensure_future(controller.run())
    await wait_for(
        lambda: bool(snaps) and snaps[-1].total.requests > 20, timeout=60, what="load on both"
    )
    controller.set_users(1)  # worker 1 keeps no user: its share moves to worker 0
    final = await asyncio.wait_for(running, 60)
    assert final.total.requests == 400 and final.total.failures == 0
    assert final.load.iterations == 400
    assert [w.alive for w in final.workers] == [True, True]
