"""The launch screen driven by keyboard (and a click) through Textual's Pilot."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Button, Input, Static

from loadtui.scenario import load_scenario
from loadtui.scenario.select import FOREVER, pick_profile, pick_target
from loadtui.tui.screens.launch import LaunchChoice, LaunchScreen
from loadtui.tui.widgets.chooser import Chooser

FIXTURES = Path(__file__).parent / "fixtures"
SIZES = [(80, 24), (120, 40)]
DEMO_URL = "http://127.0.0.1:8999"


class Host(App[None]):
    """Pushes the launch screen and records what it is dismissed with."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self.kwargs = kwargs
        self.results: list[LaunchChoice | None] = []

    def on_mount(self) -> None:
        self.push_screen(LaunchScreen(**self.kwargs), callback=self.results.append)


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    """A bundled folder and a working folder copied from the fixtures, plus a given file."""
    bundled, cwd = tmp_path / "scenarios", tmp_path / "work"
    shutil.copytree(FIXTURES / "scenarios", bundled)
    shutil.copytree(FIXTURES / "cwd", cwd)
    given = tmp_path / "given.toml"
    text = (FIXTURES / "scenarios" / "alpha.toml").read_text()
    given.write_text(text.replace('name = "alpha"', 'name = "given-one"'))
    return {"bundled": bundled, "cwd": cwd, "given": given}


def host(places: dict[str, Path], given: bool = False, **kwargs: Any) -> Host:
    env = kwargs.pop("env", {})
    return Host(
        bundled=places["bundled"],
        cwd=places["cwd"],
        given=places["given"] if given else None,
        env=env,
        **kwargs,
    )


