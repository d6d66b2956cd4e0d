"""Outputs survive full disks: a session log, report or CSV file that cannot be written
(here: /dev/full, ENOSPC on every write; a folder in the way) is one line naming the file
and the OS error, the run goes on, every other output is written, and the exit code is 3
(incomplete) unless a threshold already failed (1). The real CLI against the demo
target, and the console in-process.

/dev/full stands in for a full disk directly (--session, --report-*) or through a
symlink where loadtui picks the file name (a .gz session, the CSV files).
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from support.cli import loadtui
from support.waits import settle

from loadtui.engine.config import RunConfig
from loadtui.engine.host import EngineHost
from loadtui.live import LiveRun
from loadtui.report.outputs import Outputs, write_reports
from loadtui.scenario import load_scenario_text
from loadtui.scenario.iterations import with_iterations
from loadtui.scenario.select import pick_profile, pick_target
from loadtui.session.reader import read_session
from loadtui.tui.app import LoadtuiApp

FULL = Path("/dev/full")
NO_SPACE = "No space left on device"
SCENARIO = """
name = "disk"
[targets.local]
url = "{url}"
[[users]]
name = "u"
wait = "constant(0.05s)"
[[users.tasks]]
name = "fast"
path = "/api/fast"
[profiles.short]
stages = [{{ duration = "60s", users = 2, spawn_rate = 100 }}]
[profiles.long]
stages = [{{ duration = "2m", users = 2, spawn_rate = 100 }}]
[thresholds]
p99 = "{p99}"
"""

pytestmark = pytest.mark.skipif(
    not FULL.exists() or not stat.S_ISCHR(FULL.stat().st_mode), reason="needs /dev/full"
)


@pytest.fixture
def folder(tmp_path: Path, demo_url: str) -> Path:
    (tmp_path / "s.toml").write_text(SCENARIO.format(url=demo_url, p99="< 5s"))
    (tmp_path / "strict.toml").write_text(SCENARIO.format(url=demo_url, p99="< 1us"))
    return tmp_path


def run(folder: Path, *args: str, scenario: str = "s.toml") -> tuple[int, list[str]]:
    """A run of 40 passes (about a second; the profile's 60 s only a guard): a run of
    fixed length could end before any request on a busy machine."""
    out = loadtui(
        "run", scenario, "--profile", "short", "-i", "40", "-q", "--tick", "0.25", *args,
        cwd=folder,
    )  # fmt: skip
    assert "Traceback" not in out.stderr, out.stderr
    assert FULL.exists() and stat.S_ISCHR(FULL.stat().st_mode)  # never replaced by a file
    return out.returncode, out.stderr.splitlines()


def naming(lines: list[str], path: object) -> list[str]:
    return [line for line in lines if str(path) in line]


def test_a_session_log_on_a_full_disk_loses_only_itself(folder: Path) -> None:
    code, lines = run(
        folder,
        *("--session", str(FULL), "--report-json", "r.json", "--report-md", "r.md"),
        *("--junit", "j.xml", "--csv", "out/c"),
    )
    assert code == 3, lines
    assert naming(lines, FULL) == [
        f"loadtui: cannot write {FULL}: {NO_SPACE}; the run goes on without it"
    ]
    assert lines[-1] == "loadtui: incomplete: 1 output not written"
    report = json.loads((folder / "r.json").read_text())
    assert report["requests"] > 0 and report["passed"] is True
    assert "scenario `disk`" in (folder / "r.md").read_text()
    assert "<testsuite" in (folder / "j.xml").read_text()
    history = (folder / "out" / "c_history.csv").read_text().splitlines()
    assert len(history) > 2  # the rows went on after the session failed


def test_a_gzip_session_on_a_full_disk(folder: Path) -> None:
    (folder / "s.json.gz").symlink_to(FULL)
    code, lines = run(folder, "--session", "s.json.gz", "--report-json", "r.json")
    assert code == 3 and naming(lines, "s.json.gz") == [
        f"loadtui: cannot write s.json.gz: {NO_SPACE}; the run goes on without it"
    ]
    assert json.loads((folder / "r.json").read_text())["requests"] > 0


@pytest.mark.parametrize("flag", ["--report-json", "--report-md", "--junit"])
def test_each_report_on_a_full_disk(folder: Path, flag: str) -> None:
    others = {"--report-json": "r.json", "--report-md": "r.md", "--junit": "j.xml"}
    others[flag] = str(FULL)
    args = [a for pair in others.items() for a in pair]
    code, lines = run(folder, "--session", "s.json", *args)
    assert code == 3, lines
    assert naming(lines, FULL) == [f"loadtui: cannot write {FULL}: {NO_SPACE}"]
    for other, path in others.items():
        if other != flag:
            assert (folder / path).stat().st_size > 0
    session = read_session(folder / "s.json")
    assert session.summary is not None and not session.truncated


def test_csv_files_on_a_full_disk(folder: Path) -> None:
    for kind in ("history", "stats"):
        (folder / f"c_{kind}.csv").symlink_to(FULL)
    code, lines = run(folder, "--csv", "c", "--report-json", "r.json")
    assert code == 3, lines
    assert naming(lines, "c_history.csv") == [
        f"loadtui: cannot write c_history.csv: {NO_SPACE}; the run goes on without it"
    ]
    assert naming(lines, "c_stats.csv") == [f"loadtui: cannot write c_stats.csv: {NO_SPACE}"]
    assert (folder / "c_failures.csv").read_text().startswith("Name,Error,Occurrences")
    assert (folder / "c_streams.csv").read_text().startswith("Name,")
    assert lines[-1] == "loadtui: incomplete: 2 outputs not written"


def test_a_failed_threshold_keeps_exit_1(folder: Path) -> None:
    code, lines = run(folder, "--session", str(FULL), scenario="strict.toml")
    assert code == 1, lines
    assert len(naming(lines, FULL)) == 1
    assert lines[-1].startswith("loadtui: thresholds failed: p99 < ")


def test_report_and_compare_outputs_on_a_full_disk(folder: Path) -> None:
    code, _ = run(folder, "--session", "s.json")
    assert code == 0
    out = loadtui(
        "report", "s.json", "-q", "--report-json", str(FULL), "--svg", "c.svg", cwd=folder
    )
    assert out.returncode == 3, out.stderr
    assert out.stderr == f"loadtui: cannot write {FULL}: {NO_SPACE}\n"
    assert (folder / "c.svg").read_text().startswith("<svg")
    cmp = loadtui("compare", "s.json", "s.json", "--report-md", str(FULL), cwd=folder)
    assert cmp.returncode == 3, cmp.stderr
    assert cmp.stderr == f"loadtui: cannot write {FULL}: {NO_SPACE}\n"
    assert "Result: no regression" in cmp.stdout


async def test_the_console_on_a_full_disk_says_so_and_goes_on(demo_url: str) -> None:
    plan = load_scenario_text(SCENARIO.format(url=demo_url, p99="< 5s"))
    config = RunConfig(plan, pick_target(plan, None), pick_profile(plan, "long"), tick_s=0.25)
    app = LoadtuiApp(config=config, session=FULL)
    async with app.run_test(size=(100, 30)) as pilot:
        live = app.live
        assert live is not None
        await settle(pilot, lambda: live.last is not None and live.last.total.requests > 0)
        shown = [str(n.message) for n in app._notifications]
        assert f"cannot write {FULL}: {NO_SPACE}; the run goes on without it" in shown
        before = live.last.total.requests
        await settle(pilot, lambda: live.last is not None and live.last.total.requests > before)
        await pilot.press("q")
        await settle(pilot, lambda: app.report is not None)
        await pilot.pause(0.2)
    assert app.return_code == 3 and app.return_value is None  # no session saved
    assert app.lost == [f"cannot write {FULL}: {NO_SPACE}; the run goes on without it"]
    assert app.report is not None and app.report["passed"] is True


def test_a_folder_in_the_way_is_one_lost_output_each(tmp_path: Path, demo_url: str) -> None:
    """In-process: the session's and CSV's folder is a file, the Markdown's path a folder
    (made during the run, after the CLI's own checks); the JSON report is still written."""
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    (tmp_path / "md").mkdir()
    plan = load_scenario_text(SCENARIO.format(url=demo_url, p99="< 5s"))
    profile = with_iterations(pick_profile(plan, "short"), 40)  # as `run` above: -i 40
    config = RunConfig(plan, pick_target(plan, None), profile, tick_s=0.25)
    host = EngineHost(config)
    said: list[str] = []
    live = LiveRun(
        config, host, session=blocker / "s.json", csv_prefix=str(blocker / "c"), on_lost=said.append
    )
    host.start()
    while not live.done:
        live.drain(timeout=0.2)
    host.join()
    report = live.finish({"scenario": "disk"})
    files = Outputs(report_json=tmp_path / "r.json", report_md=tmp_path / "md")
    lost = [*live.lost, *write_reports(report, files, history=live.csv, on_lost=said.append)]
    going_on = "; the run goes on without it"
    assert lost == said
    in_the_way = "(File exists|Not a directory)"  # mkdir meets the file, or open does
    csv = [re.escape(f"{blocker / 'c'}_{kind}.csv") for kind in ("stats", "failures", "streams")]
    expected = [
        rf"{re.escape(str(blocker / 's.json'))}: {in_the_way}{going_on}",
        rf"{re.escape(str(blocker / 'c'))}_history\.csv: {in_the_way}{going_on}",
        rf"{re.escape(str(tmp_path / 'md'))}: Is a directory",
        *(f"{path}: {in_the_way}" for path in csv),
    ]
    assert len(lost) == len(expected)
    for line, pattern in zip(lost, expected, strict=True):
        assert re.fullmatch(f"cannot write {pattern}", line), line
    assert live.saved_session is None
    assert json.loads((tmp_path / "r.json").read_text())["requests"] > 0
