"""One callback-driven user (engine/driven.py) against a scripted loopback target.

The user runs on a real pool and connection, bound by the engine's own Binder; the
target's script fixes what every request gets, so each test knows the exact counts.
Where a test acts "while a request is out", the target holds that request until the
test releases it: no sleeps, no timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.scenarios import call, get, load, post, scenario, user
from support.scripted import ScriptedTarget, expected_errors
from support.waits import wait_for

from loadtui.engine.calls import UserState
from loadtui.engine.driven import DrivenUser, driven_eligible
from loadtui.engine.gate import Gate
from loadtui.engine.http.pool import Pool
from loadtui.engine.http.poolset import PoolSet
from loadtui.engine.plan import Binder, ClassPlan
from loadtui.metrics.recorder import EndpointRecorder, Recorder
from loadtui.scenario.select import pick_target

TIMEOUT = {"connect": "3s", "read": "1.5s", "total": "30s"}  # read: past a busy machine's stalls


@dataclass
class Driven:
    """A DrivenUser running as its own task, with what a test looks at."""

    user: UserState
    gate: Gate
    task: asyncio.Task[None]
    rec: EndpointRecorder
    pool: Pool

    def errors(self) -> dict[str, int]:
        return dict(self.rec.errors)


def _plan(text: str, url: str, folder: Path | None = None) -> tuple[ClassPlan, PoolSet, Recorder]:
    scen = load(text, url, folder)
    target = pick_target(scen, None)
    pools, recorder = PoolSet.for_target(target), Recorder()
    return Binder(target, pools, recorder).plan(scen.users[0]), pools, recorder


@pytest.fixture
async def drive() -> AsyncIterator[Callable[..., Driven]]:
    """Start a DrivenUser on the first class of a scenario aimed at a target; every
    one started is cancelled and its pools closed at the end."""
    started: list[tuple[Driven, PoolSet]] = []

    def start(text: str, target: ScriptedTarget, *, paused: bool = False) -> Driven:
        plan, pools, recorder = _plan(text, target.url)
        assert driven_eligible(plan)
        gate = Gate()
        if paused:
            gate.pause()
        state = UserState(1, plan.initial_vars(1))
        task = asyncio.get_running_loop().create_task(
            DrivenUser(plan, state, gate, random.Random(1)).run()
        )
        (task_def,) = plan.cls.tasks
        rec = recorder.endpoint(task_def.name, task_def.method)
        driven = Driven(state, gate, task, rec, pools.pool_for(target.url))
        started.append((driven, pools))
        return driven

    yield start
    for driven, pools in started:
        driven.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await driven.task
        await pools.close()


async def _cut_off(d: Driven) -> None:
    """Cancel the user's task, as a run's stop does once the grace is over."""
    d.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await d.task


def _one(*tasks: dict, wait: str | None = None, **target: object) -> str:
    return scenario(user(*tasks, wait=wait), timeout=TIMEOUT, **target)


GET = _one(get("/x", "x"))


def test_eligible_classes_are_declarative_http1_without_think_time(tmp_path: Path) -> None:
    (tmp_path / "flows.py").write_text("async def fn(client, vars):\n    pass\n")

    def eligible(text: str) -> bool:
        return driven_eligible(_plan(text, "http://127.0.0.1:9", tmp_path)[0])

    assert eligible(GET)
    assert eligible(_one(get("/a", "a"), post("/b", "b", json={"n": "{user_id}"})))
    assert eligible(_one(get("/x", "x"), wait="pacing(0.1s)"))
    assert not eligible(_one(get("/x", "x"), wait="constant(0s)"))
    assert not eligible(_one(get("/x", "x"), wait="uniform(0s, 1s)"))
    assert not eligible(_one(get("/x", "x"), http2=True))
    assert not eligible(_one(get("/x", "x"), call("flows:fn", "py")))


async def test_every_reply_is_counted_once_as_the_script_says(
    drive: Callable[..., Driven],
) -> None:
    script = ["ok", "ok", "500", "ok", "close-mid-body", "garbage", "ok", "silent", "ok"]
    with ScriptedTarget(script) as target:
        d = drive(GET, target)
        await target.until_parked()
        await _cut_off(d)
    assert d.errors() == expected_errors(script) | {"unfinished": 1}
    assert d.rec.status_codes == {200: 5, 500: 1}
    assert d.rec.interval_requests == len(script) + 1 == target.served
    assert d.rec.bytes_in == 5 * 2 + 4  # judged bodies: "ok" x5, "oops"
    assert d.user.iteration == len(script) + 1  # one per task picked
    assert d.pool.retries == 0


async def test_an_answer_nobody_asked_for_ends_its_connection_and_answers_nothing(
    drive: Callable[..., Driven],
) -> None:
    # The second response of "double" arrives with the first: the next request is sent
    # only once those bytes are handled, so it is not taken for that request's answer.
    with ScriptedTarget(["ok", "double", "ok", "ok"]) as target:
        d = drive(GET, target)
        await target.until_parked()
        await _cut_off(d)
    assert d.rec.status_codes == {200: 4}
    assert d.errors() == {"unfinished": 1}
    assert target.served == 5
    assert d.pool.connects == 2  # the out-of-step connection was dropped


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_the_keep_alive_race_is_retried_once_for_idempotent_requests(
    drive: Callable[..., Driven], method: str
) -> None:
    task = get("/x", "x") if method == "GET" else post("/x", "x")
    # A reused connection closed or reset before any byte of the answer: a GET goes
    # again on a new connection (once: the fresh one's own failure counts); a POST never.
    script = ["ok", "reset", "ok", "ok", "close", "close", "ok"]
    with ScriptedTarget(script) as target:
        d = drive(_one(task), target)
        await target.until_parked()
        await _cut_off(d)
    if method == "GET":
        assert d.pool.retries == 2
        assert d.errors() == {"closed": 1, "unfinished": 1}
        assert d.rec.status_codes == {200: 4}
        assert d.rec.interval_requests == 6 == target.served - 2
    else:
        assert d.pool.retries == 0
        # "close" on a fresh connection (after the reset killed the first) is no race.
        assert d.errors() == {"reset": 1, "closed": 2, "unfinished": 1}
        assert d.rec.interval_requests == len(script) + 1 == target.served


async def test_a_cut_off_counts_the_request_out_and_drops_its_connection(
    drive: Callable[..., Driven],
) -> None:
    with ScriptedTarget([]) as target:
        d = drive(GET, target)
        await target.until_parked()
        await wait_for(lambda: d.pool.gauges()["in_use"] == 1, what="the request is out")
        await _cut_off(d)
    assert d.errors() == {"unfinished": 1}
    assert d.rec.interval_requests == 1
    assert d.pool.gauges()["open"] == 0


async def test_a_user_asked_to_stop_finishes_its_request_and_sends_no_more(
    drive: Callable[..., Driven],
) -> None:
    with ScriptedTarget(["ok", "held", "ok"]) as target:
        d = drive(GET, target)
        await target.until_holding()
        assert d.user.busy  # a retire or a stop lets it finish
        d.user.stopping = True
        target.release()
        await asyncio.wait_for(d.task, 15)
    assert d.errors() == {}
    assert d.rec.status_codes == {200: 2}
    assert target.served == 2
    assert not d.user.busy
    assert d.pool.gauges()["idle"] == 1  # its connection went back to the pool


async def test_a_pause_holds_the_next_request_until_resumed(
    drive: Callable[..., Driven],
) -> None:
    with ScriptedTarget(["ok", "held", "ok"]) as target:
        d = drive(GET, target, paused=True)
        await asyncio.sleep(0)  # the user's first step: it must not even connect
        assert d.pool.gauges()["connecting"] == d.pool.gauges()["connects"] == 0
        d.gate.resume()
        await target.until_holding()
        d.gate.pause()
        target.release()
        await wait_for(lambda: d.rec.status_codes.get(200) == 2, what="the held answer")
        # Judged in the callback, which then sent nothing: the connection is idle.
        assert d.pool.gauges()["idle"] == 1 and target.served == 2
        d.gate.resume()
        await target.until_parked()
        await _cut_off(d)
    assert d.rec.status_codes == {200: 3}
    assert d.errors() == {"unfinished": 1}


async def test_a_retry_after_is_honoured_before_the_next_request(
    drive: Callable[..., Driven],
) -> None:
    text = _one(get("/x", "x", on_429="honor"))
    with ScriptedTarget(["ok", "429", "ok"]) as target:
        d = drive(text, target)
        await target.until_parked()
        await _cut_off(d)
    assert d.rec.honoured_count == 1 and d.rec.rl_waited_s >= 0.1
    assert d.rec.status_codes == {200: 2, 429: 1}
    assert d.errors() == {"unfinished": 1}
    assert d.rec.interval_requests == 3  # the refusal is neither a request nor a failure


async def test_templated_requests_and_extracted_values_flow_through_the_chain(
    drive: Callable[..., Driven],
) -> None:
    text = _one(get("/item/{user_id}", "item", headers={"X-Try": "{user_id}"}))
    with ScriptedTarget(["ok"] * 5) as target:
        d = drive(text, target)
        await target.until_parked()
        await _cut_off(d)
    assert d.rec.status_codes == {200: 5}
    assert d.errors() == {"unfinished": 1}


async def test_a_request_that_cannot_be_encoded_is_counted_and_the_loop_goes_on(
    drive: Callable[..., Driven],
) -> None:
    text = _one(get("/item/{missing}", "item"))
    with ScriptedTarget([]) as target:
        d = drive(text, target)
        await wait_for(lambda: d.rec.interval_requests >= 200, what="failures counted")
        await _cut_off(d)
    assert set(d.errors()) == {"missing variable: missing"}
    assert target.served == 0
