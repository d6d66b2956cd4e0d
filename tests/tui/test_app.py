"""The whole console against the real demo target: engine child process, live panes,
controls reaching the engine, quit writing the session. Loopback only, bounded."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.faulty import ModeUnavailable, serve
from support.loopback import refusing_port
from support.waits import settle
from textual.widgets import DataTable

from loadtui.engine.config import RunConfig
from loadtui.scenario import bundled, load_scenario
from loadtui.scenario.select import pick_profile, pick_target
from loadtui.tui.app import LaunchArgs, LoadtuiApp
from loadtui.tui.screens.dashboard import DashboardScreen
from loadtui.tui.screens.launch import LaunchScreen

ROOT = Path(__file__).resolve().parents[2]
FAST = """
name = "fastlane"
[targets.demo]
url = "${LOADTUI_TARGET}"
[[users]]
name = "u"
wait = "constant(0.02s)"
[[users.tasks]]
name = "fast"
path = "/api/fast"
[profiles.steady]
stages = [{ duration = "2m", users = 3, spawn_rate = 100 }]
"""


def records(path: Path) -> list[dict]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [json.loads(line) for line in raw.decode().splitlines()]


async def test_live_run_steered_and_quit_writes_the_session(demo_url: str, tmp_path: Path) -> None:
    scen = tmp_path / "fast.toml"
    scen.write_text(FAST)
    plan = load_scenario(scen, env={"LOADTUI_TARGET": demo_url})
    config = RunConfig(plan, pick_target(plan, None), pick_profile(plan, None), tick_s=0.25)
    app = LoadtuiApp(config=config, sessions_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        live = app.live
        assert live is not None
        await settle(pilot, lambda: live.last is not None and live.last.total.requests > 20)
        assert isinstance(app.screen, DashboardScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count >= 2  # the endpoint and the total
        await pilot.press("plus")
        await settle(pilot, lambda: live.last is not None and live.last.load.users_target == 8)
        await pilot.press("q")
        await settle(pilot, lambda: app.return_value is not None)
    session = app.return_value
    assert session is not None and session.parent == tmp_path / "sessions"
    lines = records(session)
    assert lines[0]["type"] == "header" and lines[0]["scenario"]["name"] == "fastlane"
    assert sum(1 for r in lines if r["type"] == "tick") >= 3
    operator = [r["message"] for r in lines if r.get("kind") == "operator"]
    assert "set users to 8 at 100/s" in operator and "quit by operator" in operator
    assert lines[-1]["type"] == "summary" and lines[-1]["report"]["requests"] > 20
    assert app.engine is not None and not app.engine.alive()


async def test_launch_screen_starts_the_chosen_run(demo_url: str, tmp_path: Path) -> None:
    (tmp_path / "fast.toml").write_text(FAST)
    launch = LaunchArgs(
        bundled=bundled.directory(),
        cwd=tmp_path,
        given=tmp_path / "fast.toml",
        env={**os.environ, "LOADTUI_TARGET": demo_url},
        demo_url=demo_url,
    )
    app = LoadtuiApp(launch=launch, sessions_dir=tmp_path, session=tmp_path / "run.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, LaunchScreen))
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        live = app.live
        assert live is not None and live.config.scenario.name == "fastlane"
        await settle(pilot, lambda: live.last is not None and live.last.total.requests > 0)
        await pilot.press("s")  # graceful stop: the run ends, the console stays
        await settle(pilot, lambda: app.report is not None)
        assert app.return_value is None
        await pilot.press("q")
        await settle(pilot, lambda: app.return_value is not None)
    lines = records(tmp_path / "run.json")
    assert any(r.get("message") == "stopped by operator" for r in lines)
    assert lines[-1]["type"] == "summary"


async def test_unreachable_choice_returns_to_the_launch_screen(tmp_path: Path) -> None:
    (tmp_path / "fast.toml").write_text(FAST)
    with refusing_port() as port:  # nothing listens, nor can while the test runs
        launch = LaunchArgs(
            bundled=tmp_path / "none",
            cwd=tmp_path,
            given=tmp_path / "fast.toml",
            env={"LOADTUI_TARGET": f"http://127.0.0.1:{port}"},
        )
        app = LoadtuiApp(launch=launch, sessions_dir=tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, lambda: isinstance(app.screen, LaunchScreen))
            await pilot.press("enter")
            said = lambda: " ".join(str(n.message) for n in app._notifications)  # noqa: E731
            await settle(pilot, lambda: "unreachable" in said())  # the preflight answered
            assert isinstance(app.screen, LaunchScreen)
            assert app.live is None  # nothing started, no session written
            assert not (tmp_path / "sessions").exists()
            await pilot.press("q")
    assert app.return_value is None


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A loopback port whose accept queue is full: a connect to it hangs until timeout."""
    try:
        with serve("backlog-full") as served:
            yield served.url
    except ModeUnavailable as exc:
        pytest.skip(str(exc))


async def test_a_silent_target_is_checked_off_the_ui_loop(silent_url: str, tmp_path: Path) -> None:
    """The launch choice's connect check waits out its timeout on a thread: the console
    says what it is waiting for meanwhile (it could not if the connect held its loop),
    then goes back to the launch screen with the reason."""
    (tmp_path / "fast.toml").write_text(FAST)
    launch = LaunchArgs(
        bundled=tmp_path / "none",
        cwd=tmp_path,
        given=tmp_path / "fast.toml",
        env={"LOADTUI_TARGET": silent_url},
    )
    app = LoadtuiApp(launch=launch, sessions_dir=tmp_path)
    said = lambda: " ".join(str(n.message) for n in app._notifications)  # noqa: E731
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, LaunchScreen))
        await pilot.press("enter")
        await settle(pilot, lambda: f"connecting to {silent_url}" in said())
        await settle(pilot, lambda: "unreachable: no answer from 127.0.0.1" in said())
        assert isinstance(app.screen, LaunchScreen)
        assert app.live is None and not (tmp_path / "sessions").exists()
        await pilot.press("q")
    assert app.return_value is None
