"""The console never shows a URL's password: launch screen rows and status line, the
run header (live and replayed), the unreachable notice; whatever the URL came from
(file, ${ENV}, typed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.loopback import refusing_port
from support.snapshots import snapshot
from support.waits import settle
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from loadtui.scenario.model import Profile, Stage
from loadtui.tui.app import LaunchArgs, LoadtuiApp
from loadtui.tui.screens.launch import LaunchChoice, LaunchScreen
from loadtui.tui.widgets.chooser import Chooser
from loadtui.tui.widgets.header import RunHeader

SECRET = "pw-d7c1e0"
SCENARIO = f"""
name = "private"
[targets.env]
url = "${{PRIVATE_URL}}"
[targets.file]
url = "http://bob:{SECRET}@127.0.0.1:8102/base"
[[users]]
name = "u"
[[users.tasks]]
name = "items"
path = "/api/items"
[profiles.flat]
stages = [{{ duration = "10s", users = 2 }}]
"""


class Host(App[None]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self.kwargs = kwargs
        self.results: list[LaunchChoice | None] = []

    def on_mount(self) -> None:
        self.push_screen(LaunchScreen(**self.kwargs), callback=self.results.append)


def shown(app: App[Any]) -> str:
    """Everything the screen says: chooser rows and static texts."""
    rows = [str(o.prompt) for c in app.screen.query(Chooser) for o in c.options]
    statics = [str(s.content) for s in app.screen.query(Static)]
    return "\n".join(rows + statics)


async def test_launch_screen_hides_passwords_from_the_file_env_and_typed_url(
    tmp_path: Path,
) -> None:
    given = tmp_path / "private.toml"
    given.write_text(SCENARIO)
    env = {"PRIVATE_URL": f"http://alice:{SECRET}@127.0.0.1:8101"}
    app = Host(bundled=tmp_path / "none", cwd=tmp_path, given=given, env=env)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = shown(app)
        assert "env  http://alice:***@127.0.0.1:8101" in text
        assert "file  http://bob:***@127.0.0.1:8102/base" in text
        assert "Ready: private → http://alice:***@127.0.0.1:8101" in text
        assert SECRET not in text
        targets = app.screen.query_one("#targets", Chooser)
        targets.focus()
        await pilot.press("end")  # "custom URL…"
        await pilot.pause()
        url_field = app.screen.query_one("#custom-url", Input)
        url_field.value = f"http://carol:{SECRET}@127.0.0.1:8103"
        await pilot.pause()
        status = str(app.screen.query_one("#status", Static).content)
        assert "→ http://carol:***@127.0.0.1:8103" in status
        assert SECRET not in status


class HeaderHost(App[None]):
    def compose(self) -> ComposeResult:
        profile = Profile("flat", "closed", (Stage(10, users=2),))
        yield RunHeader("private", f"http://alice:{SECRET}@127.0.0.1:1", profile, id="header")


async def test_run_header_hides_the_password_before_and_after_the_first_snapshot() -> None:
    app = HeaderHost()
    async with app.run_test(size=(160, 10)) as pilot:
        header = app.query_one(RunHeader)
        before = str(header.content)
        header.show(snapshot())
        await pilot.pause()
        after = str(header.content)
    for text in (before, after):
        assert "private → http://alice:***@127.0.0.1:1" in text
        assert SECRET not in text


async def test_the_unreachable_notice_names_the_target_without_its_password(
    tmp_path: Path,
) -> None:
    with refusing_port() as port:  # refuses connections while the test runs
        dead = f"http://alice:{SECRET}@127.0.0.1:{port}"
        given = tmp_path / "private.toml"
        given.write_text(SCENARIO)
        launch = LaunchArgs(
            bundled=tmp_path / "none", cwd=tmp_path, given=given, env={"PRIVATE_URL": dead}
        )
        app = LoadtuiApp(launch=launch, sessions_dir=tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await settle(pilot, lambda: bool(app._notifications), what="the preflight's notice")
            notices = " ".join(str(n.message) for n in app._notifications)
            await pilot.press("q")
    assert "http://alice:***@127.0.0.1:" in notices and "unreachable" in notices
    assert SECRET not in notices
