"""`[[users.on_stop]]` against the demo target: each user runs its on_stop steps once on
its way out, whether it is retired (fewer users) or the run stops gracefully, busy or
idle, paused or not; steps still running when the grace ends are cut off and counted
as unfinished. The demo's logout answers 401 for a token it does not know, so a user
logging out twice, or with another user's token, fails."""

from __future__ import annotations

from support.runs import run
from support.scenarios import Table, api_delay, get, post, scenario, user

from loadtui.engine.controller import Controller
from loadtui.metrics.snapshot import Snapshot

AUTH = {"Authorization": "Bearer {token}"}
LOGIN = post(
    "/api/login",
    "login",
    json={"user": "u{user_id}", "password": "pw"},
    extract=[{"var": "token", "json": "/token"}],
)
LOGOUT = post("/api/logout", "logout", headers=AUTH, checks={"status": [200]})
ME = get("/api/me", "me", headers=AUTH, checks={"status": [200]})


def members(*tasks: Table, on_stop: Table = LOGOUT, wait: str | None = "constant(0.02s)") -> str:
    return scenario(user(*tasks, wait=wait, on_start=(LOGIN,), on_stop=[on_stop]))


def count(snap: Snapshot, name: str) -> int:
    row = snap.endpoint(name)
    return row.requests if row is not None else 0


async def test_retired_users_and_the_rest_at_stop_each_log_out_once(demo_url: str) -> None:
    seen: list[str] = []

    def steer(engine: Controller, snap: Snapshot) -> None:
        if not seen and snap.load.users == 3 and count(snap, "me") >= 3:
            seen.append("retire")
            engine.set_users(1)
        elif seen == ["retire"] and count(snap, "logout") == 2 and snap.load.users == 1:
            seen.append("stop")  # the two retired users left while the run went on
            engine.stop()

    final, _, _ = await run(members(ME), demo_url, steer, users=3, spawn_rate=50, duration=30)
    assert seen == ["retire", "stop"]
    logout = final.endpoint("logout")
    assert logout is not None and logout.requests == 3 and logout.failures == 0, logout
    me = final.endpoint("me")
    assert me is not None and me.failures == 0, me


async def test_a_busy_user_finishes_its_call_then_leaves(demo_url: str) -> None:
    """No think time: the users are in a call when the stop comes, and finish it first."""

    def steer(engine: Controller, snap: Snapshot) -> None:
        if count(snap, "delay") >= 4:
            engine.stop()

    text = members(api_delay(100), wait=None)
    final, _, _ = await run(text, demo_url, steer, users=2, spawn_rate=50, duration=30)
    delay, logout = final.endpoint("delay"), final.endpoint("logout")
    assert delay is not None and "unfinished" not in delay.errors
    assert logout is not None and logout.requests == 2 and logout.failures == 0


async def test_users_leave_through_a_pause(demo_url: str) -> None:
    def steer(engine: Controller, snap: Snapshot) -> None:
        if snap.load.state == "running" and count(snap, "me") >= 4:
            engine.pause()
        elif snap.load.state == "paused":
            engine.stop()

    final, _, _ = await run(members(ME), demo_url, steer, users=2, spawn_rate=50, duration=30)
    logout = final.endpoint("logout")
    assert logout is not None and logout.requests == 2 and logout.failures == 0


async def test_on_stop_steps_past_the_grace_are_cut_off_as_unfinished(demo_url: str) -> None:
    slow_goodbye = api_delay(10_000, "goodbye")

    def steer(engine: Controller, snap: Snapshot) -> None:
        if count(snap, "me") >= 4:
            engine.stop()

    text = members(ME, on_stop=slow_goodbye)
    final, _, _ = await run(text, demo_url, steer, users=2, spawn_rate=50, duration=30, grace=0.3)
    goodbye = final.endpoint("goodbye")
    assert goodbye is not None and goodbye.errors == {"unfinished": 2}
    assert final.load.state == "stopped"
