"""DashboardScreen driven through Pilot: each key reaches the Control with the right
values, the panes show what the snapshots say, and the layout survives any size."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from support.control import RecordingControl
from support.palette import pick
from support.snapshots import endpoint, run_of, snapshot
from support.waits import settle
from textual.widgets import DataTable, Input, Static, Tabs
from tui.dashboard_host import CLOSED, OPEN, THRESHOLDS, DashboardHost, story

from loadtui.metrics.histogram import decode, latency_of, merge
from loadtui.metrics.snapshot import Event, Latency, Snapshot
from loadtui.report import fmt
from loadtui.report.breaches import BreachWatch
from loadtui.tui.screens.dashboard import DashboardScreen
from loadtui.tui.screens.prompt import ValuePrompt
from loadtui.tui.widgets.common import WAITING
from loadtui.tui.widgets.endpoints import TOTAL_KEY
from loadtui.tui.widgets.events import MAX_EVENTS

SMALL = (80, 24)


def cell(screen: DashboardScreen, row: str, column: str) -> str:
    value = screen.panes.endpoints.table.get_cell(row, column)
    return value.plain if isinstance(value, Text) else str(value)


def plain(widget: Static) -> str:
    return str(widget.render())


def logged(screen: DashboardScreen) -> str:
    """What the events log lists."""
    return plain(screen.panes.events.query_one(Static))


async def test_panes_wait_calmly_for_the_first_snapshot() -> None:
    app = DashboardHost()
    async with app.run_test(size=SMALL) as pilot:
        screen = app.dashboard
        await pilot.pause()
        assert "STARTING" in plain(screen.header) and WAITING in plain(screen.header)
        panes = screen.panes
        for pane in (panes.vitals, panes.status, panes.system, panes.pool):
            assert WAITING in plain(pane)
        assert screen.query_one("#endpoints-waiting").display
        assert screen.panes.endpoints.table.row_count == 0
        await pilot.press("2")
        await pilot.pause()
        assert WAITING in str(screen.panes.charts.rps.render())
        app.feed(snapshot(1))
        await pilot.pause()
        assert not screen.query_one("#endpoints-waiting").display
        assert screen.panes.endpoints.table.row_count == 3  # two endpoints and the total


async def test_users_step_up_down_and_large_steps_from_the_latest_snapshot() -> None:
    app = DashboardHost(snapshots=[snapshot(1, users_target=20)])
    async with app.run_test(size=SMALL) as pilot:
        control = app.control
        await pilot.press("plus")
        assert control.last == ("set_users", 25, None)
        await pilot.press("equals_sign")  # before a snapshot echoes 25: adds up
        assert control.last == ("set_users", 30, None)
        await pilot.press("minus")
        assert control.last == ("set_users", 25, None)
        app.feed(snapshot(2, users_target=25))  # the engine caught up
        await pilot.press("shift+up")
        assert control.last == ("set_users", 75, None)
        await pilot.press("less_than_sign")
        assert control.last == ("set_users", 25, None)
        await pilot.press("greater_than_sign")
        assert control.last == ("set_users", 75, None)
        # Three snapshots that never show 75 (e.g. the command was refused): trust them.
        for seq in (3, 4, 5):
            app.feed(snapshot(seq, users_target=40))
        await pilot.press("shift+down")
        assert control.last == ("set_users", 0, None)  # 40 - 50, floored at 0
        await pilot.press("minus")
        assert control.last == ("set_users", 0, None)
        assert "set_rate" not in control.names()


async def test_users_step_size_is_configurable() -> None:
    app = DashboardHost(snapshots=[snapshot(1, users_target=3)], users_step=1)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("plus", "shift+up")
        assert app.control.calls == [("set_users", 4, None), ("set_users", 14, None)]


async def test_open_model_steps_the_arrival_rate_not_users() -> None:
    snap = snapshot(1, model="open", rate=100.0, users=0, users_target=0)
    app = DashboardHost(profile=OPEN, snapshots=[snap])
    async with app.run_test(size=SMALL) as pilot:
        control = app.control
        await pilot.press("plus")
        assert control.last == ("set_rate", 110.0)
        app.feed(replace(snap, seq=2, load=replace(snap.load, rate=110.0)))
        await pilot.press("minus")
        assert control.last == ("set_rate", 100.0)
        await pilot.press("greater_than_sign")
        assert control.last == ("set_rate", 200.0)
        await pilot.press("shift+down")
        assert control.last == ("set_rate", 100.0)
        assert "set_users" not in control.names()
        assert "rate 110.0/s" in plain(app.dashboard.header)  # the latest snapshot


async def test_users_prompt_sets_users_and_spawn_rate() -> None:
    app = DashboardHost(snapshots=[snapshot(1, users_target=20)])
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ValuePrompt)
        field = app.screen.query_one(Input)
        assert field.value == "20"
        field.value = ""
        await pilot.press(*"50@10", "enter")
        await pilot.pause()
        assert app.control.last == ("set_users", 50, 10.0)
        assert app.screen is app.dashboard
        await pilot.press("u")
        await pilot.pause()
        app.screen.query_one(Input).value = "70"
        await pilot.press("enter")
        await pilot.pause()
        assert app.control.last == ("set_users", 70, None)


async def test_users_prompt_keeps_invalid_input_open_and_escape_cancels() -> None:
    app = DashboardHost(snapshots=[snapshot(1)])
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("u")
        await pilot.pause()
        prompt = app.screen
        prompt.query_one(Input).value = "lots"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is prompt
        assert "whole number" in str(prompt.query_one("#prompt-error", Static).render())
        await pilot.press("backspace")  # editing clears the message
        await pilot.pause()
        assert str(prompt.query_one("#prompt-error", Static).render()).strip() == ""
        prompt.query_one(Input).value = "50@0"
        await pilot.press("enter")
        await pilot.pause()
        assert "spawn rate" in str(prompt.query_one("#prompt-error", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.dashboard
        assert app.control.calls == []


async def test_rate_prompt_sets_the_arrival_rate_and_refuses_negatives() -> None:
    snap = snapshot(1, model="open", rate=80.0)
    app = DashboardHost(profile=OPEN, snapshots=[snap])
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("r")
        await pilot.pause()
        field = app.screen.query_one(Input)
        assert field.value == "80"
        field.value = "-5"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ValuePrompt) and app.control.calls == []
        app.screen.query_one(Input).value = "120/s"
        await pilot.press("enter")
        await pilot.pause()
        assert app.control.calls == [("set_rate", 120.0)]
        await pilot.press("u")  # users can still be mixed in, from the same prompt
        await pilot.pause()
        app.screen.query_one(Input).value = "3@1"
        await pilot.press("enter")
        await pilot.pause()
        assert app.control.last == ("set_users", 3, 1.0)


async def test_rate_prompt_also_works_for_a_closed_profile() -> None:
    app = DashboardHost(snapshots=[snapshot(1)])
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("r")
        await pilot.pause()
        app.screen.query_one(Input).value = "15"
        await pilot.press("enter")
        await pilot.pause()
        assert app.control.calls == [("set_rate", 15.0)]


async def test_pause_then_resume_follow_next_and_stop() -> None:
    app = DashboardHost(snapshots=[snapshot(1, state="running", following=False)])
    async with app.run_test(size=SMALL) as pilot:
        control = app.control
        await pilot.press("p")
        assert control.calls == [("pause",)]
        app.feed(snapshot(2, state="paused", following=False))
        await pilot.pause()
        assert "PAUSED" in plain(app.dashboard.header)
        await pilot.press("space")
        assert control.last == ("resume",)
        app.feed(snapshot(3, state="running", following=False))
        await pilot.press("space")
        assert control.last == ("pause",)
        await pilot.press("n")
        assert control.last == ("next_stage",)
        assert "ramp: manual" in plain(app.dashboard.header)
        await pilot.press("f")
        assert control.last == ("follow_profile",)
        app.feed(snapshot(4, following=True))
        control.clear()
        await pilot.press("f")  # already following: nothing to ask
        assert control.calls == []
        await pilot.press("s")
        assert control.calls == [("stop", 5.0, "stopped by operator")]
        app.feed(snapshot(5, state="stopping"))
        await pilot.pause()
        await pilot.press("plus", "p", "n", "s", "u")  # the run is over: no more commands
        await pilot.pause()
        assert control.calls == [("stop", 5.0, "stopped by operator")]
        assert app.screen is app.dashboard
        assert "STOPPING" in plain(app.dashboard.header)


def window_of(snaps: list[Snapshot], name: str | None) -> tuple[int, Latency]:
    """Requests and latency of one row over the snapshots given, merged exactly."""
    rows = [s.total if name is None else s.endpoint(name) for s in snaps]
    assert all(r is not None for r in rows)
    merged = latency_of(merge(decode(r.histogram) for r in rows if r is not None))
    return sum(r.interval_requests for r in rows if r is not None), merged


async def test_the_table_shows_the_last_10_s_merged_and_t_switches_to_the_whole_run() -> None:
    snaps = run_of(31)  # 0.5 s ticks: the last 10 s are the last 20
    app = DashboardHost(snapshots=snaps[:30])
    async with app.run_test(size=SMALL) as pilot:
        screen = app.dashboard
        pane = screen.panes.endpoints
        requests, lat = window_of(snaps[10:30], "/api/items")
        assert cell(screen, "/api/items", "reqs") == f"{requests:,}"
        assert cell(screen, "/api/items", "rps") == fmt.rate(requests / 10.0)
        for col in ("p50", "p90", "p95", "p99", "p999", "max"):
            assert cell(screen, "/api/items", col) == fmt.ms(lat.get(col.replace("999", "99.9")))
        assert len({lat.p90, lat.p99, lat.max}) == 3  # thousands of samples, not one tick's
        assert cell(screen, TOTAL_KEY, "reqs") == f"{window_of(snaps[10:30], None)[0]:,}"
        assert pane.border_title == "Endpoints · last 10 s"
        assert pane.border_subtitle == "t: whole run"
        await pilot.press("t")
        last = snaps[29].endpoints[0]
        assert cell(screen, "/api/items", "reqs") == f"{last.requests:,}"
        assert cell(screen, "/api/items", "p50") == fmt.ms(last.latency.p50)
        assert cell(screen, "/api/items", "rps") == fmt.rate(last.mean_rps)
        assert pane.border_title == "Endpoints · whole run"
        assert pane.border_subtitle == "t: last 10 s"
        app.feed(snaps[30])  # stays on the chosen view
        assert cell(screen, "/api/items", "reqs") == f"{snaps[30].endpoints[0].requests:,}"
        await pilot.press("t")  # back: the window slid by the new tick
        requests, lat = window_of(snaps[11:31], "/api/items")
        assert cell(screen, "/api/items", "reqs") == f"{requests:,}"
        assert cell(screen, "/api/items", "p99") == fmt.ms(lat.p99)
        assert pane.border_title == "Endpoints · last 10 s"
        assert app.control.calls == []


async def test_the_header_reads_req_s_and_errors_over_the_same_window() -> None:
    snaps = [
        snapshot(i, endpoints=[endpoint("/a", interval_requests=100, interval_failures=f)])
        for i, f in enumerate([50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 1)
    ]
    app = DashboardHost(snapshots=snaps)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        # 10 s of 0.5 s ticks: 2,000 requests, 52 failed; the last tick alone would say 2 %.
        assert "last 10 s: req/s 200.0  errors 2.60%" in plain(app.dashboard.header)
        app.feed(snapshot(21, endpoints=[endpoint("/a", interval_requests=100)]))
        await pilot.pause()
        assert "last 10 s: req/s 200.0  errors 0.10%" in plain(app.dashboard.header)


async def test_rows_update_in_place_and_new_endpoints_keep_total_last() -> None:
    app = DashboardHost(snapshots=[snapshot(1)])
    async with app.run_test(size=SMALL) as pilot:
        table = app.dashboard.panes.endpoints.table
        keys = [r.key.value for r in table.ordered_rows]
        assert keys == ["/api/items", "login", TOTAL_KEY]
        app.feed(snapshot(2, users=5))
        await pilot.pause()
        assert [r.key.value for r in table.ordered_rows] == keys
        from support.snapshots import default_endpoints

        more = (*default_endpoints(), endpoint("/api/new", interval_requests=9))
        app.feed(snapshot(3, endpoints=more))
        await pilot.pause()
        assert [r.key.value for r in table.ordered_rows] == [*keys[:2], "/api/new", TOTAL_KEY]
        assert cell(app.dashboard, "/api/new", "reqs") == "9"
        assert cell(app.dashboard, TOTAL_KEY, "name").strip() == "Total"


async def test_tabs_at_80x24_show_one_group_at_a_time() -> None:
    app = DashboardHost(snapshots=story(20))
    async with app.run_test(size=SMALL) as pilot:
        screen = app.dashboard
        await pilot.pause()
        assert screen.has_class("-narrow")
        visible = {w.id for w in screen.query("#panes > .pane") if w.display}
        assert visible == {"vitals", "endpoints"}
        assert screen.panes.endpoints.region.height > 5 and screen.panes.vitals.region.height == 2
        for key, expected in (
            ("2", {"charts"}),
            ("3", {"status"}),
            ("4", {"health"}),
            ("5", {"events"}),
            ("1", {"vitals", "endpoints"}),
        ):
            await pilot.press(key)
            await pilot.pause()
            assert {w.id for w in screen.query("#panes > .pane") if w.display} == expected
            region = screen.query_one(f"#{next(iter(expected))}").region
            assert region.height > 1 and region.width > 40
        assert screen.query_one(Tabs).active == "tab-overview"
        assert app.control.calls == []


async def test_resize_between_narrow_wide_and_tiny_never_crashes() -> None:
    app = DashboardHost(snapshots=story(10), watch=BreachWatch(THRESHOLDS))
    async with app.run_test(size=SMALL) as pilot:
        screen = app.dashboard
        seq = 11
        for size in ((160, 48), (80, 24), (40, 12), (120, 40), (20, 6), (160, 48)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            app.feed(snapshot(seq, warnings=("generator saturated",) if seq % 2 else ()))
            seq += 1
            await pilot.pause()
            assert screen.has_class("-wide") == (size[0] >= 120)
            assert screen.has_class("-narrow") == (size[0] < 120)
        assert not screen.query_one("#tabs").display
        shown = {w.id for w in screen.query("#panes > .pane") if w.display}
        assert shown == {"endpoints", "status", "charts", "health", "events"}
        for pane_id in shown:
            region = screen.query_one(f"#{pane_id}").region
            assert region.width >= 30 and region.height >= 5, pane_id
        await pilot.press("3")  # a tab chosen while wide applies once narrow
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert {w.id for w in screen.query("#panes > .pane") if w.display} == {"status"}


async def test_breached_thresholds_mark_rows_and_the_total() -> None:
    app = DashboardHost(snapshots=[snapshot(1)], watch=BreachWatch(THRESHOLDS))
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        screen = app.dashboard
        assert cell(screen, "login", "name").startswith("✗ ")
        assert cell(screen, TOTAL_KEY, "name").startswith("✗ ")  # global error rate
        assert cell(screen, "/api/items", "name").startswith("  ")
        p95 = screen.panes.endpoints.table.get_cell("login", "p95")
        assert "reverse" in str(p95.style)
        assert "reverse" not in str(screen.panes.endpoints.table.get_cell("login", "p50").style)
        assert str(screen.panes.endpoints.border_subtitle).startswith("✗ 2 breached")
        healthy = snapshot(2, endpoints=[snapshot().endpoints[0]])
        app.feed(healthy)
        await pilot.pause()
        assert cell(screen, TOTAL_KEY, "name").startswith("  ")
        assert "breached" not in str(screen.panes.endpoints.border_subtitle)


async def test_events_appear_newest_last_and_stay_bounded() -> None:
    snaps = [*story(35), snapshot(36)]  # the last one has failures: a breach
    app = DashboardHost(snapshots=snaps, watch=BreachWatch(THRESHOLDS))
    async with app.run_test(size=SMALL) as pilot:
        screen, log = app.dashboard, app.dashboard.panes.events
        await pilot.press("5")
        await pilot.pause()
        text = logged(screen)
        lines = text.splitlines()
        assert "run started" in lines[0]
        assert any("● you    set users to 25" in line for line in lines)
        assert any("✗ BREACH threshold breached: error_rate" in line for line in lines)
        assert text.index("stage 1/3") < text.index("stage 2/3")
        burst = [Event(20.0 + i / 100, "warning", f"warning {i}") for i in range(MAX_EVENTS + 50)]
        app.feed(snapshot(99, t=30.0, events=burst))
        await pilot.pause()
        assert len(log.events) == MAX_EVENTS
        last_lines = logged(screen).splitlines()
        assert "warning 549" in last_lines[-1] and "warning 49" not in last_lines[0]
        assert log.scroll_y == log.max_scroll_y  # follows the newest
        log.focus()
        await pilot.press("home")  # the operator scrolls up to read: it stays there
        await settle(pilot, lambda: log.scroll_y == 0)
        app.feed(snapshot(100, t=31.0, events=[Event(31.0, "stage", "later")]))
        await settle(pilot, lambda: "later" in logged(screen))
        assert log.scroll_y == 0


async def test_saturation_warning_is_shown_in_header_vitals_and_system() -> None:
    warned = snapshot(1, warnings=("generator saturated",))
    app = DashboardHost(snapshots=[warned])
    async with app.run_test(size=SMALL) as pilot:
        screen = app.dashboard
        await pilot.pause()
        assert "⚠ GENERATOR SATURATED" in plain(screen.header)
        assert screen.header.region.height == 3
        assert "GENERATOR SATURATED" in plain(screen.panes.vitals)
        assert "GENERATOR SATURATED" in plain(screen.panes.system)
        app.feed(snapshot(2))
        await pilot.pause()
        assert "SATURATED" not in plain(screen.header)
        assert screen.header.region.height == 2


async def test_command_palette_offers_the_controls_usable_now() -> None:
    app = DashboardHost(snapshots=[snapshot(1, users_target=10)])
    async with app.run_test(size=SMALL) as pilot:
        screen = app.dashboard
        names = {name: cb for name, _, cb in screen.palette_commands()}
        assert "Users: add 5" in names and "Pause the run" in names
        assert "Resume the run" not in names and "Arrival rate: ×1.1" not in names
        assert "Follow the profile again" not in names
        await names["Users: add 50"]()
        assert app.control.last == ("set_users", 60, None)
        await pick(pilot, "next stage", "Next stage")
        await pilot.pause()
        assert app.control.last == ("next_stage",)


async def test_open_model_palette_and_footer_speak_of_rate() -> None:
    app = DashboardHost(profile=OPEN, snapshots=[snapshot(1, model="open", rate=10.0)])
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        names = [name for name, _, _ in app.dashboard.palette_commands()]
        assert "Arrival rate: ×2" in names and "Users: add 5" not in names
        actions = {b.binding.action for b in app.dashboard.active_bindings.values()}
        assert "rate(1)" in actions and "users(1)" not in actions


async def test_closed_profile_shows_stage_and_time_left() -> None:
    app = DashboardHost(profile=CLOSED, snapshots=[snapshot(1, stage=0, stage_left_s=75.0)])
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert "ramp 1/3 (1m15s left)" in plain(app.dashboard.header)
        assert isinstance(app.dashboard.panes.endpoints.table, DataTable)
        assert isinstance(app.control, RecordingControl)
