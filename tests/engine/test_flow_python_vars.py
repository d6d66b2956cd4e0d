"""What a Python step puts in `vars` is forgotten as an ordered flow's next pass begins,
as what a declarative step extracts is (test_flows.py): a step that comes before the
one that sets its variable fails "missing variable" on its own row every pass, whether
the step is declarative or Python, instead of sending the previous pass's job. What a
Python on_start step sets is the user's, and stays for every pass. Against the demo
target, whose jobs need the login's token and belong to the job's creator."""

from __future__ import annotations

from pathlib import Path

from support.runs import run
from support.scenarios import call, get, scenario, user

from loadtui.engine.uservars import UserVars, Values

JOBS = """
async def login(client, vars):
    r = await client.post("/api/login", json={"user": f"u{vars['user_id']}", "password": "pw"})
    r.raise_for_status()
    vars["token"] = r.json()["token"]


def auth(vars):
    return {"Authorization": f"Bearer {vars['token']}"}


async def create(client, vars):
    r = await client.post("/api/jobs", params={"ms": "0"}, headers=auth(vars))
    r.raise_for_status()
    vars["job"] = r.json()["id"]


async def peek(client, vars):
    job = vars["job"]  # a variable the user lacks fails the step, named after it
    r = await client.get(f"/api/jobs/{job}", headers=auth(vars))
    r.raise_for_status()
"""
AUTH = {"Authorization": "Bearer {token}"}


async def test_a_python_steps_variables_are_forgotten_as_a_pass_begins(
    demo_url: str, tmp_path: Path
) -> None:
    (tmp_path / "jobs.py").write_text(JOBS)
    steps = (
        get("/api/jobs/{job}", "poll", headers=AUTH),  # before create: no job this pass
        call("jobs:peek", "peek"),  # the same, as a Python step
        call("jobs:create", "create"),
        get("/api/jobs/{job}/result", "download", headers=AUTH),  # this pass's job
    )
    text = scenario(user(*steps, order="sequence", on_start=(call("jobs:login", "login"),)))
    final, _, _ = await run(text, demo_url, users=1, spawn_rate=10, iterations=3, folder=tmp_path)
    rows = {ep.name: ep for ep in final.endpoints}
    for name in ("poll", "peek"):
        row = rows[name]
        assert row.requests == row.failures == 3, (name, row.errors)
        assert row.errors == {"missing variable: job": 3}, name
        assert row.status_codes == {} and row.bytes_out == 0, name  # nothing was sent
    for name in ("create", "download"):  # create needs the token of the Python on_start
        row = rows[name]
        assert row.requests == 3 and row.failures == 0, (name, row.errors)
    assert rows["login"].requests == 1 and rows["login"].failures == 0


def test_a_pass_keeps_what_the_user_had_before_its_first_pass() -> None:
    v = UserVars({"user_id": 1, "page": "1"}, Values())
    v["token"] = "from on_start"
    v.begin_pass()  # the first pass: nothing to forget yet
    v["job"], v["page"], v["token"] = "j1", "2", "refreshed"
    v.begin_pass()
    assert v == {"user_id": 1, "page": "2", "token": "refreshed"}
    v["job"] = "j2"
    v.begin_pass()
    assert "job" not in v
