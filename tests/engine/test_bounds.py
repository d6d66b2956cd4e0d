"""Any rate and any user count end on time: the arrival scheduler and the closed-model
spawner do a bounded amount of work per event-loop turn and yield every turn, so ticks,
the deadline and a stop from another thread (what a signal handler sends) get through.

Bounds in these tests are correctness bounds (a hang fails them), never speed goals.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Unpack

from support.runs import GUARD_S, Settings, worker_of
from support.runs import config as run_config
from support.scenarios import api_fast, get, scenario, user
from support.stalling import StallingTarget
from support.waits import first_from

from loadtui.engine.arrivals import TURN_STARTS
from loadtui.engine.commands import ArrivalRate, SetRate, Stop
from loadtui.engine.config import RunConfig
from loadtui.engine.controller import Controller
from loadtui.engine.host import EngineHost
from loadtui.engine.users import TURN_USERS
from loadtui.metrics.snapshot import Snapshot

GRACE_S = 0.5
MARGIN_S = 10.0  # generous: the bound catches a hang, not a slow machine

FLOOD = scenario(
    user(api_fast()),
    profiles={
        "flood": {"model": "open", "max_inflight": 64, "stages": [{"duration": "10m", "rate": 1e9}]}
    },
    max_connections=8,
)
STUCK = scenario(user(get("/hang", "stuck")), max_connections=2)


def config(text: str, url: str, **settings: Unpack[Settings]) -> RunConfig:
    return run_config(text, url, tick=0.1, grace=GRACE_S, **settings)


def test_stop_from_another_thread_ends_a_run_at_rate_1e9(demo_url: str) -> None:
    host = EngineHost(config(FLOOD, demo_url, profile="flood")).start()
    try:
        # Ticks keep coming while the schedule drops what it cannot start.
        seen = first_from(host.snapshots, lambda s: s.load.dropped > 0 and s.total.requests > 0)
        host.send(Stop(None, "SIGTERM: stopping gracefully"))  # what the signal handler sends
        assert host.join(GRACE_S + MARGIN_S), "stop() was not taken at rate 1e9"
    finally:
        host.send(Stop(0.0))
        host.join(MARGIN_S)
    assert host.error is None
    final = host.final
    assert final is not None and final.load.state == "stopped"
    assert final.load.dropped > seen.load.dropped
    fast = final.endpoint("fast")
    assert fast is not None and fast.requests > 0 and fast.failures == 0


def test_an_unbounded_operator_rate_drops_and_the_schedule_goes_on(demo_url: str) -> None:
    """set_rate does not go through the loader's bounds (a re-run's script, a future
    caller): even 1e308/s is counted as dropped, and a sane rate afterwards still runs."""
    host = EngineHost(config(FLOOD, demo_url, profile="flood")).start()
    try:
        first_from(host.snapshots, lambda s: s.total.requests > 0)
        host.send(SetRate(1e308))
        flooded = first_from(host.snapshots, lambda s: s.load.dropped > 10**15)
        host.send(SetRate(50.0))
        first_from(host.snapshots, lambda s: s.total.requests > flooded.total.requests + 20)
        host.send(Stop())
        assert host.join(GRACE_S + MARGIN_S)
    finally:
        host.send(Stop(0.0))
        host.join(MARGIN_S)
    assert host.error is None


async def test_the_scheduler_yields_every_turn_and_caps_its_starts() -> None:
    """At 1e9/s with room for 10,000 in flight, one loop turn still starts at most
    TURN_STARTS arrivals: a callback re-armed every turn keeps running, and the starts
    never outrun TURN_STARTS per turn it saw. The target never answers, so the started
    arrivals only wait in the pool's queue."""
    with StallingTarget(silent=True) as silent:
        engine = Controller(config(STUCK, silent.url, rate=1e9, duration=60), lambda s: None)
        worker = worker_of(engine)
        worker.apply(ArrivalRate(1e9, engine.profile.max_inflight))  # the controller's order
        arrivals = worker.arrivals
        loop = asyncio.get_running_loop()
        turns, excess = 0, 0
        enough = loop.create_future()

        def beat() -> None:
            nonlocal turns, excess
            turns += 1
            excess = max(excess, arrivals.started - (turns + 1) * TURN_STARTS)
            if turns == 8:
                enough.set_result(None)
            else:
                loop.call_soon(beat)

        scheduler = loop.create_task(arrivals.run())
        loop.call_soon(beat)
        try:
            await asyncio.wait_for(enough, MARGIN_S)
        finally:
            scheduler.cancel()
            pending = arrivals.pending()
            for task in pending:
                task.cancel()
            await asyncio.gather(scheduler, *pending, return_exceptions=True)
            await worker_of(engine).pools.close()
    assert excess <= 0
    assert arrivals.started > TURN_STARTS  # it did start arrivals, turn after turn
    assert arrivals.dropped > 0


async def test_a_burst_edge_moves_at_most_one_step_of_users_at_once(demo_url: str) -> None:
    engine = Controller(config(STUCK, demo_url, users=1), lambda s: None)
    users = worker_of(engine).users
    try:
        users.want(5 * TURN_USERS, 1e7, at_once=True)  # returns before any user runs
        assert users.count == TURN_USERS
    finally:
        tasks = [t for t, _u, _i in users.live.values()]
        users.stop_all()
        await asyncio.gather(*tasks, return_exceptions=True)
        await worker_of(engine).pools.close()


async def test_absurd_users_and_spawn_rate_are_held_and_the_run_ends() -> None:
    """-u 10,000,000 -r 10,000,000 against a target that never answers: the users (who
    share the pool's 2 connections and need no socket of their own) are all wanted,
    spawned a step at a time, and the run ends at its deadline with the requests still
    waiting counted as unfinished."""
    events: list[str] = []
    wanted: list[int] = []
    deadline: list[float] = []

    def seen(snap: Snapshot) -> None:
        events.extend(e.message for e in snap.events)
        wanted.append(snap.load.users_target)
        # The run's -t is set once a tick shows the users wanted and requests waiting: a
        # deadline fixed before the start could pass first on a busy machine. The run
        # must then reach it by itself, its loop busy spawning.
        if not deadline and snap.load.users_target == 10_000_000 and snap.load.inflight > 0:
            deadline.append(snap.t + 1.0)
            engine.config = replace(engine.config, duration=deadline[0])

    with StallingTarget(silent=True) as silent:
        cfg = config(STUCK, silent.url, users=10_000_000, spawn_rate=1e7, duration=GUARD_S)
        engine = Controller(cfg, seen)
        final = await asyncio.wait_for(engine.run(), GUARD_S + GRACE_S + MARGIN_S)
    assert final.load.state == "stopped" and deadline
    assert "run finished" in events and final.t < GUARD_S  # at the deadline, not the guard's
    assert not any("cannot hold" in e for e in events), events
    assert 10_000_000 in wanted
    stuck = final.endpoint("stuck")
    assert stuck is not None and stuck.errors.get("unfinished", 0) > 0
