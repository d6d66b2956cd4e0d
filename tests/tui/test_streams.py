"""WebSocket streams on the console: the pool pane's gauges, the vitals and header
figures, and the w / W / S controls reaching the Control (keys, footer, palette)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from support.snapshots import snapshot, stream
from textual.widgets import Input, Static
from tui.dashboard_host import CLOSED, DashboardHost

from loadtui.metrics.snapshot import LoadState, PoolGauges, StreamStats
from loadtui.metrics.streams import combine
from loadtui.scenario.model import Profile, Stage
from loadtui.tui.screens.controls import parse_streams
from loadtui.tui.screens.prompt import ValuePrompt
from loadtui.tui.widgets.header import load_text
from loadtui.tui.widgets.pool import PoolPane, pool_text
from loadtui.tui.widgets.streams import stream_lines, stream_vitals, streams_total
from loadtui.tui.widgets.vitals import vitals_text

SMALL = (80, 24)
FEED = dict(
    sessions_open=40,
    connecting=0,
    failed=0,
    sent=0,
    sent_per_s=0.0,
    rtt_p50=0.0,
    interval_rtt_p50=0.0,
    gap_p50=100.0,
    close_codes={4001: 3},
    handshake_failures={},
)


def streamed(seq: int = 1, **kwargs: object) -> object:
    """A run with an echo stream ("chat") and a push stream ("feed")."""
    streams = (stream("chat"), stream("feed", **FEED))  # type: ignore[arg-type]
    kwargs.setdefault("streams_now", 40)
    kwargs.setdefault("streams_target", 50)
    return snapshot(seq, streams=streams, **kwargs)  # type: ignore[arg-type]


def plain(widget: Static) -> str:
    return str(widget.render())


# ---- pane texts ----------------------------------------------------------------------


def test_pool_pane_gauges_with_streams() -> None:
    text = pool_text(streamed()).plain  # type: ignore[arg-type]
    lines = text.splitlines()
    assert lines[:2] == ["http open 24  use 20  wait 2 ⚠", "in flight 7"]
    assert lines[2] == "ws open 990  conn 50  failed 3 ✗"
    assert lines[3] == "msg/s out 9,500  in 18,960"
    # window RTT (chat's 1.5 ms p50; feed has none), not the whole run's 1.2 ms
    assert lines[4] == "rtt p50 1.50  p95 3.75  p99 6.00 ms"
    assert lines[5] == "handshake p95 7.50  gap p95 250 ms"
    assert lines[6] == "disconnects 8  reconnects 4"
    assert lines[7] == "close 1000:56 1006:4 4001:3"
    assert lines[8] == "refused 401:2 refused:1"
    assert len(lines) == 9


def test_stream_lines_edge_cases() -> None:
    quiet = StreamStats(name="x")
    lines = [t.plain for t in stream_lines(quiet)]
    assert lines == [
        "ws open 0  conn 0  failed 0",
        "msg/s out 0.00  in 0.00",
        "rtt p50 -  p95 -  p99 - ms",
        "handshake p95 -  gap p95 - ms",
        "disconnects 0  reconnects 0",
        "close -",
    ]
    big = stream(
        sessions_open=12_345_678,
        failed=0,
        close_codes={1000: 5, 1001: 9, 1006: 9, 4000: 1},
        handshake_failures={},
    )
    lines = [t.plain for t in stream_lines(big)]
    assert lines[0] == "ws open 12.3M  conn 50  failed 0"
    assert lines[-1] == "close 1001:9 1006:9 1000:5"  # the top three, most first
    failed = stream_lines(stream())[0]
    assert any("red" in str(span.style) for span in failed.spans)


def test_stream_only_run_drops_the_http_lines() -> None:
    snap = streamed(pool=PoolGauges(), endpoints=())
    lines = pool_text(snap).plain.splitlines()  # type: ignore[arg-type]
    assert lines[0].startswith("ws open 990")
    # HTTP that failed to connect is still HTTP that ran
    failing = replace(snap, pool=PoolGauges(connect_errors=2))  # type: ignore[type-var]
    assert pool_text(failing).plain.startswith("http open 0  use 0  wait 0  errors 2 ✗")


def test_streams_total_prefers_the_recorded_exact_total() -> None:
    snap = streamed()
    assert streams_total(snapshot()) is None
    fallback = streams_total(snap)  # type: ignore[arg-type]
    assert fallback == combine("Aggregated", snap.streams)  # type: ignore[attr-defined]
    exact = StreamStats(name="Aggregated", open=7)
    assert streams_total(replace(snap, stream_total=exact)) is exact  # type: ignore[type-var]


def test_vitals_and_header_speak_of_streams() -> None:
    text = vitals_text(streamed(warnings=("generator saturated",))).plain  # type: ignore[arg-type]
    _line1, line2 = text.splitlines()
    assert line2.index("GENERATOR SATURATED") < line2.index("ws open 990 rtt p95 3.75ms")
    assert "ws open" not in vitals_text(snapshot()).plain
    assert stream_vitals(StreamStats(name="x", open=3)) == "ws open 3 rtt p95 -"
    assert load_text(LoadState(users=2, users_target=5, streams=40, streams_target=50)) == (
        "users 2/5  streams 40/50"
    )
    assert load_text(LoadState(users=2, users_target=5)) == "users 2/5"
    assert "streams 0/10" in load_text(LoadState(streams_target=10))


def test_parse_streams() -> None:
    assert parse_streams("100") == (100, None)
    assert parse_streams(" 100 @ 20/s ") == (100, 20.0)
    assert parse_streams("0") == (0, None)


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("", "number of stream sessions"),
        ("many", "whole number"),
        ("-3", "whole number"),
        ("2.5", "whole number"),
        ("10@", "opening rate after @"),
        ("10@0", "opening rate must be above 0 sessions/s"),
        ("10@x", "opening rate must be a number"),
        ("2000000", "at most 1,000,000"),
    ],
)
def test_parse_streams_refuses_with_a_message(bad: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_streams(bad)


# ---- the dashboard -------------------------------------------------------------------


async def test_pool_pane_switches_to_stream_gauges_and_back() -> None:
    app = DashboardHost(snapshots=[snapshot(1)])
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.dashboard
        await pilot.pause()
        assert screen.panes.pool.border_title == PoolPane.TITLE
        assert "ws open" not in plain(screen.panes.pool)
        app.feed(streamed(2))  # type: ignore[arg-type]
        await pilot.pause()
        assert screen.panes.pool.border_title == "HTTP pool · WebSocket"
        assert "ws open 990  conn 50  failed 3" in plain(screen.panes.pool)
        assert "rtt p50 1.50" in plain(screen.panes.pool)
        assert "streams 40/50" in plain(screen.header)
        app.feed(streamed(3, pool=PoolGauges(), endpoints=()))  # type: ignore[arg-type]
        await pilot.pause()
        assert screen.panes.pool.border_title == "WebSocket"
        assert "http open" not in plain(screen.panes.pool)


async def test_w_and_shift_w_step_stream_sessions_and_add_up() -> None:
    app = DashboardHost(snapshots=[streamed(1, streams_target=50)])  # type: ignore[list-item]
    async with app.run_test(size=SMALL) as pilot:
        control = app.control
        await pilot.press("w")
        assert control.last == ("set_streams", 60, None)
        await pilot.press("w")  # before a snapshot echoes 60: adds up
        assert control.last == ("set_streams", 70, None)
        await pilot.press("W")
        assert control.last == ("set_streams", 60, None)
        app.feed(streamed(2, streams_target=60))  # type: ignore[arg-type]
        await pilot.pause()
        for _ in range(7):
            await pilot.press("W")
        assert control.last == ("set_streams", 0, None)  # never below zero
        assert control.names() == ["set_streams"] * 10
        app.feed(streamed(3, streams_target=5))  # type: ignore[arg-type]
        app.feed(streamed(4, streams_target=5))  # type: ignore[arg-type]
        app.feed(streamed(5, streams_target=5))  # the ask went unanswered: base follows
        await pilot.pause()
        await pilot.press("w")
        assert control.last == ("set_streams", 15, None)


async def test_streams_step_is_configurable_and_works_without_streams_yet() -> None:
    app = DashboardHost(snapshots=[snapshot(1)])
    app.dashboard.streams_step = 25
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        actions = {b.binding.action for b in app.dashboard.active_bindings.values()}
        assert "streams(1, 0)" in actions and "streams(1, 1)" not in actions  # not in footer
        await pilot.press("w")
        assert app.control.last == ("set_streams", 25, None)


async def test_footer_offers_stream_keys_once_the_run_has_streams() -> None:
    app = DashboardHost(snapshots=[streamed(1)])  # type: ignore[list-item]
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        shown = {
            b.binding.action
            for b in app.dashboard.active_bindings.values()
            if b.binding.show and b.enabled
        }
        assert {"streams(1, 1)", "streams(-1, 1)"} <= shown
    staged = Profile("waves", "closed", (Stage(10, users=1, streams=100),))
    app = DashboardHost(profile=staged, snapshots=[snapshot(1)])
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        actions = {b.binding.action for b in app.dashboard.active_bindings.values()}
        assert "streams(1, 1)" in actions  # the profile asks for streams


async def test_set_streams_prompt() -> None:
    app = DashboardHost(snapshots=[streamed(1, streams_target=50)])  # type: ignore[list-item]
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("S")
        await pilot.pause()
        assert isinstance(app.screen, ValuePrompt)
        field = app.screen.query_one(Input)
        assert field.value == "50"
        field.value = "lots"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ValuePrompt) and app.control.calls == []
        assert "whole number" in str(app.screen.query_one("#prompt-error", Static).render())
        app.screen.query_one(Input).value = "200@40"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.dashboard
        assert app.control.calls == [("set_streams", 200, 40.0)]
        await pilot.press("S")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.dashboard and len(app.control.calls) == 1


async def test_palette_stream_commands_and_a_finished_run() -> None:
    app = DashboardHost(profile=CLOSED, snapshots=[streamed(1, streams_target=50)])  # type: ignore[list-item]
    async with app.run_test(size=SMALL) as pilot:
        screen = app.dashboard
        names = {name: cb for name, _, cb in screen.palette_commands()}
        assert {"Streams: open 10", "Streams: close 10", "Streams: set exactly…"} <= set(names)
        await names["Streams: close 10"]()
        assert app.control.last == ("set_streams", 40, None)
        app.feed(streamed(2, streams_target=50, following=False))  # type: ignore[arg-type]
        await pilot.pause()
        await pilot.press("f")  # following the profile again drops the pending ask
        assert app.control.last == ("follow_profile",)
        await pilot.press("w")
        assert app.control.last == ("set_streams", 60, None)
        app.feed(streamed(3, state="stopped"))  # type: ignore[arg-type]
        await pilot.pause()
        assert screen.check_action("streams", (1, 1)) is None  # greyed: the run is over
        assert not any(n.startswith("Streams") for n, _, _ in screen.palette_commands())
        app.control.clear()
        await pilot.press("w", "W", "S")
        await pilot.pause()
        assert app.control.calls == [] and app.screen is screen
