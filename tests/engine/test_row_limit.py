"""Endpoint rows named at run time are bounded: a Python task that puts an id in its
step name makes at most MAX_NAMED_ROWS rows (plus one for the rest), says so once, and
loses no request. In one process and across two worker processes (the fold applies the
limit again: each worker meets other names)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from support.recording import RecordingTarget
from support.runs import config
from support.scenarios import call, scenario, user

from loadtui.engine.controller import Controller
from loadtui.engine.pycalls import row_name
from loadtui.metrics.fold import Fold
from loadtui.metrics.recorder import Recorder
from loadtui.metrics.rows import MAX_NAMED_ROWS, OTHER_NAMES, ROWS_EVENT
from loadtui.metrics.snapshot import LoadState, Snapshot
from loadtui.tasks import MAX_NAME

NAMES = 3 * MAX_NAMED_ROWS

# One request per run of the task, each under a name never seen before (the pid keeps
# the names of two worker processes apart).
TASKS = """
import itertools
import os

from loadtui.tasks import step

_n = itertools.count()


async def by_id(client, vars):
    with step(f"user {os.getpid()}-{next(_n)}"):
        await client.get("/api/fast")


async def failing(client, vars):
    with step(f"broken {next(_n)}"):
        raise RuntimeError("no")
"""


def rows_warnings(snaps: list[Snapshot]) -> list[str]:
    return [e.data[ROWS_EVENT] for s in snaps for e in s.events if ROWS_EVENT in e.data]


def test_a_recorder_keeps_declared_rows_and_sends_new_names_past_the_limit_to_one_row() -> None:
    rec = Recorder()
    rec.start()
    rec.endpoint("login", "POST").success(100, 200)  # the scenario's own: never limited
    for i in range(NAMES):
        rec.named(f"user {i}", "GET").success(100, 200)
    rec.endpoint("logout", "POST").success(100, 200)  # declared after the limit: still its own
    snap = rec.tick(load=LoadState())
    names = [ep.name for ep in snap.endpoints]
    assert len(names) == MAX_NAMED_ROWS + 3
    assert names[0] == "login" and names[-1] == "logout" and OTHER_NAMES in names
    assert f"user {MAX_NAMED_ROWS - 1}" in names and f"user {MAX_NAMED_ROWS}" not in names
    other = snap.endpoint(OTHER_NAMES)
    assert other is not None and other.requests == NAMES - MAX_NAMED_ROWS
    assert snap.total.requests == NAMES + 2
    assert rows_warnings([snap]) == [f"user {MAX_NAMED_ROWS}"]
    rec.named("user 0").success(100, 200)  # admitted names keep their row
    rec.named("user 99999").success(100, 200)
    again = rec.tick(load=LoadState())
    assert len(again.endpoints) == len(names) and not rows_warnings([again])
    assert [ep.requests for ep in again.endpoints if ep.name == "user 0"] == [2]


def test_the_fold_limits_the_names_of_all_workers_together_and_warns_once() -> None:
    fold = Fold()
    fold.start()
    workers = [Recorder(), Recorder()]
    half = MAX_NAMED_ROWS * 3 // 4  # each worker under the limit, both together over it
    for w, rec in enumerate(workers):
        rec.start()
        rec.endpoint("login").success(100, 200)
        for i in range(half):
            rec.named(f"w{w} user {i}").success(100, 200)
    snaps = []
    for _ in range(2):  # a second tick: no new rows, no second warning
        for w, rec in enumerate(workers):
            fold.add(rec.take_delta(w))
        snaps.append(fold.snapshot(load=LoadState()))
    snap = snaps[-1]
    assert len(snap.endpoints) == MAX_NAMED_ROWS + 2  # login, the admitted, the rest
    assert snap.total.requests == 2 * (half + 1)
    other = snap.endpoint(OTHER_NAMES)
    assert other is not None and other.requests == 2 * half - MAX_NAMED_ROWS
    # Both workers now pass their limit too: their warnings and the fold's are one.
    for w, rec in enumerate(workers):
        for i in range(half, MAX_NAMED_ROWS + 1):
            rec.named(f"w{w} user {i}").success(100, 200)
        fold.add(rec.take_delta(w))
    snaps.append(fold.snapshot(load=LoadState()))
    assert len(snaps[-1].endpoints) == MAX_NAMED_ROWS + 2
    (first,) = rows_warnings(snaps)  # the fold's own, at the first tick
    assert first.startswith("w1 user ") and snaps[0].endpoint(first) is None


def run_many(url: str, folder: Path, task: str, *, workers: int = 1) -> Controller:
    (folder / "named.py").write_text(TASKS)
    text = scenario(user(call(f"named:{task}", task)))
    cfg = config(text, url, users=8, iterations=NAMES, folder=folder, tick=0.25)
    return Controller(replace(cfg, workers=workers), lambda _: None)


async def finish(controller: Controller) -> list[Snapshot]:
    snaps: list[Snapshot] = []
    controller.on_snapshot = snaps.append
    await asyncio.wait_for(controller.run(), 120)
    return snaps


def check_rows(snaps: list[Snapshot], sent: int) -> None:
    final = snaps[-1]
    named = [ep for ep in final.endpoints if ep.name != OTHER_NAMES]
    assert len(named) == MAX_NAMED_ROWS and final.endpoint(OTHER_NAMES) is not None
    # Every request sent is counted, in its row or the shared one.
    assert sent == NAMES and final.total.requests == NAMES and final.total.failures == 0
    assert sum(ep.requests for ep in final.endpoints) == NAMES
    (first,) = rows_warnings(snaps)
    assert first.startswith("user ") and final.endpoint(first) is None


async def test_a_task_naming_a_step_per_id_gets_bounded_rows(tmp_path: Path) -> None:
    with RecordingTarget() as server:
        snaps = await finish(run_many(server.url, tmp_path, "by_id"))
        check_rows(snaps, len(server.requests))


async def test_two_worker_processes_fold_into_the_same_bounded_rows(tmp_path: Path) -> None:
    with RecordingTarget() as server:
        snaps = await finish(run_many(server.url, tmp_path, "by_id", workers=2))
        check_rows(snaps, len(server.requests))
    assert len(snaps[-1].workers) == 2


async def test_errors_in_steps_named_per_run_are_bounded_too(tmp_path: Path) -> None:
    controller = run_many("http://127.0.0.1:9", tmp_path, "failing")  # sends nothing
    final = (await finish(controller))[-1]
    assert len(final.endpoints) == MAX_NAMED_ROWS + 1
    assert final.total.failures == NAMES
    other = final.endpoint(OTHER_NAMES)
    assert other is not None and other.errors == {
        "python: RuntimeError: no": NAMES - MAX_NAMED_ROWS
    }


def test_a_name_given_at_run_time_is_text_cut_like_a_step_name() -> None:
    long = row_name("x" * (MAX_NAME * 5))  # `extensions={"name": ...}` is not checked
    assert len(long) == MAX_NAME and long.endswith("…")
    assert row_name(7) == "7" and row_name("download") == "download"
