"""Worker processes on this machine: two workers share a run, their figures fold into
one, and a worker killed mid-run is an event and a warning while the survivor takes its
share and the run goes on to its end. Loopback only, bounded in time."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from support.scenarios import api_fast, load, scenario, user
from support.waits import wait_for

from loadtui.engine.config import build_run_config
from loadtui.engine.controller import Controller
from loadtui.engine.fleet import ProcessLink
from loadtui.metrics.snapshot import Snapshot

SIX_USERS = scenario(
    user(api_fast(), wait="constant(0.02s)"),
    profiles={"six": {"stages": [{"duration": "60s", "users": 6, "spawn_rate": 100}]}},
)


def _controller(url: str, snaps: list[Snapshot], **changes: object) -> Controller:
    config = build_run_config(load(SIX_USERS, url), None, None, tick_s=0.25, grace_s=1.0)
    return Controller(replace(config, workers=2, **changes), snaps.append)  # type: ignore[arg-type]


async def test_two_workers_share_the_users_and_fold_into_one_run(demo_url: str) -> None:
    snaps: list[Snapshot] = []
    controller = _controller(demo_url, snaps)
    run = asyncio.ensure_future(controller.run())
    await wait_for(
        lambda: bool(snaps) and snaps[-1].load.users == 6 and snaps[-1].total.requests > 50,
        timeout=60,
        what="six users served",
    )
    last = snaps[-1]
    assert [w.users for w in last.workers] == [3, 3]
    assert all(w.alive and w.rss_bytes > 0 for w in last.workers)
    controller.stop(grace=1.0)
    final = await asyncio.wait_for(run, 30)
    served = sum(e.requests for e in final.endpoints)
    assert final.total.requests == served and final.total.failures == 0
    assert final.total.latency.count == final.total.requests  # every request in the merge
    pids = {link.pid for link in controller.links if isinstance(link, ProcessLink)}
    assert len(pids) == 2 and None not in pids  # two processes, not this one


async def test_a_killed_worker_is_an_event_and_its_share_moves(demo_url: str) -> None:
    snaps: list[Snapshot] = []
    controller = _controller(demo_url, snaps)
    run = asyncio.ensure_future(controller.run())
    await wait_for(
        lambda: bool(snaps) and snaps[-1].load.users == 6, timeout=60, what="six users"
    )
    doomed = controller.links[1]
    assert isinstance(doomed, ProcessLink)
    doomed.kill()
    await wait_for(
        lambda: not doomed.alive and snaps[-1].workers[0].users == 6,
        timeout=30,
        what="the survivor holding all six users",
    )
    before = snaps[-1].total.requests
    await wait_for(lambda: snaps[-1].total.requests > before + 20, timeout=30, what="load goes on")
    controller.stop(grace=1.0)
    final = await asyncio.wait_for(run, 30)
    events = [e for s in snaps for e in s.events]
    lost = [e for e in events if e.kind == "warning" and e.message.startswith("worker 1 lost")]
    assert len(lost) == 1 and "its share moves to the 1 other" in lost[0].message
    assert [w.alive for w in final.workers] == [True, False]
    assert final.load.state == "stopped" and final.total.requests > before
