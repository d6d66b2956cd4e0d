"""`compare` and what ran: runs that kept other classes or tasks of one file (--tags,
--exclude-tags, a profile's `classes`) or ran another iteration budget are "not
comparable", one line each, in the text, the Markdown and the HTML page alike. Six real
runs of one scenario against the demo target, and copies of them with a header part
changed where a rule needs an exact case."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support.cli import loadtui
from support.scenarios import api_delay, api_fast, scenario, user, write
from support.sessions import HEADER, TICK, at_length
from support.sessions import write as write_records

from loadtui.report.compare import compare
from loadtui.report.compare_render import comparison_markdown, comparison_text
from loadtui.session.reader import Session, read_session

# "browse" (tagged steady) has a fast "home" and a "search" tagged slow; "burst" (tagged
# spike) has one task. Each run keeps part of it: the flag sets below.
WAIT = "constant(0.02s)"
BROWSE = user(
    api_fast("home"),
    api_delay(5, "search", tags=["slow"]),
    name="browse",
    tags=["steady"],
    wait=WAIT,
)
BURST = user(api_fast("burst"), name="burst", tags=["spike"], wait=WAIT)
PROFILE_S = 2.0
FLAT = {"stages": [{"duration": f"{PROFILE_S:g}s", "users": 2, "spawn_rate": 1000}]}
RUNS = {
    "steady": ["-T", "steady"],
    "steady_again": ["-T", "steady"],
    "spike": ["-T", "spike"],
    "no_slow": ["-T", "steady", "-E", "slow"],
    # Each ends on its count: -t holds the profile's 2 s level, which a busy machine
    # running these six at once could otherwise reach first.
    "count40": ["-T", "steady", "-i", "40", "-t", "60s"],
    "count80": ["-T", "steady", "-i", "80", "-t", "60s"],
}

RUN = [sys.executable, "-m", "loadtui", "run"]

Runs = dict[str, Session]


@pytest.fixture(scope="module")
def folder(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every run of RUNS at once (so the file costs one run's time), recorded to
    NAME.jsonl beside the scenario, sel.toml."""
    tmp = tmp_path_factory.mktemp("selection")
    text = scenario(BROWSE, BURST, target=demo_url, name="sel", profiles={"flat": FLAT})
    scen = write(tmp, text, "sel.toml")
    procs = [
        subprocess.Popen(
            [*RUN, str(scen), "-q", "--tick", "0.25", "--session", f"{name}.jsonl", *flags],
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        for name, flags in RUNS.items()
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    for name, flags in RUNS.items():
        if "-i" not in flags:
            at_length(tmp / f"{name}.jsonl", PROFILE_S)  # see at_length
    return tmp


@pytest.fixture(scope="module")
def runs(folder: Path) -> Runs:
    return {name: read_session(folder / f"{name}.jsonl") for name in RUNS}


def lines(base: Session, new: Session) -> list[str]:
    return [str(d) for d in compare(base, new).differences]


def header_with(session: Session, part: str, **changes: Any) -> Session:
    """The session with keys of one header part (scenario, profile) set, or dropped
    when set to None (as an older writer left them out)."""
    header = dict(session.header)
    table = {**header[part], **changes}
    header[part] = {k: v for k, v in table.items() if v is not None}
    return replace(session, header=header)


def lasting(session: Session, seconds: float, **load: Any) -> Session:
    """The session with its final tick at `seconds` (and `load` figures changed)."""
    final = session.final
    assert final is not None
    last = replace(final, t=seconds, load=replace(final.load, **load))
    return replace(session, ticks=(*session.ticks[:-1], last))


def test_runs_of_other_classes_are_not_comparable_in_every_output(folder: Path) -> None:
    out = loadtui(
        "compare",
        "steady.jsonl",
        "spike.jsonl",
        "--report-md",
        "cmp.md",
        "--report-html",
        "cmp.html",
        cwd=folder,
    )
    line = (
        "not comparable: selection --tags steady vs --tags spike"
        " (only BASE ran class browse; only NEW ran class burst)"
    )
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr == (
        "loadtui: steady.jsonl and spike.jsonl are not comparable (selection);"
        " --allow-different judges them anyway\n"
    )
    shown = out.stdout.splitlines()
    assert shown[0] == "loadtui compare: not comparable (1 difference)"
    words = " ".join(out.stdout.split())  # long lines wrap at 100 columns
    assert line in words and "Only in NEW (added endpoints): burst" in shown
    assert f"> ⛔ {line}" in (folder / "cmp.md").read_text()
    # The page carries compare's own lines (main.js writes each under a ⛔).
    page = (folder / "cmp.html").read_text()
    found = re.search(r'<script type="application/json" id="loadtui-meta">(.*?)</script>', page)
    assert found is not None
    meta = json.loads(found.group(1))["compare"]
    assert meta["differences"] == [line] and meta["verdict"] == "not comparable (1 difference)"
    headline = '<p class="headline">✗ NOT COMPARABLE: not comparable (1 difference)</p>'
    assert headline in page


def test_a_task_left_out_of_a_class_is_a_selection_line(runs: Runs) -> None:
    base, new = runs["steady"], runs["no_slow"]
    assert base.final is not None and base.final.endpoint("search") is not None
    assert lines(base, new) == [
        "selection --tags steady vs --tags steady --exclude-tags slow"
        " (only BASE ran task search of browse)"
    ]
    assert lines(new, base) == [
        "selection --tags steady --exclude-tags slow vs --tags steady"
        " (only NEW ran task search of browse)"
    ]
    allowed = compare(base, new, allow_different=True)
    assert allowed.judged and allowed.endpoints.removed == ("search",)


def test_equal_selections_stay_comparable(runs: Runs) -> None:
    c = compare(runs["steady"], runs["steady_again"])
    assert c.comparable and c.notes == () and c.judged
    assert "not comparable" not in comparison_text(c)
    # The same tags in another order select the same.
    tags = header_with(runs["steady_again"], "scenario", selection={"tags": ["x", "steady"]})
    swapped = header_with(runs["steady"], "scenario", selection={"tags": ["steady", "x"]})
    assert compare(swapped, tags).comparable
    # Under one selection, a task renamed in the file is the change under test: an
    # added and a removed endpoint in the table, as before selections existed.
    (browse,) = runs["steady_again"].header["scenario"]["users"]
    renamed = [{**t, "name": "find"} if t["name"] == "search" else t for t in browse["tasks"]]
    edited = header_with(runs["steady_again"], "scenario", users=[{**browse, "tasks": renamed}])
    assert compare(runs["steady"], edited).comparable


def test_another_selection_that_ran_the_same_is_a_note(runs: Runs) -> None:
    # What `-E spike` records: the whole of browse ran, as with `-T steady`.
    no_spike = header_with(
        runs["steady_again"], "scenario", selection={"tags": [], "exclude_tags": ["spike"]}
    )
    c = compare(runs["steady"], no_spike)
    assert c.comparable
    assert c.notes == (
        "selections --tags steady and --exclude-tags spike differ, but the same classes and"
        " tasks ran",
    )
    assert "Note: selections --tags steady and --exclude-tags spike differ" in comparison_text(c)


def test_a_profiles_classes_are_part_of_the_selection(runs: Runs) -> None:
    """A profile naming its classes narrows the file like the flags: same profile name,
    other classes."""

    def by_classes(session: Session, classes: list[str]) -> Session:
        picked = header_with(session, "profile", classes=classes)
        return header_with(picked, "scenario", selection={"tags": [], "exclude_tags": []})

    browse, burst = by_classes(runs["steady"], ["browse"]), by_classes(runs["spike"], ["burst"])
    assert lines(browse, burst) == [
        "selection classes browse vs classes burst"
        " (only BASE ran class browse; only NEW ran class burst)"
    ]
    assert compare(browse, by_classes(runs["steady_again"], ["browse"])).comparable


def test_what_ran_on_one_side_only_is_listed_by_class(runs: Runs) -> None:
    steady = runs["steady"]
    (browse,) = steady.header["scenario"]["users"]
    (burst,) = runs["spike"].header["scenario"]["users"]
    extra = [{**browse["tasks"][0], "name": f"extra {i}"} for i in range(5)]
    wider = {**browse, "tasks": [*browse["tasks"], *extra]}
    everything = header_with(steady, "scenario", users=[wider, burst], selection=None)
    assert lines(steady, everything) == [
        "selection --tags steady vs none (only NEW ran class burst and tasks extra 0,"
        " extra 1, extra 2, +2 more of browse)"
    ]


def test_another_iteration_budget_is_not_comparable(runs: Runs) -> None:
    count40, count80, steady = runs["count40"], runs["count80"], runs["steady"]
    for session, done in ((count40, 40), (count80, 80)):
        assert session.final is not None and session.final.load.iterations == done
    c = compare(count40, count80)
    assert "iterations 40 vs 80" in [str(d) for d in c.differences]
    assert {d.what for d in c.differences} <= {"iterations", "duration"}  # 80 take longer
    assert "not comparable: iterations 40 vs 80" in comparison_text(c)
    assert "> ⛔ not comparable: iterations 40 vs 80" in comparison_markdown(c)
    assert "iterations none vs 40" in lines(steady, count40)  # a timed run against a count


def test_one_budget_run_out_on_both_sides_waives_the_length(runs: Runs) -> None:
    """A slower NEW takes longer to run the same 40 iterations: a result, not a setup."""
    base = lasting(runs["count40"], 10.0)
    slower = lasting(runs["count40"], 30.0)
    c = compare(base, slower)
    assert c.comparable and c.notes == (
        "both runs ended on their 40 iterations: lengths 10.0s vs 30.0s (+200%) are a result,"
        " not a difference",
    )
    cut_short = lasting(runs["count40"], 30.0, iterations=12)  # stopped before its count
    assert lines(base, cut_short) == ["duration 10.0s vs 30.0s (+200%)"]


def test_sessions_without_selection_or_budget_compare_as_before(runs: Runs, tmp_path: Path) -> None:
    old = read_session(write_records(tmp_path / "old.jsonl", HEADER, TICK))
    assert compare(old, old).comparable and compare(old, old).notes == ()
    # A recorded run as an older writer wrote it: no selection, classes or budget.
    steady = runs["steady"]
    older = header_with(header_with(steady, "scenario", selection=None), "profile", classes=None)
    older = header_with(older, "profile", iterations=None)
    assert compare(older, older).comparable and compare(older, steady).comparable
    # It ran the whole class, as --tags steady did: a note, not a difference.
    (note,) = compare(older, steady).notes
    assert note.startswith("selections none and --tags steady differ")
