"""Scenario discovery and preview text for the launch screen (no terminal needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from loadtui.engine.schedule import describe_stage
from loadtui.scenario.model import Burst, Profile, Stage
from loadtui.tui import catalog

SCENARIO = """
name = "{name}"
description = "{description}"

[targets.main]
url = "${{LOADTUI_TARGET:-http://127.0.0.1:8089}}"

[[users]]
name = "u"

[[users.tasks]]
name = "t"
path = "/"

[profiles.steady]
stages = [{{ duration = "1m", users = 5 }}]
"""
BROKEN = """name = "broken"

[targets.x]
url = "not a url"
"""


def write(path: Path, name: str | None = None, description: str = "d") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SCENARIO.format(name=name or path.stem, description=description))
    return path


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, Path]:
    bundled, cwd = tmp_path / "scenarios", tmp_path / "work"
    for stem in ("zeta", "demo", "alpha"):
        write(bundled / f"{stem}.toml")
    write(cwd / "mine.toml")
    (cwd / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (cwd / "broken.toml").write_text(BROKEN)
    (cwd / "half.toml").write_text("name = \n")  # does not parse: kept, as invalid
    (cwd / "notes.txt").write_text("not toml")
    return bundled, cwd


def test_order_is_given_then_bundled_demo_first_then_cwd(places, tmp_path: Path) -> None:
    bundled, cwd = places
    given = write(tmp_path / "elsewhere" / "chosen.toml")
    entries = catalog.discover(bundled=bundled, cwd=cwd, given=given, env={})
    names = [(e.name, e.origin) for e in entries]
    assert names == [
        ("chosen", "given"),
        ("demo", "bundled"),
        ("alpha", "bundled"),
        ("zeta", "bundled"),
        ("broken", "cwd"),
        ("half", "cwd"),
        ("mine", "cwd"),
    ]
    assert all(e.path.is_absolute() for e in entries)
    assert entries[1].shown_path == "scenarios/demo.toml"
    assert entries[-1].shown_path == "./mine.toml"


def test_non_scenario_toml_in_cwd_is_skipped_but_a_given_one_is_not(places) -> None:
    _, cwd = places
    entries = catalog.discover(bundled=None, cwd=cwd, given=None, env={})
    assert "pyproject" not in [e.path.stem for e in entries]
    given = catalog.discover(bundled=None, cwd=None, given=cwd / "pyproject.toml", env={})
    assert len(given) == 1 and not given[0].valid
    assert any("users" in p.path or "targets" in p.path for p in given[0].problems)


def test_invalid_files_keep_their_problems(places) -> None:
    _, cwd = places
    entries = {e.name: e for e in catalog.discover(bundled=None, cwd=cwd, env={})}
    broken = entries["broken"]
    assert not broken.valid and broken.scenario is None
    assert any(p.line == 4 and p.path == "targets.x.url" for p in broken.problems)
    half = entries["half"]
    assert not half.valid and half.problems[0].line == 1
    assert entries["mine"].valid and entries["mine"].problems == ()


def test_dedupe_by_resolved_path(places) -> None:
    bundled, cwd = places
    given = cwd / ".." / "work" / "mine.toml"  # same file, spelled differently
    entries = catalog.discover(bundled=bundled, cwd=cwd, given=given, env={})
    assert [e.name for e in entries].count("mine") == 1
    assert entries[0].origin == "given"
    same = catalog.discover(bundled=bundled, cwd=bundled, env={})  # cwd is the bundled folder
    assert [e.name for e in same] == ["demo", "alpha", "zeta"]


def test_missing_given_file_and_missing_folders(tmp_path: Path) -> None:
    entries = catalog.discover(
        bundled=tmp_path / "nope", cwd=tmp_path / "nope2", given=tmp_path / "gone.toml", env={}
    )
    assert len(entries) == 1 and not entries[0].valid
    assert "cannot read file" in entries[0].problems[0].message
    assert catalog.discover(bundled=None, cwd=None, env={}) == []


def test_env_reaches_the_loader(places) -> None:
    bundled, _ = places
    env = {"LOADTUI_TARGET": "http://127.0.0.1:4321"}
    demo = catalog.discover(bundled=bundled, cwd=None, env=env)[0]
    assert demo.scenario is not None
    assert demo.scenario.targets[0].url == "http://127.0.0.1:4321"
    default = catalog.discover(bundled=bundled, cwd=None, env={})[0]
    assert default.scenario is not None
    assert default.scenario.targets[0].url == "http://127.0.0.1:8089"


def test_a_loader_crash_becomes_a_problem(tmp_path: Path) -> None:
    folder = tmp_path / "dir.toml"  # a folder named like a scenario file
    folder.mkdir()
    entry = catalog.load_entry(folder, "given", {})
    assert not entry.valid and entry.problems and "cannot" in entry.problems[0].message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "type a URL"),
        ("127.0.0.1:8080", "http:// or https://"),
        ("ftp://127.0.0.1", "http:// or https://"),
        ("http://", "no host"),
        ("http://127.0.0.1:99999", "port"),
        ("http://127.0.0.1:0", "port"),
        ("http://127.0.0.1:abc", "port"),
        ("http://127.0.0.1 /x", "spaces"),
        ("http://127.0.0.1/?a=1", "query"),
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://[nothex]:80", "not a URL"),
    ],
)
def test_url_problem_rejects(text: str, fragment: str) -> None:
    problem = catalog.url_problem(text)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize(
    "text",
    ["http://127.0.0.1", "https://127.0.0.1:8443", "http://[::1]:9000/base", " http://h:1 "],
)
def test_url_problem_accepts(text: str) -> None:
    assert catalog.url_problem(text) is None


def test_sparkline_levels() -> None:
    assert catalog.sparkline([0, 1, 2, 4, 8]) == " ▁▂▄█"
    assert catalog.sparkline([0, 0]) == "  "
    assert catalog.sparkline([]) == ""


def test_closed_curve_ramps_at_the_spawn_rate() -> None:
    profile = Profile("p", stages=(Stage(10, users=10, spawn_rate=1), Stage(10, users=10)))
    curve = catalog.load_curve(profile, points=20)
    assert len(curve) == 20
    assert curve[0] == pytest.approx(1.0) and curve[4] == pytest.approx(5.0)
    assert curve[-1] == 10 and max(curve) == 10


def test_open_curve_follows_rate_and_bursts() -> None:
    profile = Profile(
        "o",
        model="open",
        start_rate=0,
        stages=(Stage(10, rate=10),),
        burst=Burst(every=5, length=1, rate=100, offset=2),
    )
    curve = catalog.load_curve(profile, points=10)
    assert curve[0] == pytest.approx(0.5)
    assert curve[2] == 100 and curve[7] == 100  # bursts at 2-3 s and 7-8 s
    assert catalog.load_curve(Profile("empty"), points=10) == []


def test_profile_lines_show_stages_model_and_shape() -> None:
    stages = tuple(Stage(10, users=n, spawn_rate=5) for n in range(1, 11))
    profile = Profile("steps", stages=stages, repeat=2, description="Step up")
    lines = catalog.profile_lines(profile, width=16)
    assert lines[0] == "steps · closed model (users) · 3m20s"
    assert lines[1] == "Step up"
    assert f"  1. {describe_stage(profile, stages[0])}" in lines
    assert "  … 2 more stages" in lines
    assert "  repeated 2 times" in lines
    spark = lines[-1]
    assert spark.startswith("  users ") and spark.endswith("peak 10 users")
    open_lines = catalog.profile_lines(
        Profile("o", model="open", stages=(Stage(60, rate=40),), start_rate=5)
    )
    assert "  1. 40/s for 60s" in open_lines and "  starts at 5/s" in open_lines
    assert open_lines[-1].endswith("peak 40/s")


def test_rows_and_detail_lines(places) -> None:
    _, cwd = places
    entries = catalog.discover(bundled=None, cwd=cwd, env={})
    rows = catalog.entry_rows(entries)
    assert rows == [
        "✗ broken  2 problems, cannot start",
        "✗ half    1 problem, cannot start",
        "  mine    d",
    ]
    detail = catalog.entry_lines(entries[0])
    assert detail[0].startswith("✗ broken — ./broken.toml (cwd)")
    assert any(line.startswith("  line 4: targets.x.url") for line in detail)
    good = catalog.entry_lines(entries[2])
    assert good[0] == "mine — ./mine.toml (cwd)" and good[-1] == "thresholds: no thresholds"


def test_row_names_the_file_when_it_differs(tmp_path: Path) -> None:
    write(tmp_path / "file-name.toml", name="other")
    [entry] = catalog.discover(bundled=None, cwd=tmp_path, env={})
    assert catalog.entry_rows([entry]) == ["  other  d  (file-name.toml)"]


def test_catalog_imports_no_ui_library() -> None:
    code = (
        "import sys, loadtui.tui.catalog\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"
