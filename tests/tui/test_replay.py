"""ReplayScreen through Pilot, on hand-built recorded sessions with real histograms: the
recorded figures show, the replay keys play / seek / jump, a marked window shows exact
merged percentiles, and the layout holds at 80x24 and 160x48. Plus the timeline's text."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from support.palette import pick
from support.waits import settle
from textual.widgets import Static
from tui.replay_host import FakeClock, ReplayHost, recorded_ticks, session_of, story_events

from loadtui.metrics.histogram import decode, latency_of, merge
from loadtui.metrics.snapshot import Latency
from loadtui.report import fmt
from loadtui.session.reader import Session
from loadtui.tui.replay_player import ReplayPlayer
from loadtui.tui.screens.replay import ReplayScreen
from loadtui.tui.widgets.endpoints import TOTAL_KEY
from loadtui.tui.widgets.timeline import TimelineView, column, timeline_text

SMALL = (80, 24)
LARGE = (160, 48)


def recorded(count: int = 400, **kwargs: object) -> Session:
    return session_of(recorded_ticks(count, events=story_events()), **kwargs)  # type: ignore[arg-type]


def host(session: Session | None = None, start: str = "end") -> tuple[ReplayHost, FakeClock]:
    clock = FakeClock()
    session = session or recorded()
    return ReplayHost(session, player=ReplayPlayer(session, clock=clock, start=start)), clock  # type: ignore[arg-type]


def cell(screen: ReplayScreen, row: str, column: str) -> str:
    value = screen.panes.endpoints.table.get_cell(row, column)
    return value.plain if isinstance(value, Text) else str(value)


def plain(widget: Static) -> str:
    return str(widget.render())


def logged(screen: ReplayScreen) -> str:
    """What the events log lists."""
    return plain(screen.panes.events.query_one(Static))


def notes(app: ReplayHost) -> str:
    return " ".join(str(n.message) for n in app._notifications)


def timeline(screen: ReplayScreen) -> str:
    return str(screen.timeline.render())


def last_10s(player: ReplayPlayer, name: str | None) -> tuple[Latency, int]:
    """Latency merged from the recorded histograms of the 10 s up to the playhead, and
    the requests in them: what the table shows, as live."""
    now = player.visible().t
    rows = []
    for snap in player.ticks:
        if now - 10.0 < snap.t <= now:
            row = snap.total if name is None else snap.endpoint(name)
            assert row is not None
            rows.append(row)
    assert len(rows) == min(40, len(player.ticks))  # 0.25 s ticks
    merged = latency_of(merge(decode(r.histogram) for r in rows))
    return merged, sum(r.interval_requests for r in rows)


def shows_latency(screen: ReplayScreen, row: str, lat: Latency) -> bool:
    return all(
        cell(screen, row, col) == fmt.ms(getattr(lat, col))
        for col in ("p50", "p90", "p95", "p99", "p999", "max")
    )


async def test_opens_at_the_end_on_the_recorded_figures() -> None:
    app, _ = host()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        screen = app.replay
        assert app.screen is screen
        final = screen.session.ticks[-1]
        head = plain(screen.header)
        assert "REPLAY" in head and "demo-run.json" in head and "1:40 / 1:40" in head
        assert "demo → http://127.0.0.1:8089" in head
        login = final.endpoint("login")
        assert login is not None
        for row, name in (("login", "login"), (TOTAL_KEY, None)):
            merged, requests = last_10s(screen.player, name)
            assert shows_latency(screen, row, merged), row
            assert cell(screen, row, "reqs") == f"{requests:,}"
        assert screen.panes.endpoints.border_title == "Endpoints · last 10 s"
        await pilot.press("t")  # whole run up to the playhead, as live
        assert cell(screen, "login", "reqs") == f"{login.requests:,}"
        line = timeline(screen).splitlines()
        assert len(line) == 3 and "■ END 1×" in line[2] and "1:40 / 1:40" in line[2]
        assert line[1].rstrip().endswith("◆")


async def test_play_moves_at_the_chosen_speed_and_pause_stops() -> None:
    app, clock = host()
    async with app.run_test(size=SMALL) as pilot:
        screen, player = app.replay, app.replay.player
        await pilot.press("right_square_bracket", "right_square_bracket")  # 1× → 2× → 5×
        assert player.speed == 5.0 and "5×" in timeline(screen)
        await pilot.press("space")  # at the end: plays from the start
        assert player.playing and player.index == 0
        clock.advance(2.0)
        await settle(pilot, lambda: player.index == 40)  # 10 s of recording at 5×
        assert player.time == 10.25
        await settle(pilot, lambda: "▶ PLAYING 5×" in timeline(screen))
        await settle(pilot, lambda: "0:10 / 1:40" in plain(screen.header))
        assert shows_latency(screen, "/api/items", last_10s(player, "/api/items")[0])
        await pilot.press("left_square_bracket")
        clock.advance(1.0)  # 2× now
        await settle(pilot, lambda: player.index == 48)
        await pilot.press("space")
        assert not player.playing
        clock.advance(30.0)
        await pilot.pause(0.1)
        assert player.index == 48 and "‖ PAUSED 2×" in timeline(screen)


async def test_seek_keys_move_by_10s_a_minute_and_to_either_end() -> None:
    app, _ = host(start="start")
    async with app.run_test(size=SMALL) as pilot:
        player = app.replay.player
        await pilot.press("right")
        assert player.time == 10.25
        await pilot.press("shift+right")
        assert player.time == 70.25
        await pilot.press("left")
        assert player.time == 60.25
        await pilot.press("shift+left", "shift+left")
        assert player.time == 0.25
        await pilot.press("end")
        assert player.index == 399
        await pilot.press("home")
        assert player.index == 0
        await pilot.press("2")  # the charts show the ticks up to the playhead
        await pilot.press("right")
        await pilot.pause()
        last = app.replay.player.history.last
        assert last is not None and last.t == 10.25


async def test_next_and_previous_event_land_on_their_tick() -> None:
    app, _ = host(start="start")
    async with app.run_test(size=SMALL) as pilot:
        screen, player = app.replay, app.replay.player
        await pilot.press("n")
        assert player.visible().seq == 40
        await pilot.press("5")
        await settle(pilot, lambda: "stage 2/3" in logged(screen))
        assert "set users" not in logged(screen)
        await pilot.press("b")  # the next breach, skipping the operator event
        assert player.visible().seq == 200
        await settle(pilot, lambda: "threshold breached" in logged(screen))
        await pilot.press("N")
        assert player.visible().seq == 120
        await pilot.pause()
        assert "threshold breached" not in logged(screen)
        await pilot.press("B")
        assert player.visible().seq == 120  # no earlier breach: stays
        markers = timeline(screen).splitlines()[0]
        assert markers.count("▸") == 2 and "●" in markers and "✗" in markers


async def test_a_marked_window_shows_exact_merged_percentiles() -> None:
    app, _ = host(recorded(600), start="start")  # 2:30
    async with app.run_test(size=SMALL) as pilot:
        screen, player = app.replay, app.replay.player
        await pilot.press("right", "right", "right", "m")  # 0:30
        assert "window from 0:30" in timeline(screen)
        await pilot.press("shift+right", "right")
        await pilot.press("M")  # 1:40
        await settle(pilot, lambda: screen.window_snapshot is not None, timeout=30)
        assert player.window == (30.25, 100.25)
        assert "window 0:30–1:40" in str(screen.panes.endpoints.border_title)
        assert "window 0:30–1:40" in timeline(screen)
        in_window = [s for s in player.ticks if 30.25 < s.t <= 100.25]
        assert len(in_window) == 280
        for row, name in (("/api/items", "/api/items"), ("login", "login"), (TOTAL_KEY, None)):
            hists = []
            for snap in in_window:
                stats = snap.total if name is None else snap.endpoint(name)
                assert stats is not None
                hists.append(decode(stats.histogram))
            expected = latency_of(merge(hists))
            assert shows_latency(screen, row, expected), row
            assert cell(screen, row, "reqs") == f"{expected.count:,}"
        assert cell(screen, "login", "fails") == "56"  # 2 on each of 28 tenth ticks
        # Moving on keeps the window's figures; `t` shows the whole run at the playhead.
        await pilot.press("right")
        assert cell(screen, TOTAL_KEY, "reqs") == f"{screen.window_snapshot.total.requests:,}"
        await pilot.press("t")
        assert cell(screen, TOTAL_KEY, "reqs") == f"{player.visible().total.requests:,}"
        assert screen.panes.endpoints.border_title == "Endpoints · whole run"
        assert "t: window 0:30–1:40" in str(screen.panes.endpoints.border_subtitle)
        await pilot.press("t", "x")
        assert screen.panes.endpoints.border_title == "Endpoints · last 10 s"
        assert cell(screen, TOTAL_KEY, "reqs") == f"{last_10s(player, None)[1]:,}"
        assert "m: mark a window" in timeline(screen)


async def test_window_end_needs_a_start_and_a_distance() -> None:
    app, _ = host()
    async with app.run_test(size=SMALL) as pilot:
        screen = app.replay
        await pilot.press("M")
        await pilot.pause()
        assert screen.player.window is None
        assert screen.panes.endpoints.border_title == "Endpoints · last 10 s"
        await pilot.press("m", "M")
        await pilot.pause()
        assert screen.player.window is None
        assert "empty window" in notes(app)


async def test_a_damaged_histogram_is_reported_not_fatal() -> None:
    ticks = recorded_ticks(400, events=story_events())
    bad = replace(ticks[200], total=replace(ticks[200].total, histogram=b"garbage"))
    app, _ = host(session_of([*ticks[:200], bad, *ticks[201:]]))
    async with app.run_test(size=SMALL) as pilot:
        screen = app.replay
        await pilot.press("home", "m", "end", "M")
        await settle(pilot, lambda: screen.player.window is None)
        await settle(pilot, lambda: "cannot merge the window" in notes(app))
        assert app.screen is screen
        assert screen.panes.endpoints.border_title == "Endpoints · last 10 s"
        await pilot.press("left", "n")
        assert app.screen is screen
        await pilot.press("home", *["right"] * 5)  # 0:50, the damaged tick: in the last 10 s
        assert screen.player.index == 200
        await settle(pilot, lambda: "figures of one tick only here" in notes(app))
        assert cell(screen, TOTAL_KEY, "reqs") == f"{bad.total.interval_requests:,}"
        await pilot.press("right")  # past it: the last 10 s again
        assert cell(screen, TOTAL_KEY, "reqs") == f"{last_10s(screen.player, None)[1]:,}"


async def test_live_controls_are_not_bound_and_q_is_left_to_the_app() -> None:
    app, _ = host()
    async with app.run_test(size=SMALL) as pilot:
        screen = app.replay
        keys = set(screen._bindings.key_to_bindings)
        assert "q" not in keys and "ctrl+q" not in keys
        assert not {"plus", "minus", "u", "r", "w", "S", "s", "f", "p"} & keys
        before = screen.player.time
        await pilot.press("plus", "u", "s", "f", "p")
        await pilot.pause()
        assert app.screen is screen and screen.player.time == before
        names = [name for name, _, _ in screen.palette_commands()]
        assert "Replay: play / pause" in names and "Window: clear" not in names
        assert not any("Users" in n or "Stop" in n for n in names)
        await pick(pilot, "faster", "Replay: faster")
        await settle(pilot, lambda: screen.player.speed == 2.0)
        assert app.screen is screen


async def test_layout_at_80x24_and_160x48_and_resizes() -> None:
    session = recorded(
        count=1200, path="sessions/a-rather-long-session-name-2024.json", finished=False
    )
    app, _ = host(session)
    async with app.run_test(size=SMALL) as pilot:
        screen = app.replay
        await pilot.pause()
        assert screen.has_class("-narrow")
        assert "run cut short" in plain(screen.header)
        assert screen.timeline.region.height == 3 and screen.timeline.region.width == 80
        assert screen.panes.endpoints.region.height >= 8
        for key in "123451":
            await pilot.press(key)
            await pilot.pause()
        await pilot.resize_terminal(*LARGE)
        await pilot.pause()
        assert screen.has_class("-wide")
        shown = {w.id for w in screen.query("#panes > .pane") if w.display}
        assert shown == {"endpoints", "status", "charts", "health", "events"}
        for pane_id in shown:
            region = screen.query_one(f"#{pane_id}").region
            assert region.width >= 30 and region.height >= 5, pane_id
        assert screen.timeline.region.width == 160
        assert screen.timeline.region.y + 3 <= 47  # above the footer
        await pilot.press("home", "n", "m", "end", "M")
        await settle(pilot, lambda: screen.window_snapshot is not None, timeout=30)
        for size in ((40, 12), (20, 6), SMALL, LARGE):
            await pilot.resize_terminal(*size)
            await pilot.press("left")
            await pilot.pause()
        assert app.screen is screen


async def test_an_hour_long_session_opens_at_its_end_and_seeks() -> None:
    # How fast the player opens and seeks is measured by bench/replay_seek.py.
    app = ReplayHost(recorded(count=14_400))
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert "1:00:00 / 1:00:00" in plain(app.replay.header)
        await pilot.press("home")
        await settle(pilot, lambda: app.replay.player.index == 0)
        await pilot.press("shift+right", "n", "end")
        await settle(pilot, lambda: app.replay.player.index == 14_399)
        assert "1:00:00 / 1:00:00" in plain(app.replay.header)


def test_timeline_places_marks_cursor_and_window_by_time() -> None:
    view = TimelineView(
        start=0.0,
        end=100.0,
        position=50.0,
        state="playing",
        speed=10.0,
        marks=((0.0, "info"), (10.0, "stage"), (10.4, "breach"), (60.0, "operator")),
        window_start=20.0,
        window_end=80.0,
    )
    lines = timeline_text(view, 51).plain.splitlines()
    assert len(lines) == 3 and all(len(line) == 51 for line in lines[:2])
    markers, bar, status = lines
    assert markers[0] == " "  # info events are not marked
    assert markers[5] == "✗"  # a breach wins the cell it shares with a stage
    assert markers[30] == "●" and markers.count("▸") == 0
    assert bar[25] == "◆" and bar[10] == "[" and bar[40] == "]"
    assert set(bar[:10]) == {"━"} and set(bar[41:]) == {"─"}
    assert status.startswith("▶ PLAYING 10×  0:50 / 1:40  window 0:20–1:20")
    assert column(50.0, 0.0, 0.0, 10) == 9  # a zero-length recording: at the end
    assert timeline_text(view, 0).plain == ""
    pending = TimelineView(0.0, 100.0, 30.0, window_start=70.0)
    bar = timeline_text(pending, 101).plain.splitlines()[1]
    assert bar[30] == "◆" and bar[70] == "]" and "[" not in bar  # from the playhead
    assert "window from 1:10 · M: mark its end" in timeline_text(pending, 101).plain
