"""-T/--tags, -E/--exclude-tags and a profile's `classes` on `loadtui run` and `rerun`, as a
user runs them against the demo target: only the selected tasks send requests, the
session header records the selection, and `rerun` narrows the scenario the same way
(or as its own -T/-E say). Bad selections are one line and exit 2, before any load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli.test_dispatch import call
from support import sessions
from support.cli import loadtui
from support.scenarios import NOWHERE, api_fast, get, post, scenario, user, write

from loadtui.scenario.model import Selection
from loadtui.session.reader import SessionError, read_session
from loadtui.session.rerun import rerun_plan

# Two seconds: `rerun` replays a session for as long as it ran, and a re-run must send
# requests to show which ones (a second was within what a busy machine can hold a loop).
TWO_S = [{"duration": "2s", "users": 2, "spawn_rate": 100}]
SHOP = scenario(
    user(
        api_fast("fast", tags=["read"]),
        get("/api/items", "items", tags=["read", "slow"]),
        name="reader",
        tags=["web"],
        wait="constant(0.05s)",
    ),
    user(
        post("/api/echo", "echo", json={"n": 1}, tags=["write"]),
        name="writer",
        wait="constant(0.05s)",
    ),
    profiles={"all": {"stages": TWO_S}, "writes": {"classes": ["writer"], "stages": TWO_S}},
    thresholds={"endpoints": {"echo": {"error_rate": "< 1%"}, "items": {"p99": "< 5s"}}},
)


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def endpoints(session: Path) -> set[str]:
    """The endpoints that sent requests, from the session's summary."""
    report = records(session)[-1]["report"]
    return {e["name"] for e in report["endpoints"] if e["requests"] > 0}


@pytest.fixture(scope="module")
def recorded(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of `-T read -E slow`: its folder, holding shop.toml and s.json."""
    folder = tmp_path_factory.mktemp("tags")
    write(folder, SHOP.replace("${LOADTUI_TARGET}", demo_url), "shop.toml")
    done = loadtui(
        "run", "shop.toml", "-T", "read", "-E", "slow", "-q", "--tick", "0.25",
        "--session", "s.json", "--report-json", "r.json", cwd=folder,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return folder


def test_run_sends_only_the_selected_tasks_and_records_them(recorded: Path) -> None:
    assert endpoints(recorded / "s.json") == {"fast"}
    header = records(recorded / "s.json")[0]
    assert header["scenario"]["selection"] == {"tags": ["read"], "exclude_tags": ["slow"]}
    assert [c["name"] for c in header["scenario"]["users"]] == ["reader"]
    # Thresholds on tasks left out went with them: the run passes on what ran.
    report = json.loads((recorded / "r.json").read_text())
    assert report["passed"] and report["thresholds"] == []


def test_rerun_narrows_the_scenario_as_recorded(recorded: Path) -> None:
    done = loadtui("rerun", "s.json", "-q", "--session", "again.json", cwd=recorded)
    assert done.returncode == 0, done.stderr
    assert endpoints(recorded / "again.json") == {"fast"}
    selection = records(recorded / "again.json")[0]["scenario"]["selection"]
    assert selection == {"tags": ["read"], "exclude_tags": ["slow"]}


def test_rerun_with_tags_of_its_own_replaces_the_recorded_ones(recorded: Path) -> None:
    done = loadtui("rerun", "s.json", "-q", "-T", "write", "--session", "w.json", cwd=recorded)
    assert done.returncode == 0, done.stderr
    assert endpoints(recorded / "w.json") == {"echo"}
    selection = records(recorded / "w.json")[0]["scenario"]["selection"]
    assert selection == {"tags": ["write"], "exclude_tags": []}


def test_a_profile_runs_its_classes_with_the_load_of_the_flags(
    demo_url: str, tmp_path: Path
) -> None:
    write(tmp_path, SHOP.replace("${LOADTUI_TARGET}", demo_url), "shop.toml")
    # A count of passes, not a length: a run of fixed length could end before any.
    done = loadtui(
        "run", "shop.toml", "--profile", "writes", "-u", "3", "-i", "9", "-q",
        "--tick", "0.25", "--session", "s.json", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert endpoints(tmp_path / "s.json") == {"echo"}
    profile = records(tmp_path / "s.json")[0]["profile"]
    assert profile["name"] == "3 users" and profile["classes"] == ["writer"]


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (
            ["-T", "raed"],
            "--tags: no task or user class is tagged 'raed' (tags: read, slow, web, write)."
            ' Did you mean "read"?',
        ),
        (["-E", "write,"], "--exclude-tags: an empty tag name (like --exclude-tags spike,write)"),
        (
            ["--profile", "writes", "-T", "read"],
            "nothing to run: no task is left with profile 'writes' (classes writer) and"
            " --tags read (tags: read, slow, web, write)",
        ),
        (["--tags", "web", "--exclude-tags", "web", "-u", "1"], "nothing to run: no task is left"),
    ],
)
def test_a_selection_that_does_not_fit_is_one_line_and_exit_2(
    tmp_path: Path, flags: list[str], line: str
) -> None:
    """Checked before anything is sent: the target here is the discard port."""
    scen = write(tmp_path, SHOP.replace("${LOADTUI_TARGET}", NOWHERE))
    code, out, err = call("run", str(scen), *flags)
    assert (code, out) == (2, "")
    assert err.startswith(f"loadtui: {line}") and err.count("\n") == 1, err


def test_a_recorded_selection_is_checked_as_it_is_read(tmp_path: Path) -> None:
    old = sessions.write(tmp_path / "old.json", sessions.HEADER, sessions.TICK)
    assert rerun_plan(read_session(old)).selection == Selection()  # before tags: none
    header = {**sessions.HEADER, "scenario": {"selection": {"tags": ["a", 1]}}}
    bad = sessions.write(tmp_path / "bad.json", header, sessions.TICK)
    with pytest.raises(SessionError) as caught:
        rerun_plan(read_session(bad))
    assert str(caught.value) == (
        f"{bad}: session header: scenario.selection.tags[1]: expected text, got a number"
    )
