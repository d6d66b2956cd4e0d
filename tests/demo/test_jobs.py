"""The demo target's jobs and logout: each step needs the one before it (a token, the
job's id, the job done), and says so with its status when it is run out of order."""

from __future__ import annotations

import httpx
import pytest
from support.clocks import FakeClock
from support.waits import wait_until

from loadtui.demo import jobs
from loadtui.demo.jobs import JobStore


def _login(client: httpx.Client, user: str = "a") -> dict[str, str]:
    token = client.post("/api/login", json={"user": user, "password": "pw"}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_a_job_is_created_polled_and_downloaded_in_order(client: httpx.Client) -> None:
    auth = _login(client)
    made = client.post("/api/jobs", params={"ms": 50}, headers=auth)
    assert made.status_code == 201 and made.json()["state"] == "running"
    job = made.json()["id"]
    early = client.get(f"/api/jobs/{job}/result", headers=auth)
    assert early.status_code == 409  # not done yet
    wait_until(
        lambda: client.get(f"/api/jobs/{job}", headers=auth).json()["state"] == "done",
        what="the job done",
    )
    result = client.get(f"/api/jobs/{job}/result", headers=auth)
    assert result.status_code == 200 and result.json()["id"] == job


def test_steps_out_of_order_or_by_another_user_fail(client: httpx.Client) -> None:
    assert client.post("/api/jobs").status_code == 401  # no login
    auth, other = _login(client, "a"), _login(client, "b")
    job = client.post("/api/jobs", params={"ms": 0}, headers=auth).json()["id"]
    assert client.get(f"/api/jobs/{job}", headers=other).status_code == 404  # not theirs
    assert client.get("/api/jobs/nope", headers=auth).status_code == 404
    assert client.get(f"/api/jobs/{job}/other", headers=auth).status_code == 404
    assert client.post("/api/jobs", params={"ms": -1}, headers=auth).status_code == 400


def test_logout_forgets_the_token_once(client: httpx.Client) -> None:
    auth = _login(client)
    assert client.post("/api/logout", headers=auth).status_code == 200
    assert client.get("/api/me", headers=auth).status_code == 401
    assert client.post("/api/logout", headers=auth).status_code == 401  # twice: unknown


def test_jobs_are_done_on_the_store_clock_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock(10.0)
    store = JobStore(clock)
    job_id = store.create("t", 100)
    job = store.find("t", job_id)
    assert job is not None and not store.done(job) and store.find("u", job_id) is None
    clock.now += 0.1
    assert store.done(job) and store.created == 1
    monkeypatch.setattr(jobs, "MAX_JOBS", 2)
    later = [store.create("t", 0) for _ in range(2)]
    assert store.find("t", job_id) is None  # the oldest is forgotten first
    assert all(store.find("t", j) is not None for j in later)
