"""Ordered flows against the demo target: a user class with `order = "sequence"` runs
its steps top to bottom, pass after pass, each step fed by the variables the steps
before it extracted in the same pass. The demo's jobs need the token of the login and
the id of the job created, so a step out of order fails (401, 404, "missing variable")
rather than passing by luck."""

from __future__ import annotations

from typing import Any

from support.runs import run
from support.scenarios import Table, get, post, scenario, user

AUTH = {"Authorization": "Bearer {token}"}
STEPS = ("login", "create", "poll", "download")


def login() -> Table:
    return post(
        "/api/login",
        "login",
        json={"user": "u{user_id}", "password": "pw"},
        extract=[{"var": "token", "json": "/token"}],
    )


def create() -> Table:
    return post(
        "/api/jobs",
        "create",
        query={"ms": "0"},
        headers=AUTH,
        extract=[{"var": "job", "json": "/id"}],
    )


def poll() -> Table:
    return get("/api/jobs/{job}", "poll", headers=AUTH, checks={"json": {"/state": "done"}})


def download() -> Table:
    return get("/api/jobs/{job}/result", "download", headers=AUTH, checks={"status": [200]})


def flow(*steps: Table, **fields: Any) -> str:
    return scenario(user(*steps, **fields))


async def test_a_flow_runs_its_steps_in_order_pass_after_pass(demo_url: str) -> None:
    text = flow(login(), create(), poll(), download(), order="sequence")
    final, _, _ = await run(text, demo_url, users=2, spawn_rate=50, iterations=6)
    for name in STEPS:
        row = final.endpoint(name)
        assert row is not None and row.requests == 6, (name, row)
        assert row.failures == 0, (name, row.errors)
    assert final.load.iterations == 6  # an iteration is a pass


async def test_the_same_steps_picked_at_random_fail(demo_url: str) -> None:
    """The control: without the order, steps run before what they need. A user escapes
    only if its first pick is the login and its next new pick the create (1 in 12), so
    with 8 users every one escapes 1 run in 4e8: more users, not a seed, since users
    on one worker draw from one stream in whatever order the loop wakes them."""
    text = flow(login(), create(), poll(), download(), wait="constant(0.005s)")
    final, _, _ = await run(text, demo_url, users=8, spawn_rate=1000, iterations=160)
    missing = {k for k in final.total.errors if k.startswith("missing variable:")}
    assert missing, final.total.errors
    assert final.load.iterations == 160  # an iteration is a task picked


async def test_a_missing_variable_fails_its_own_step_and_sends_nothing(demo_url: str) -> None:
    """`poll` comes before `create`: each pass, it has no job (the one of the pass before
    is forgotten as a pass begins), fails on its own row, and the pass goes on."""
    text = flow(login(), poll(), create(), download(), order="sequence")
    final, _, _ = await run(text, demo_url, users=1, spawn_rate=10, iterations=3)
    row = final.endpoint("poll")
    assert row is not None
    assert row.requests == row.failures == 3
    assert row.errors == {"missing variable: job": 3}
    assert row.status_codes == {} and row.bytes_out == 0  # nothing went on the wire
    for name in ("login", "create", "download"):  # the steps after it ran, and passed
        other = final.endpoint(name)
        assert other is not None and other.requests == 3 and other.failures == 0, name


async def test_an_arrival_of_a_flow_runs_a_whole_pass(demo_url: str) -> None:
    """Open model: each arrival is one pass, its first step timed from its intended start."""
    text = scenario(
        user(login(), create(), poll(), download(), order="sequence"),
        profiles={"open": {"model": "open", "stages": [{"duration": "1s", "rate": 20}]}},
    )
    final, _, _ = await run(text, demo_url, profile="open", grace=5.0)
    rows = [final.endpoint(name) for name in STEPS]
    counts = {row.requests for row in rows if row is not None}
    assert len(counts) == 1 and counts.pop() == final.load.iterations > 5
    assert final.total.failures == 0, final.total.errors
