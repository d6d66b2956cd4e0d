"""After `s` the console shows the run as it ended: the header is final (stopped, the
whole run's totals, no time left) and the events pane holds every event of the run,
the stop and the final tick's included. The real engine against the demo target."""

from __future__ import annotations

import json
from pathlib import Path

from support.waits import settle
from textual.widgets import Static
from tui.test_app import FAST

from loadtui.engine.config import RunConfig
from loadtui.report import fmt
from loadtui.scenario import load_scenario
from loadtui.scenario.select import pick_profile, pick_target
from loadtui.tui.app import LoadtuiApp
from loadtui.tui.screens.dashboard import DashboardScreen


def plain(widget: Static) -> str:
    return str(widget.render())


async def test_after_stop_the_header_and_events_are_final(demo_url: str, tmp_path: Path) -> None:
    scen = tmp_path / "fast.toml"
    scen.write_text(FAST)
    plan = load_scenario(scen, env={"LOADTUI_TARGET": demo_url})
    config = RunConfig(plan, pick_target(plan, None), pick_profile(plan, None), tick_s=0.25)
    session = tmp_path / "run.json"
    app = LoadtuiApp(config=config, sessions_dir=tmp_path, session=session)
    async with app.run_test(size=(160, 48)) as pilot:
        live = app.live
        assert live is not None
        await settle(pilot, lambda: live.last is not None and live.last.total.requests > 20)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert "RUNNING" in plain(screen.header) and "last 10 s: req/s" in plain(screen.header)
        await pilot.press("s")
        await settle(pilot, lambda: app.report is not None)
        await settle(pilot, lambda: "STOPPED" in plain(screen.header))
        final = live.last
        assert final is not None and final.load.state == "stopped"
        head = plain(screen.header)
        assert "steady: ended" in head and "left" not in head
        total = final.total
        assert (
            f"final: {fmt.count(total.requests)} requests  req/s {fmt.rate(total.mean_rps)}"
            f"  {fmt.count(total.failures)} failed" in head
        )
        assert total.requests == app.report["requests"]
        shown = [e.message for e in screen.panes.events.events]
        await settle(pilot, lambda: "stopped by operator" in plain(screen.panes.events._body))
        await pilot.press("q")
        await settle(pilot, lambda: app.return_value is not None)
    records = [json.loads(line) for line in session.read_text().splitlines()]
    logged = [r["message"] for r in records if r.get("type") == "event"]
    assert "stopped by operator" in logged
    assert shown == logged  # every event of the run, the final tick's included, in order
