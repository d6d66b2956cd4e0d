"""The console takes `run`'s load flags (-u/-r/--rate/-t) and its selection (-T/-E): a run
picked on the launch screen gets them, one started straight from the command line
too; with -t the run stops by itself and the console stays on its result. Against the
demo target, loopback only, each run a second long."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli.test_dispatch import call
from cli.test_selection import SHOP, endpoints, records
from support.scenarios import NOWHERE, write
from support.waits import settle
from textual.widgets import DataTable
from tui.test_console_signals import Console, wait_until

from loadtui.engine.config import Overrides
from loadtui.scenario.model import Selection
from loadtui.tui.app import LaunchArgs, LoadtuiApp
from loadtui.tui.screens.dashboard import DashboardScreen
from loadtui.tui.screens.launch import LaunchScreen


def launched(
    tmp_path: Path,
    url: str,
    profile: str,
    overrides: Overrides | None = None,
    selection: Selection | None = None,
) -> LoadtuiApp:
    """The console on the launch screen for SHOP (`profile` preselected), given the
    command line's `overrides` and `selection`."""
    write(tmp_path, SHOP, "shop.toml")
    launch = LaunchArgs(
        bundled=tmp_path / "none",
        cwd=tmp_path,
        given=tmp_path / "shop.toml",
        env={**os.environ, "LOADTUI_TARGET": url},
        profile=profile,
    )
    return LoadtuiApp(
        launch=launch,
        sessions_dir=tmp_path,
        session=tmp_path / "s.json",
        overrides=overrides,
        selection=selection,
    )


async def test_a_launched_run_takes_the_flags_and_stops_by_itself(
    demo_url: str, tmp_path: Path
) -> None:
    # Ended by a count of passes (-i), -t only a guard: a run of fixed length could end
    # before any request on a busy machine, and the endpoints shown are the point.
    overrides = Overrides(users=2, spawn_rate=100.0, duration=30.0, iterations=6)
    app = launched(tmp_path, demo_url, "writes", overrides=overrides)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, LaunchScreen))
        await pilot.press("enter")
        await settle(pilot, lambda: app.report is not None, what="the run's end")
        # The console stays on the result: the dashboard, its table, no exit.
        assert app.return_value is None and isinstance(app.screen, DashboardScreen)
        assert app.screen.query_one(DataTable).row_count >= 2
        assert app.live is not None
        config = app.live.config
        assert (config.profile.name, config.profile.classes) == ("2 users", ("writer",))
        await pilot.press("q")
        await settle(pilot, lambda: app.return_value is not None)
    assert endpoints(tmp_path / "s.json") == {"echo"}  # the writes profile's class only


async def test_tags_that_leave_nothing_keep_the_launch_screen(
    demo_url: str, tmp_path: Path
) -> None:
    app = launched(tmp_path, demo_url, "writes", selection=Selection(tags=("read",)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, LaunchScreen))
        await pilot.press("enter")
        said = lambda: " ".join(str(n.message) for n in app._notifications)  # noqa: E731
        await settle(pilot, lambda: "nothing to run" in said())
        assert isinstance(app.screen, LaunchScreen) and app.live is None
    assert "no task is left with profile 'writes' (classes writer) and --tags read" in said()


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (["-u", "many"], "--users: expected a whole number, got 'many'"),
        (["-t", "0s"], "--duration: must be more than 0"),
        (["-u", "2", "--rate", "5", "--target", NOWHERE], "give either --users"),
        (["--target", NOWHERE, "--profile", "all", "-T", "nope"], "--tags: no task or user class"),
        (["--target", NOWHERE, "-u", "1", "-E", "web,write"], "nothing to run: no task is left"),
    ],
)
def test_bad_flags_are_one_line_before_the_console_opens(
    tmp_path: Path, flags: list[str], line: str
) -> None:
    scen = write(tmp_path, SHOP.replace("${LOADTUI_TARGET}", NOWHERE))
    code, out, err = call(str(scen), *flags)
    assert (code, out) == (2, "")
    assert err.startswith(f"loadtui: {line}") and err.count("\n") == 1, err


def straight_to_the_end(tmp_path: Path, demo_url: str, *flags: str) -> Path:
    """`loadtui shop.toml --target URL FLAGS --session s.json` in a pseudo-terminal: the
    flags make the profile, so no launch screen; waits for the run to end by itself,
    checks the console is still open, quits with `q` (exit 0, no traceback) and returns
    the session's path."""
    write(tmp_path, SHOP.replace("${LOADTUI_TARGET}", demo_url), "shop.toml")
    session = tmp_path / "s.json"
    args = ("shop.toml", "--target", demo_url, *flags, "--session", "s.json")
    console = Console(*args, cwd=tmp_path)
    try:
        ended = lambda: session.exists() and '"type":"summary"' in session.read_text()  # noqa: E731
        wait_until(ended, "the run's end", console=console)
        wait_until(lambda: b"run finished" in console.output, "the result", console=console)
        assert os.waitpid(console.pid, os.WNOHANG) == (0, 0)  # still open
        os.write(console.fd, b"q")
        code = console.wait(timeout=30)
    finally:
        console.kill()
    out = bytes(console.output)
    assert b"Traceback" not in out and code == 0, out[-2000:]
    return session


def test_the_console_straight_from_the_command_line(demo_url: str, tmp_path: Path) -> None:
    """`loadtui FILE --target URL -u 2 -r 100 -i 6 -t 30s -T read -E slow`: no launch
    screen (the flags make the profile), the run ends by itself after its six passes (-t
    a guard: a run of fixed length could end before any request on a busy machine), the
    console stays until `q`."""
    session = straight_to_the_end(
        tmp_path, demo_url, "-u", "2", "-r", "100", "-i", "6", "-t", "30s", "-T", "read",
        "-E", "slow",
    )  # fmt: skip
    header = records(session)[0]
    assert header["profile"]["name"] == "2 users"
    assert header["profile"]["stages"][0]["duration"] == 30.0
    assert header["profile"]["iterations"] == 6
    assert header["scenario"]["selection"] == {"tags": ["read"], "exclude_tags": ["slow"]}
    assert endpoints(session) == {"fast"}
