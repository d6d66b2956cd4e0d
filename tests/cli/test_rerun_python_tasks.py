"""`rerun` runs Python tasks only from a scenario file the operator names.

A session names where its scenario was; a crafted one can point at a folder holding a
module that runs code when imported. Without --scenario, rerun refuses such a session
in one line (exit 2) and imports nothing: the module here writes a marker file at import,
and the marker must not appear. Named with --scenario, the same tasks run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.cli import loadtui

DECLARATIVE = """
name = "plain"
[targets.local]
url = "{url}"
[[users]]
name = "u"
wait = "constant(0.05s)"
order = "sequence"
[[users.tasks]]
name = "fast"
path = "/api/fast"
[profiles.short]
stages = [{{ duration = "2s", users = 2, spawn_rate = 100 }}]
"""
# In sequence, so a pass runs the Python task added after "fast" (picked at random, a
# short re-run could miss it); 2 s, as a re-run lasts as long as its session and must get
# through a pass on a busy machine.

PYTHON_TASK = """
[[users.tasks]]
name = "custom"
call = "evilmod:pwn"
"""
PYTHON = DECLARATIVE.replace("[profiles.short]", PYTHON_TASK + "[profiles.short]")

MODULE = """
from pathlib import Path

Path(__file__).with_name("imported.marker").write_text("imported")


async def pwn(client, vars):
    await client.get("/api/fast")
"""


@pytest.fixture(scope="module")
def recorded(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real, declarative session: s.json (its scenario beside it, plain.toml)."""
    tmp = tmp_path_factory.mktemp("plain")
    (tmp / "plain.toml").write_text(DECLARATIVE.format(url=demo_url))
    run = loadtui("run", "plain.toml", "-q", "--tick", "0.25", "--session", "s.json", cwd=tmp)
    assert run.returncode == 0, run.stderr
    return tmp


@pytest.fixture
def evil(tmp_path: Path, demo_url: str) -> Path:
    """A folder with a scenario calling evilmod:pwn, and evilmod.py beside it."""
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "evil.toml").write_text(PYTHON.format(url=demo_url))
    (folder / "evilmod.py").write_text(MODULE)
    return folder


def crafted(recorded: Path, evil: Path, *, list_the_task: bool) -> Path:
    """The real session, its header pointing at the evil scenario (and, if asked, listing
    its Python task as a session of that scenario would)."""
    lines = (recorded / "s.json").read_text().splitlines()
    header: dict[str, Any] = json.loads(lines[0])
    header["scenario"]["path"] = str(evil / "evil.toml")
    if list_the_task:
        task = {"name": "custom", "module": "evilmod", "function": "pwn", "weight": 1.0}
        header["scenario"]["users"][0]["tasks"].append({**task, "search_path": str(evil)})
    path = evil.parent / f"crafted-{list_the_task}.json"
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    return path


@pytest.mark.parametrize("list_the_task", [True, False], ids=["in-header", "only-in-file"])
def test_a_session_naming_python_tasks_is_refused_without_scenario(
    recorded: Path, evil: Path, list_the_task: bool
) -> None:
    session = crafted(recorded, evil, list_the_task=list_the_task)
    out = loadtui("rerun", str(session), "--session", "new.json", cwd=evil.parent)
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "evilmod:pwn" in out.stderr and "--scenario FILE" in out.stderr
    assert not (evil / "imported.marker").exists()
    assert not (evil.parent / "new.json").exists()  # nothing was run either


def test_named_with_scenario_the_python_tasks_run(recorded: Path, evil: Path) -> None:
    session = crafted(recorded, evil, list_the_task=True)
    out = loadtui(
        "rerun",
        str(session),
        "--scenario",
        str(evil / "evil.toml"),
        "--session",
        "new.json",
        "-q",
        cwd=evil.parent,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert (evil / "imported.marker").read_text() == "imported"
    names = {
        e["name"]
        for line in (evil.parent / "new.json").read_text().splitlines()
        if '"type":"tick"' in line
        for e in json.loads(line)["endpoints"]
    }
    assert "custom" in names  # the Python task sent its request


def test_a_declarative_session_reruns_from_where_it_was_recorded(recorded: Path) -> None:
    out = loadtui("rerun", "s.json", "--session", "again.json", "-q", cwd=recorded)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (recorded / "again.json").exists()
