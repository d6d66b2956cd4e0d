"""Data feeders and built-in values at run time, over real loopback servers.

Rows are numbered (r0, r1, ...) and every request carries the row it got, and its user,
in its query or headers, so the recording target (tests/support/recording.py) shows
which user sent which row, in order. Bodies go to the demo target, whose echo and
msgpack routes only succeed when the body rendered as intended. Every run is bounded:
it stops once the server has seen enough, or ends by itself when the rows run out.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import msgpack
from support.datarows import events, query, row_task, rows_file, with_data
from support.recording import RecordingTarget
from support.runs import OnSnapshot, config, run
from support.scenarios import get, post, scenario, user

from loadtui.engine.calls import UserState
from loadtui.engine.controller import Controller
from loadtui.engine.feeders import FeederEvents, load_feeders
from loadtui.engine.gate import Gate
from loadtui.engine.uservars import UserVars, Values
from loadtui.engine.ws_messages import encode_message
from loadtui.metrics.recorder import Recorder
from loadtui.metrics.snapshot import Snapshot
from loadtui.scenario.model import DataSpec, WsMessage

LONG = 30.0  # a run's length when it ends on a condition: only a hang guard


def until_seen(server: RecordingTarget, n: int) -> OnSnapshot:
    """Stop the run once the server has `n` requests under /row."""

    def check(engine: Controller, _snap: Snapshot) -> None:
        if sum(1 for s in server.requests if s.target.startswith("/row")) >= n:
            engine.stop(grace=1.0)

    return check


async def test_per_user_rows_are_held_by_their_user_in_file_order(tmp_path: Path) -> None:
    rows_file(tmp_path, 5)
    text = with_data(scenario(user(row_task(), wait="constant(0.01s)")), mode="cycle")
    with RecordingTarget() as server:
        await run(
            text, server.url, until_seen(server, 30), users=3, spawn_rate=100, duration=LONG,
            folder=tmp_path,
        )  # fmt: skip
        got = [query(s) for s in server.seen("/row")]
    by_user: dict[str, set[str]] = {}
    for q in got:
        by_user.setdefault(q["uid"], set()).add(q["row"])
    assert by_user == {"1": {"r0"}, "2": {"r1"}, "3": {"r2"}}


async def test_per_iteration_cycle_takes_the_next_row_each_iteration(tmp_path: Path) -> None:
    rows_file(tmp_path, 4)
    task = row_task(headers={"X-Word": "{t.word}"})
    text = with_data(scenario(user(task)), pick="per_iteration")
    with RecordingTarget() as server:
        await run(
            text, server.url, until_seen(server, 10), users=1, spawn_rate=10, duration=LONG,
            folder=tmp_path,
        )  # fmt: skip
        seen = server.seen("/row")[:10]
    assert [query(s)["row"] for s in seen] == ["r0", "r1", "r2", "r3"] * 2 + ["r0", "r1"]
    # Every placeholder of one iteration reads the same row.
    assert [s.values("x-word") for s in seen[:4]] == [["w0"], ["w1"], ["w2"], ["w3"]]


async def test_open_model_arrivals_draw_rows_too(tmp_path: Path) -> None:
    rows_file(tmp_path, 3)
    text = with_data(scenario(user(row_task())), pick="per_iteration")
    with RecordingTarget() as server:
        final, _, _ = await run(
            text, server.url, until_seen(server, 9), rate=40, duration=LONG, folder=tmp_path
        )
        rows = [query(s)["row"] for s in server.seen("/row")]
    assert set(rows) == {"r0", "r1", "r2"}
    assert final.total.failures == 0


async def test_random_rows_come_from_the_file(tmp_path: Path) -> None:
    rows_file(tmp_path, 3)
    text = with_data(scenario(user(row_task())), mode="random", pick="per_iteration")
    with RecordingTarget() as server:
        await run(
            text, server.url, until_seen(server, 20), users=1, spawn_rate=10, duration=LONG,
            folder=tmp_path,
        )  # fmt: skip
        rows = [query(s)["row"] for s in server.seen("/row")]
    assert set(rows) <= {"r0", "r1", "r2"} and len(rows) >= 20
    assert len(set(rows)) > 1  # 20 draws of 3 rows: one row only is (1/3)^19 away


async def test_unique_rows_of_two_users_run_out_and_end_the_run(tmp_path: Path) -> None:
    rows_file(tmp_path, 7)
    text = with_data(
        scenario(user(row_task(), wait="constant(0.01s)")),
        mode="unique", pick="per_iteration", on_exhausted="stop",
    )  # fmt: skip
    with RecordingTarget() as server:
        final, snaps, _ = await run(
            text, server.url, users=2, spawn_rate=100, duration=LONG, folder=tmp_path
        )
        got = [query(s) for s in server.seen("/row")]
    assert sorted(q["row"] for q in got) == [f"r{i}" for i in range(7)]  # each once
    assert {q["uid"] for q in got} == {"1", "2"}
    said = events(snaps)
    assert 'data t: all 7 unique rows used; the run ends (on_exhausted = "stop")' in said
    assert "run ended early: data t ran out" in said
    assert final.load.state == "stopped"
    assert final.total.requests == 7 and final.total.failures == 0


async def test_a_user_that_finds_no_unique_row_left_ends_the_run(tmp_path: Path) -> None:
    rows_file(tmp_path, 3)
    text = with_data(
        scenario(user(row_task(), wait="constant(0.01s)")), mode="unique", pick="per_user"
    )
    with RecordingTarget() as server:

        def one_more_user(engine: Controller, _snap: Snapshot) -> None:
            # Once each of the three users has sent with its row, a fourth one starts.
            uids = {query(s)["uid"] for s in server.seen("/row")}
            if uids == {"1", "2", "3"} and engine.workers.users == 3:
                engine.set_users(4, 100)

        final, snaps, _ = await run(
            text, server.url, one_more_user, users=3, spawn_rate=100, duration=LONG,
            folder=tmp_path,
        )  # fmt: skip
        got = [query(s) for s in server.seen("/row")]
    by_user: dict[str, set[str]] = {}
    for q in got:
        by_user.setdefault(q["uid"], set()).add(q["row"])
    assert by_user == {"1": {"r0"}, "2": {"r1"}, "3": {"r2"}}  # the fourth user sent nothing
    said = events(snaps)
    assert 'data t: all 3 unique rows used; the run ends (on_exhausted = "stop")' in said
    assert "run ended early: data t ran out" in said
    assert final.total.failures == 0


async def test_unique_rows_start_over_when_told_to(tmp_path: Path) -> None:
    rows_file(tmp_path, 3)
    text = with_data(
        scenario(user(row_task())), mode="unique", pick="per_iteration", on_exhausted="cycle"
    )
    with RecordingTarget() as server:
        final, snaps, _ = await run(
            text, server.url, until_seen(server, 9), users=1, spawn_rate=10, duration=LONG,
            folder=tmp_path,
        )  # fmt: skip
        rows = [query(s)["row"] for s in server.seen("/row")][:9]
    assert rows == ["r0", "r1", "r2"] * 3
    said = [m for m in events(snaps) if m.startswith("data t:")]
    assert said == ['data t: all 3 unique rows used; starting over (on_exhausted = "cycle")']
    assert final.total.failures == 0


async def test_unique_rows_hold_across_two_worker_processes(tmp_path: Path) -> None:
    rows_file(tmp_path, 12)
    text = with_data(
        scenario(user(row_task(), wait="constant(0.01s)")),
        mode="unique", pick="per_iteration",
    )  # fmt: skip
    with RecordingTarget() as server:
        cfg = config(text, server.url, users=2, spawn_rate=100, duration=LONG, folder=tmp_path)
        snaps: list[Snapshot] = []
        controller = Controller(replace(cfg, workers=2), snaps.append)
        final = await asyncio.wait_for(controller.run(), 90)
        got = [query(s) for s in server.seen("/row")]
    rows = Counter(q["row"] for q in got)
    assert rows == Counter(f"r{i}" for i in range(12)), rows  # every row, none twice
    # Worker i takes rows i, i+2, ..., in order; the run ends once both shares are used.
    by_user = {uid: [q["row"] for q in got if q["uid"] == uid] for uid in ("1", "2")}
    assert by_user == {
        "1": [f"r{i}" for i in range(0, 12, 2)],
        "2": [f"r{i}" for i in range(1, 12, 2)],
    }
    assert any(m.startswith("run ended early: data t ran out") for m in events(snaps))
    assert final.total.failures == 0


async def test_built_in_values_render_per_request(tmp_path: Path) -> None:
    task = get(
        "/row/{uuid}",
        "row",
        query={
            "uid": "{user_id}",
            "n": "{random_int(5, 9)}",
            "s": "{random_string(12)}",
            "t": "{now_ms}",
            "i": "{iteration}",
        },
        headers={"X-Id": "{uuid}"},
    )
    before = time.time_ns() // 1_000_000
    with RecordingTarget() as server:
        await run(
            scenario(user(task)), server.url, until_seen(server, 20), users=2,
            spawn_rate=100, duration=LONG,
        )  # fmt: skip
        seen = [s for s in server.requests if s.target.startswith("/row/")]
    after = time.time_ns() // 1_000_000
    ids = [urlsplit(s.target).path.removeprefix("/row/") for s in seen]
    assert all(uuid.UUID(i).version == 4 for i in ids) and len(set(ids)) == len(ids)
    assert {s.values("x-id")[0] for s in seen}.isdisjoint(ids)  # each placeholder its own
    qs = [query(s) for s in seen]
    assert all(5 <= int(q["n"]) <= 9 for q in qs)
    assert all(re.fullmatch(r"[A-Za-z0-9]{12}", q["s"]) for q in qs)
    assert all(before <= int(q["t"]) <= after for q in qs)
    for uid in ("1", "2"):
        its = [int(q["i"]) for q in qs if q["uid"] == uid]
        assert its and its == list(range(1, len(its) + 1))  # one iteration per task


async def test_data_and_built_ins_in_bodies_reach_the_demo_target(
    demo_url: str, tmp_path: Path
) -> None:
    (tmp_path / "rows.csv").write_text("id,word\nrow-7f3a,w\n")
    echo = post(
        "/api/echo",
        "echo",
        json={"who": "{t.id}", "n": "{random_int(3, 3)}"},
        checks={"status": 200, "body_contains": '{"who":"row-7f3a","n":"3"}'},
    )
    push = post(
        "/api/push",
        "push",
        msgpack={"blob": "{random_bytes(16)}", "who": "{t.id}", "at": "{now_ms}"},
        checks={"status": 201},  # the demo target answers 201 to a msgpack map only
    )
    text = with_data(scenario(user(echo, push, wait="constant(0.01s)")))
    final, _, _ = await run(
        text, demo_url, each_sent(5, "echo", "push"), users=2, spawn_rate=100, duration=LONG,
        folder=tmp_path,
    )  # fmt: skip
    for name in ("echo", "push"):
        ep = final.endpoint(name)
        assert ep is not None and ep.requests > 0 and ep.failures == 0, (name, ep and ep.errors)


def each_sent(n: int, *names: str) -> OnSnapshot:
    """Stop once every one of `names` has `n` requests (tasks are picked at random: a
    count in all left one of two unsent 1 run in 500,000)."""

    def check(engine: Controller, snap: Snapshot) -> None:
        rows = [snap.endpoint(name) for name in names]
        if all(row is not None and row.requests >= n for row in rows):
            engine.stop(grace=1.0)

    return check


def test_a_users_mapping_resolves_its_variables_first() -> None:
    variables = UserVars({"user_id": 3, "uuid": "mine"}, Values())
    state = UserState(3, variables)
    state.iteration = 4
    assert variables["uuid"] == "mine"  # a variable of that name wins over the built-in
    assert variables["iteration"] == 4
    assert isinstance(variables["random_bytes(8)"], bytes)
    assert len(variables["random_bytes(8)"]) == 8
    for missing in ("token", "t.id", "random_int(1)"):
        try:
            variables[missing]
        except KeyError as exc:
            assert exc.args == (missing,)
        else:
            raise AssertionError(f"{missing} resolved")


def test_stream_messages_render_from_the_users_mapping(tmp_path: Path) -> None:
    rows_file(tmp_path, 2)
    spec = DataSpec("t", str(tmp_path / "rows.csv"), "csv", ("id", "word"), 2, used=("id",))
    feeders = load_feeders([spec], random.Random(1), FeederEvents(Recorder(), Gate(), 0, 1))
    plan_vars = UserVars({"user_id": 1}, Values(feeders))
    plan_vars.take_rows(["t"])
    user = UserState(1, plan_vars)
    text = WsMessage("text", "{t.id}:{seq}:{session}:{user_id}", templated=True)
    assert encode_message(text, user, 5, 2) == (b"r0:5:2:1", True)
    blob = WsMessage("msgpack", {"b": "{random_bytes(3)}", "who": "{t.id}"}, templated=True)
    payload, as_text = encode_message(blob, user, 6, 2)
    body = msgpack.unpackb(payload)
    assert not as_text and isinstance(body["b"], bytes) and len(body["b"]) == 3
    assert body["who"] == "r0"  # the user's row, held
