"""Named steps of a Python task, as a user meets them: `validate` takes thresholds on
step names (with a note), and `loadtui run` gates on each step as on any endpoint,
failing closed on a step that never ran."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import loadtui
from support.scenarios import NOWHERE, call, scenario, user, write

FLOWS = """
from loadtui.tasks import step


async def install(client, vars):
    with step("simple index"):
        r = await client.get("/api/items")
        r.raise_for_status()
        first = r.json()[0]["id"]
    with step("download"):
        (await client.get(f"/api/items/{first}")).raise_for_status()
    await client.get("/health")  # outside any step: the task's own row


async def verify(client, vars):
    with step("verify"):
        await client.get("/api/fast")
        raise ValueError("digest mismatch")
"""
THRESHOLDS = {
    "endpoints": {
        "download": {"error_rate": "== 0", "p99": "< 60s"},
        "verify": {"error_rate": "< 10%"},
        "uplaod": {"p95": "< 1s"},  # no task or step has this name: fails closed
    }
}


def flow(folder: Path) -> Path:
    (folder / "flows.py").write_text(FLOWS)
    # In sequence: each pass runs both tasks (picked at random, a short run on a busy
    # machine could miss one).
    tasks = call("flows:install", "install"), call("flows:verify", "check digest")
    return write(folder, scenario(user(*tasks, order="sequence"), thresholds=THRESHOLDS))


def test_validate_takes_step_names_with_a_note(tmp_path: Path) -> None:
    proc = loadtui("validate", str(flow(tmp_path)), env={"LOADTUI_TARGET": NOWHERE})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert ": ok (" in lines[0] and "4 thresholds" in lines[0]
    notes = [line for line in lines if "note: thresholds.endpoints." in line]
    assert len(notes) == 3, proc.stdout
    assert all("checked at run time" in line for line in notes)


def test_each_step_is_gated_like_an_endpoint(demo_url: str, tmp_path: Path) -> None:
    scen = flow(tmp_path)
    args = ("run", str(scen), "-u", "2", "-r", "100", "-i", "6", "-q", "--report-json", "r.json")
    proc = loadtui(*args, cwd=tmp_path, env={"LOADTUI_TARGET": demo_url})
    assert proc.returncode == 1, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    rows = {e["name"]: e for e in report["endpoints"]}
    assert {"simple index", "download", "verify", "install"} <= set(rows)
    assert rows["download"]["requests"] == 6 and rows["download"]["failures"] == 0
    # The error raised inside the step counts under it, beside its request.
    verify = rows["verify"]
    assert verify["errors"] == {"python: ValueError: digest mismatch": 6}
    assert verify["requests"] == 2 * verify["failures"] == 12
    results = {t["name"]: t for t in report["thresholds"]}
    assert results["download: error_rate == 0"]["ok"] is True
    assert results["download: p99 < 60s"]["ok"] is True
    assert results["verify: error_rate < 10%"]["ok"] is False
    never = results["uplaod: p95 < 1s"]
    assert never["ok"] is False and never["observed"] is None and never["reason"]
    assert report["passed"] is False
