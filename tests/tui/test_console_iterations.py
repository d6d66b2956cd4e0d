"""The console takes `run`'s -i: the run ends by itself after exactly N iterations, the
header counts them (`iterations 23/80`, not the ten years an endless stage lasts), the
replay of the recorded session shows the same, and a bad count is one line and exit 2.
Against the demo target, loopback only, each run a couple of seconds at most."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from cli.test_dispatch import call
from cli.test_selection import SHOP, records
from support.scenarios import NOWHERE, write
from support.waits import settle
from textual.widgets import Static
from tui.replay_host import FakeClock, ReplayHost
from tui.test_console_flags import launched, straight_to_the_end

from loadtui.engine.config import Overrides
from loadtui.metrics.snapshot import LoadState
from loadtui.scenario.model import Profile, Stage
from loadtui.scenario.select import FOREVER
from loadtui.session.reader import read_session
from loadtui.tui.app import LoadtuiApp
from loadtui.tui.replay_player import ReplayPlayer
from loadtui.tui.screens.dashboard import DashboardScreen
from loadtui.tui.screens.launch import LaunchScreen
from loadtui.tui.widgets.header import stage_text

COUNT = 160  # 2 writers pausing 0.05 s between requests: about 4 s, many ticks to catch


def plain(widget: Static) -> str:
    return str(widget.render())


def header(app: LoadtuiApp) -> str:
    return plain(app.dashboard.header) if app.dashboard is not None else ""


async def test_a_run_of_n_iterations_counts_them_in_the_header_and_ends_by_itself(
    demo_url: str, tmp_path: Path
) -> None:
    overrides = Overrides(users=2, iterations=COUNT)  # `loadtui shop.toml -u 2 -i 160`
    app = launched(tmp_path, demo_url, "writes", overrides=overrides)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, LaunchScreen))
        await pilot.press("enter")

        def counting() -> bool:  # a tick of the run under way, its count shown
            live = app.live.last if app.live is not None else None
            return live is not None and live.load.state == "running" and "RUNNING" in header(app)

        await settle(pilot, counting, what="a running tick in the header")
        running = header(app)
        assert f"/{COUNT})" in running and "2 users 1/1 (iterations " in running, running
        assert "left" not in running.splitlines()[0]  # no "87,600 h left"
        await settle(pilot, lambda: app.report is not None, what="the run's end by itself")
        await settle(pilot, lambda: "STOPPED" in header(app))
        assert app.live is not None and app.live.last is not None
        final = app.live.last.load
        assert (final.iterations, final.iterations_target) == (COUNT, COUNT)
        assert app.report is not None and app.report["iterations"] == COUNT
        assert app.report["requests"] == COUNT  # each iteration is one request
        live_figures = header(app).splitlines()
        assert "2 users: ended" in live_figures[0]
        assert f"iterations {COUNT}/{COUNT}" in live_figures[1]  # beside the final totals
        assert isinstance(app.screen, DashboardScreen) and app.return_value is None  # it stays
        await pilot.press("q")
        await settle(pilot, lambda: app.return_value is not None)

    # The replay of the recorded session: a running tick's count, then the same final header.
    session = read_session(tmp_path / "s.json")
    ticks = list(session.ticks)
    running_at = next(i for i, s in enumerate(ticks) if s.load.state == "running")
    recorded = ticks[running_at].load
    player = ReplayPlayer(session, clock=FakeClock(), start="start")
    player.go_to(running_at)
    replay = ReplayHost(session, player=player)
    async with replay.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        shown = plain(replay.replay.header)
        assert f"(iterations {recorded.iterations}/{COUNT})" in shown, shown
        await pilot.press("end")
        await settle(pilot, lambda: "STOPPED" in plain(replay.replay.header))
        _, *figures = plain(replay.replay.header).splitlines()
        assert figures == live_figures  # the final header, as the live console drew it


def test_the_console_straight_from_the_command_line_stops_after_n(
    demo_url: str, tmp_path: Path
) -> None:
    """`loadtui shop.toml --target URL -u 2 -i 30`: no launch screen, the run ends by
    itself after 30 iterations, the console stays until `q`, then exits 0."""
    session = straight_to_the_end(tmp_path, demo_url, "-u", "2", "-i", "30")
    lines = records(session)
    assert lines[0]["profile"]["iterations"] == 30
    assert lines[-1]["report"]["iterations"] == 30


ENDLESS = Profile("2 users", "closed", (Stage(FOREVER, users=2),), iterations=200)


@pytest.mark.parametrize(
    ("load", "text"),
    [
        # -i alone: the count is what ends the run, not ten years of its only stage.
        (LoadState(stage_left_s=FOREVER - 5, run_left_s=FOREVER - 5), "(iterations 23/200)"),
        # -i with -t: whichever comes first ends it, so both show.
        (LoadState(stage_left_s=55.0, run_left_s=55.0), "(55.0s left, iterations 23/200)"),
        # A timed profile of three stages cut by -i.
        (
            LoadState(stage=1, stages=3, stage_left_s=12.0, run_left_s=100.0),
            "(12.0s left, run 1m40s, iterations 23/200)",
        ),
        # Held past the profile's end by -t.
        (
            LoadState(stage=-1, stage_left_s=30.0, run_left_s=30.0),
            "(30.0s left, iterations 23/200)",
        ),
        # Steered by hand: the count still ends the run.
        (LoadState(following_profile=False), ": manual (iterations 23/200)"),
    ],
    ids=["count-only", "with-t", "timed-profile", "held-by-t", "manual"],
)
def test_the_header_counts_iterations_where_a_count_ends_the_run(
    load: LoadState, text: str
) -> None:
    counted = replace(load, state="running", iterations=23, iterations_target=200)
    assert stage_text(ENDLESS, counted).endswith(text)
    uncounted = replace(counted, iterations_target=0)
    assert "iterations" not in stage_text(ENDLESS, uncounted)


def test_a_stage_without_end_reads_until_stopped() -> None:
    """`-u 5` with neither -t nor -i: the operator ends it."""
    load = LoadState(state="running", stages=1, stage_left_s=FOREVER - 5, run_left_s=FOREVER - 5)
    assert stage_text(ENDLESS, load) == "2 users 1/1 (until stopped)"


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (["-i", "0"], "--iterations: must be at least 1, got 0"),
        (["-i", "ten"], "--iterations: expected a whole number, got 'ten'"),
        (["--iterations", "2.5"], "--iterations: must be a whole number, got 2.5"),
        (
            ["--target", NOWHERE, "--rate", "10", "-i", "5"],
            "--iterations counts the closed model's iterations: profile '10/s' is open",
        ),
    ],
    ids=["zero", "text", "fraction", "open-model"],
)
def test_a_bad_count_is_one_line_before_the_console_opens(
    tmp_path: Path, flags: list[str], line: str
) -> None:
    scen = write(tmp_path, SHOP.replace("${LOADTUI_TARGET}", NOWHERE))
    code, out, err = call(str(scen), *flags)
    assert (code, out) == (2, "")
    assert err.startswith(f"loadtui: {line}") and err.count("\n") == 1, err