def text(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def chooser(app: App[Any], selector: str) -> Chooser:
    return app.screen.query_one(selector, Chooser)


def prompts(app: App[Any], selector: str) -> list[str]:
    return [str(o.prompt) for o in chooser(app, selector).options]


@pytest.mark.parametrize("size", SIZES)
async def test_lists_given_bundled_and_cwd_scenarios(places, size) -> None:
    app = host(places, given=True)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        rows = prompts(app, "#scenarios")
        names = [r[4:].split()[0] for r in rows]
        assert names == ["given-one", "demo", "alpha", "broken", "local"]
        assert rows[0].startswith("▶ ") and not rows[1].startswith("▶")
        assert rows[3].startswith("  ✗ broken")
        assert "(given.toml)" in rows[0]  # file named apart from the scenario name
        assert "given-one — " in text(app, "#scenario-info")
        assert text(app, "#status").startswith("Ready: given-one → http://127.0.0.1:8101")
        assert app.screen.focused is chooser(app, "#scenarios")


@pytest.mark.parametrize("size", SIZES)
async def test_invalid_scenario_shows_problems_and_cannot_start(places, size) -> None:
    app = host(places)
    async with app.run_test(size=size) as pilot:
        await pilot.press("down", "down")  # demo, alpha, broken
        await pilot.pause()
        info = text(app, "#scenario-info")
        assert info.startswith("✗ broken — scenarios/broken.toml (bundled): 2 problems")
        assert "line 5: targets.bad.url" in info and "'FETCH' is not an HTTP method" in info
        assert app.screen.query_one("#start", Button).disabled
        assert chooser(app, "#targets").option_count == 0
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == []
        assert text(app, "#status").startswith("✗ cannot start: broken has 2 problems")
        await pilot.press("up", "enter")  # a valid one still starts
        await pilot.pause()
        assert [c.scenario.name for c in app.results if c] == ["alpha"]


@pytest.mark.parametrize("size", SIZES)
async def test_enter_starts_with_the_default_choice(places, size) -> None:
    app = host(places)
    async with app.run_test(size=size) as pilot:
        await pilot.press("enter")
        await pilot.pause()
    [choice] = app.results
    assert isinstance(choice, LaunchChoice)
    path = places["bundled"] / "demo.toml"
    scenario = load_scenario(path, {})
    assert choice.path == path.resolve()
    assert choice.scenario == scenario
    assert choice.target == pick_target(scenario, "local")
    assert choice.profile == pick_profile(scenario, "ramp")


@pytest.mark.parametrize("size", SIZES)
async def test_choose_target_and_profile_by_keyboard(places, size) -> None:
    app = host(places)
    async with app.run_test(size=size) as pilot:
        await pilot.press("down", "tab")  # alpha; into targets
        assert app.screen.focused is chooser(app, "#targets")
        assert text(app, "#target-heading").startswith("»")
        await pilot.press("down", "tab")  # secondary; into profiles
        await pilot.pause()
        assert app.screen.focused is chooser(app, "#profiles")
        assert prompts(app, "#targets")[1].startswith("▶ secondary")
        await pilot.press("shift+tab", "up", "tab", "tab")  # back, primary, on to the detail
        await pilot.pause()
        assert prompts(app, "#targets")[0].startswith("▶ primary")
        assert app.screen.focused is app.screen.query_one("#detail")
        await pilot.press("shift+tab", "shift+tab", "down", "enter")
        await pilot.pause()
    [choice] = app.results
    assert choice is not None
    assert (choice.scenario.name, choice.target.name) == ("alpha", "secondary")
    assert choice.target.url == "http://127.0.0.1:8102/base"
    assert choice.profile.name == "bursts"


async def test_picks_carry_over_when_the_scenario_changes(places) -> None:
    app = host(places, demo_url=DEMO_URL)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("tab", "down", "tab", "down")  # demo: embedded target, arrivals
        await pilot.pause()
        assert "open model" in text(app, "#profile-info")
        await pilot.press("shift+tab", "shift+tab", "down")  # alpha: no arrivals profile
        await pilot.pause()
        assert (chooser(app, "#targets").key, chooser(app, "#profiles").key) == ("demo", "p0")
        await pilot.press("up")  # demo again: the operator's picks come back
        await pilot.pause()
        assert (chooser(app, "#targets").key, chooser(app, "#profiles").key) == ("demo", "p1")


@pytest.mark.parametrize("size", SIZES)
async def test_profile_preview_follows_the_selection(places, size) -> None:
    app = host(places)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        ramp = text(app, "#profile-info")
        assert ramp.startswith("ramp · closed model (users) · 1m20s")
        assert "  1. 20 users at 4/s for 10s" in ramp and "peak 20 users" in ramp
        profiles = chooser(app, "#profiles")
        profiles.focus()
        await pilot.press("down")
        await pilot.pause()
        arrivals = text(app, "#profile-info")
        assert arrivals.startswith("arrivals · open model (arrival rate) · 1m00s")
        assert "  1. 40/s for 30s" in arrivals and "starts at 5/s" in arrivals
        assert "peak 40/s" in arrivals
        assert text(app, "#status").endswith("arrivals · Enter starts")


@pytest.mark.parametrize("size", SIZES)
async def test_custom_url_inherits_headers(places, size) -> None:
    app = host(places)
    async with app.run_test(size=size) as pilot:
        url_field = app.screen.query_one("#custom-url", Input)
        assert not url_field.display
        await pilot.press("tab", "down")  # the custom row is last
        await pilot.pause()
        assert url_field.display
        assert app.screen.query_one("#start", Button).disabled
        await pilot.press("enter")  # no URL yet: focus moves to the field, nothing starts
        await pilot.pause()
        assert app.screen.focused is url_field and app.results == []
        await pilot.press(*"http://[::1]:90/")
        await pilot.pause()
        assert text(app, "#url-note") == "✓ URL looks right"
        await pilot.press("enter")
        await pilot.pause()
    [choice] = app.results
    assert choice is not None
    assert choice.target.url == "http://[::1]:90"
    assert choice.target.name == "local"
    assert choice.target.headers == (("Authorization", "Bearer fixture"),)


@pytest.mark.parametrize("size", SIZES)
async def test_invalid_custom_url_says_why_and_never_starts(places, size) -> None:
    app = host(places)
    async with app.run_test(size=size) as pilot:
        await pilot.press("tab", "down", "tab")
        app.screen.query_one("#custom-url", Input).value = "ftp://127.0.0.1"
        await pilot.pause()
        assert text(app, "#url-note") == "✗ the URL must start with http:// or https://"
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == []
        assert text(app, "#status") == (
            "✗ cannot start: custom URL: the URL must start with http:// or https://"
        )
        app.screen.query_one("#custom-url", Input).value = "http://127.0.0.1:70000"
        await pilot.pause()
        assert "port" in text(app, "#url-note")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == []
        app.screen.query_one("#custom-url", Input).value = "https://127.0.0.1:8443"
        await pilot.press("enter")
        await pilot.pause()
    [choice] = app.results
    assert choice is not None and choice.target.url == "https://127.0.0.1:8443"


async def test_embedded_demo_target_and_env(places) -> None:
    app = host(places, demo_url=DEMO_URL, env={"LOADTUI_TARGET": "http://127.0.0.1:1"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down")  # alpha
        await pilot.pause()
        assert prompts(app, "#targets")[2] == f"  embedded demo target ({DEMO_URL})"
        await pilot.press("tab", "down", "down", "enter")
        await pilot.pause()
    [choice] = app.results
    assert choice is not None
    # alpha has two targets, so a URL does not inherit one's settings (as on the CLI)
    assert (choice.target.name, choice.target.url) == ("cli", DEMO_URL)


async def test_demo_url_overrides_loadtui_target_for_bundled_scenarios(tmp_path) -> None:
    bundled = tmp_path / "b"
    bundled.mkdir()
    text_ = (FIXTURES / "scenarios" / "demo.toml").read_text()
    (bundled / "demo.toml").write_text(
        text_.replace('"http://127.0.0.1:8089"', '"${LOADTUI_TARGET:-http://127.0.0.1:8089}"')
    )
    app = Host(bundled=bundled, cwd=tmp_path, env={}, demo_url=DEMO_URL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
    [choice] = app.results
    assert choice is not None and choice.target.url == DEMO_URL
    assert choice.target.headers == (("Authorization", "Bearer fixture"),)


@pytest.mark.parametrize(
    ("target", "expect_name", "expect_url"),
    [
        ("secondary", "secondary", "http://127.0.0.1:8102/base"),
        (DEMO_URL, "cli", DEMO_URL),
        ("http://127.0.0.1:7000", "cli", "http://127.0.0.1:7000"),
        ("nonexistent", "primary", "http://127.0.0.1:8101"),
    ],
)
async def test_preselected_target_and_profile(places, target, expect_name, expect_url) -> None:
    app = host(places, given=True, demo_url=DEMO_URL, preselect_target=target)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
    [choice] = app.results
    assert choice is not None
    assert (choice.target.name, choice.target.url) == (expect_name, expect_url)
    assert choice.profile.name == "bursts"


async def test_preselected_profile(places) -> None:
    app = host(places, preselect_profile="arrivals")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert prompts(app, "#profiles")[1].startswith("▶ arrivals")
        await pilot.press("enter")
        await pilot.pause()
    assert [c.profile.name for c in app.results if c] == ["arrivals"]


async def test_scenario_without_profiles_runs_manually(places) -> None:
    app = host(places)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("end")  # local.toml, from the working folder
        await pilot.pause()
        assert prompts(app, "#profiles") == ["▶ manual: 1 user until stopped (steer it live)"]
        assert "runs until stopped" in text(app, "#profile-info")
        await pilot.press("enter")
        await pilot.pause()
    [choice] = app.results
    assert choice is not None and choice.scenario.name == "local"
    assert choice.profile.stages[0].users == 1 and choice.profile.duration == FOREVER


async def test_click_picks_but_does_not_start(places) -> None:
    app = host(places)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert await pilot.click("#profiles", offset=(4, 1))
        await pilot.pause()
        assert chooser(app, "#profiles").key == "p1"
        assert app.results == []
        assert await pilot.click("#start")
        await pilot.pause()
    assert [c.profile.name for c in app.results if c] == ["arrivals"]


async def test_rescan_finds_new_files_and_keeps_the_pick(places) -> None:
    app = host(places)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down")  # alpha
        shutil.copy(FIXTURES / "cwd" / "local.toml", places["cwd"] / "added.toml")
        (places["cwd"] / "added.toml").write_text(
            (places["cwd"] / "added.toml").read_text().replace('"local"', '"added"')
        )
        await pilot.press("ctrl+r")
        await pilot.pause()
        names = [r[4:].split()[0] for r in prompts(app, "#scenarios")]
        assert names == ["demo", "alpha", "broken", "added", "local"]
        assert chooser(app, "#scenarios").highlighted == 1
        assert text(app, "#scenario-heading").endswith("Scenario (5)")


async def test_nothing_found_is_calm(tmp_path: Path) -> None:
    app = Host(bundled=tmp_path / "none", cwd=tmp_path, env={})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "tab", "enter")
        await pilot.pause()
        assert app.results == []
        assert text(app, "#status").startswith("✗ no scenario found (looked in ")
        assert text(app, "#scenario-info").startswith("No scenario files found")


async def test_resize_never_crashes_and_switches_layout(places) -> None:
    app = host(places, given=True, demo_url=DEMO_URL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab", "end")  # custom URL field visible
        for size in [(160, 48), (40, 12), (20, 6), (120, 40), (200, 60), (80, 24)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            wide = size[0] >= 110
            assert app.screen.has_class("-wide") is wide
            assert app.screen.has_class("-tiny") is (size[0] < 60)
        await pilot.press("tab")
        assert app.screen.focused is app.screen.query_one("#custom-url", Input)
        app.screen.focused.value = "http://127.0.0.1:9100"
        await pilot.press("enter")
        await pilot.pause()
    [choice] = app.results
    assert choice is not None and choice.target.url == "http://127.0.0.1:9100"


def snapshot_app() -> Host:
    """Deterministic: fixture folders only, no environment, a fixed demo URL."""
    return Host(
        bundled=FIXTURES / "scenarios",
        cwd=FIXTURES / "cwd",
        env={},
        demo_url="http://127.0.0.1:8089",
    )


def test_snapshot_80x24(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(80, 24))


def test_snapshot_120x40_invalid_scenario(snap_compare) -> None:
    assert snap_compare(snapshot_app(), press=["down", "down"], terminal_size=(120, 40))
