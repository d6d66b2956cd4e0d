"""Workers as Ray actors on a local Ray cluster of two nodes (`ray.cluster_utils`): the
run spreads one actor per node, folds their deltas into one, and when a node is
removed mid-run its actor is lost, said in a warning, and its share moves to the
survivor. Skipped only when the `ray` extra is not installed (`.ci/run` installs it)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from support.scenarios import api_fast, load, scenario, user
from support.waits import wait_for

from loadtui.engine.commands import ArrivalRate, Finish, Hold, SetUsers, Share, Stop
from loadtui.engine.config import build_run_config
from loadtui.engine.controller import Controller
from loadtui.engine.raylink import RayLink
from loadtui.metrics.snapshot import Snapshot

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

SIX_USERS = scenario(
    user(api_fast(), wait="constant(0.02s)"),
    profiles={"six": {"stages": [{"duration": "60s", "users": 6, "spawn_rate": 100}]}},
)
NODE = {"num_cpus": 1, "object_store_memory": 80 * 1024 * 1024, "include_dashboard": False}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A head node and one more, one CPU each: two actors of one CPU land one per node."""
    two = Cluster(initialize_head=True, head_node_args=NODE)
    two.add_node(**{k: v for k, v in NODE.items() if k != "include_dashboard"})
    two.wait_for_nodes()
    ray.init(address=two.address, logging_level="WARNING", log_to_driver=False)
    try:
        yield two
    finally:
        ray.shutdown()
        two.shutdown()


def test_commands_cross_the_ray_object_store_unchanged(cluster: Any) -> None:
    for command in (SetUsers(4, 2.0), Stop(1.0, "x"), Share(3, 1, 1.5, None, True),
                    ArrivalRate(10.0, 8), Hold(True), Finish(0.5)):  # fmt: skip
        assert ray.get(ray.put(command)) == command


async def test_a_removed_node_loses_its_actor_and_the_survivor_takes_the_share(
    cluster: Any, demo_url: str
) -> None:
    snaps: list[Snapshot] = []
    config = build_run_config(load(SIX_USERS, demo_url), None, None, tick_s=0.25, grace_s=1.0)
    controller = Controller(replace(config, workers=2, ray=cluster.address), snaps.append)
    assert all(isinstance(link, RayLink) for link in controller.links)
    run = asyncio.ensure_future(controller.run())
    await wait_for(
        lambda: bool(snaps) and snaps[-1].load.users == 6 and snaps[-1].total.requests > 30,
        timeout=90,
        what="six users served by two actors",
    )
    assert [w.users for w in snaps[-1].workers] == [3, 3]
    (other,) = cluster.worker_nodes
    cluster.remove_node(other, allow_graceful=False)
    await wait_for(
        lambda: sum(not w.alive for w in snaps[-1].workers) == 1
        and sum(w.users for w in snaps[-1].workers if w.alive) == 6,
        timeout=60,
        what="one actor lost, the other holding all six users",
    )
    before = snaps[-1].total.requests
    await wait_for(lambda: snaps[-1].total.requests > before + 20, timeout=30, what="load goes on")
    controller.stop(grace=1.0)
    final = await asyncio.wait_for(run, 60)
    lost = [e.message for s in snaps for e in s.events if "lost" in e.message]
    assert len(lost) == 1 and "its share moves to the 1 other" in lost[0]
    assert final.load.state == "stopped" and final.total.failures == 0
