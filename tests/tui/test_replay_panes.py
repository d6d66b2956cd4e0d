"""Live and replay compose the same panes: a recording replayed to its end shows, pane
for pane, what the live dashboard showed when it was fed the same ticks."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static
from tui.dashboard_host import DashboardHost
from tui.replay_host import ReplayHost, recorded_ticks, session_of, story_events

from loadtui.tui.widgets.panes import Panes
from loadtui.tui.widgets.timeline import Timeline

WIDE = (160, 48)  # every pane on screen, so each one draws


def plain(widget: Static) -> str:
    return str(widget.render())


def shown(panes: Panes) -> dict[str, object]:
    """Everything the panes show, as text."""
    table = panes.endpoints.table
    rows = [
        [cell.plain if isinstance(cell, Text) else str(cell) for cell in table.get_row_at(i)]
        for i in range(table.row_count)
    ]
    return {
        "vitals": plain(panes.vitals),
        "status": plain(panes.status),
        "system": plain(panes.system),
        "pool": plain(panes.pool),
        "table": rows,
        "titles": (panes.endpoints.border_title, panes.endpoints.border_subtitle),
        "charts": [str(chart.render()) for chart in (panes.charts.rps, panes.charts.latency)],
        "events": plain(panes.events.query_one(Static)),
    }


async def test_the_replay_at_its_end_shows_what_the_live_dashboard_showed() -> None:
    ticks = recorded_ticks(400, events=story_events())
    live = DashboardHost(snapshots=ticks)
    async with live.run_test(size=WIDE) as pilot:
        await pilot.pause()
        live_panes = shown(live.dashboard.panes)
        live_header = plain(live.dashboard.header)
        assert not live.dashboard.query(Timeline)
    replay = ReplayHost(session_of(ticks, thresholds=()))
    async with replay.run_test(size=WIDE) as pilot:
        await pilot.pause()
        screen = replay.replay
        assert shown(screen.panes) == live_panes
        where, *figures = plain(screen.header).splitlines()
        assert "REPLAY" in where and "1:40 / 1:40" in where
        assert figures == live_header.splitlines()
        assert screen.panes.endpoints.table.row_count == 3  # two endpoints and the total
        assert "stage 3/3: 5 users for 30s" in plain(screen.panes.events.query_one(Static))
