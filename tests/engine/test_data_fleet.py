"""Unique data rows over worker processes, as k6's shared iterations over a SharedArray
behave: every row is used once in the whole run; a worker left without rows (fewer rows
than workers) runs no iteration of the classes that need them and says so; and a
per-iteration table ends the run once every worker has spent its share, not when the
first one has. Real worker processes, against a recording loopback target."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Unpack

from support.datarows import events, query, row_task, rows_file, with_data
from support.recording import RecordingTarget
from support.runs import Settings, config
from support.scenarios import api_fast, scenario, user

from loadtui.engine.commands import DATA_USED
from loadtui.engine.controller import Controller
from loadtui.engine.feeders import FeederEvents, load_feeders
from loadtui.engine.gate import Gate
from loadtui.engine.worker import Worker
from loadtui.metrics.recorder import Recorder
from loadtui.metrics.snapshot import Snapshot
from loadtui.scenario.model import DataSpec

NONE_FOR_1 = (
    "data t: 1 unique row for 2 workers, none for worker 1: "
    "its users of the classes that use them do no iterations"
)
HANG_GUARD = 60.0  # each run ends by itself; this only bounds a hang


async def on_two_workers(
    text: str, url: str, **settings: Unpack[Settings]
) -> tuple[Snapshot, list[Snapshot]]:
    snaps: list[Snapshot] = []
    cfg = config(text, url, spawn_rate=100, **settings)
    controller = Controller(replace(cfg, workers=2), snaps.append)
    final = await asyncio.wait_for(controller.run(), HANG_GUARD)
    return final, snaps


async def test_one_row_for_two_workers_is_used_once_and_ends_the_run(tmp_path: Path) -> None:
    rows_file(tmp_path, 1)
    text = with_data(scenario(user(row_task())), mode="unique", pick="per_iteration")
    with RecordingTarget() as server:
        final, snaps = await on_two_workers(
            text, server.url, users=2, duration=HANG_GUARD, folder=tmp_path
        )
        got = [query(s) for s in server.seen("/row")]
    assert got == [{"uid": "1", "row": "r0"}]  # worker 0's user; worker 1's sent nothing
    said = events(snaps)
    assert NONE_FOR_1 in said
    assert 'data t: every worker\'s share used; the run ends (on_exhausted = "stop")' in said
    assert "run ended early: data t ran out" in said
    assert final.total.requests == 1 and final.total.failures == 0


async def test_the_run_ends_once_every_workers_share_is_spent(tmp_path: Path) -> None:
    """5 rows: worker 0 holds 3, worker 1 holds 2 and spends them first. It waits,
    paused, for worker 0's third row (ending there would leave it unused)."""
    rows_file(tmp_path, 5)
    text = with_data(
        scenario(user(row_task(), wait="constant(0.3s)")), mode="unique", pick="per_iteration"
    )
    with RecordingTarget() as server:
        final, snaps = await on_two_workers(
            text, server.url, users=2, duration=HANG_GUARD, folder=tmp_path
        )
        got = [query(s) for s in server.seen("/row")]
    assert Counter(q["row"] for q in got) == Counter(f"r{i}" for i in range(5))  # each once
    assert sorted((q["uid"], q["row"]) for q in got) == [
        ("1", "r0"), ("1", "r2"), ("1", "r4"), ("2", "r1"), ("2", "r3"),
    ]  # fmt: skip
    said = events(snaps)
    for w, share in ((0, "3 of 5"), (1, "2 of 5")):
        assert (
            f"data t: worker {w}'s share ({share} rows) used; "
            "its users wait for the other workers' shares"
        ) in said
    assert "run ended early: data t ran out" in said
    assert final.total.failures == 0


async def test_a_counted_run_hands_an_idle_workers_iterations_to_the_other(
    tmp_path: Path,
) -> None:
    """per_user, 1 row, 2 workers, -i 4: worker 1's user holds no row and waits, so its
    share of the count goes to worker 0, whose user does all 4 iterations with the row
    it holds; the run ends on the count (not on the data)."""
    rows_file(tmp_path, 1)
    text = with_data(scenario(user(row_task())), mode="unique", pick="per_user")
    with RecordingTarget() as server:
        final, snaps = await on_two_workers(
            text, server.url, users=2, iterations=4, folder=tmp_path
        )
        got = [query(s) for s in server.seen("/row")]
    assert got == [{"uid": "1", "row": "r0"}] * 4
    said = events(snaps)
    assert NONE_FOR_1 in said and not any(m.startswith("run ended early") for m in said)
    assert final.load.iterations == 4 and final.total.failures == 0


def test_a_worker_without_rows_starves_only_the_classes_that_read_them(tmp_path: Path) -> None:
    """Worker 1 of 2, built in this process: the class reading `t` is starved (no user
    of it iterates, no arrival goes to it), the other class is not."""
    rows_file(tmp_path, 1)
    text = with_data(
        scenario(user(row_task(), name="reader"), user(api_fast(), name="browser")),
        mode="unique",
    )
    cfg = config(text, "http://127.0.0.1:9", users=2, folder=tmp_path)
    worker = Worker(cfg, index=1, count=2)
    starved = {p.cls.name: p.starved for p in worker.users.plans}
    assert starved == {"reader": True, "browser": False}
    assert not worker.users.starved  # the browsers still iterate here
    assert [p.cls.name for p in worker.arrivals.plans] == ["browser"]
    assert [e.message for e in worker.recorder.events.take()] == [NONE_FOR_1]


def test_a_spent_share_stays_spent_when_the_operator_resumes(tmp_path: Path) -> None:
    """A worker that spent its share waits, paused, for the others; a resume (the
    operator's, broadcast to every worker) does not let its users find no row and fail:
    the next draw pauses it again."""
    rows_file(tmp_path, 2)
    spec = DataSpec(
        "t", str(tmp_path / "rows.csv"), "csv", ("id", "word"), 2,
        mode="unique", pick="per_iteration", used=("id",),
    )  # fmt: skip
    gate, recorder = Gate(), Recorder()
    (feeder,) = load_feeders([spec], random.Random(1), FeederEvents(recorder, gate, 0, 2)).values()
    assert feeder.draw() == ("r0",) and gate.paused  # worker 0's share: row 0 only
    gate.resume()
    assert feeder.draw() is None and gate.paused
    [event] = recorder.events.take()
    assert event.data == {DATA_USED: "t"}
