"""The dashboard's pieces without an app: history, chart drawing, pane texts, prompt
parsers. Fast, exact, and they pin behaviour the Pilot tests only sample."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from support.snapshots import MiB, endpoint, snapshot

from loadtui.metrics.snapshot import Event, LoadState, PoolGauges, RateLimit, SystemGauges
from loadtui.scenario.model import Profile, Stage
from loadtui.tui.history import History
from loadtui.tui.screens.controls import step_rate
from loadtui.tui.screens.prompt import parse_rate, parse_users
from loadtui.tui.widgets.chart import Series, axis_label, nice_ceiling, render_chart
from loadtui.tui.widgets.common import clock, short_count
from loadtui.tui.widgets.endpoints import label, row_values
from loadtui.tui.widgets.events import event_line
from loadtui.tui.widgets.header import header_text, load_text, stage_text
from loadtui.tui.widgets.pool import pool_text
from loadtui.tui.widgets.status import MAX_CODES, status_text
from loadtui.tui.widgets.system import system_text
from loadtui.tui.widgets.vitals import vitals_text

PROFILE = Profile("ramp", "closed", (Stage(10, users=5), Stage(10, users=10)))

# ---- history --------------------------------------------------------------------------


def test_history_keeps_five_minutes_at_any_tick_rate() -> None:
    for interval in (0.1, 0.5, 2.0):
        h = History(maxlen=600, window_s=300)
        count = int(400 / interval)
        for i in range(1, count + 1):
            h.add(snapshot(i, interval_s=interval))
        samples = list(h)
        assert len(h) <= 600
        span = samples[-1].t - samples[0].t
        assert 295 <= span <= 300, (interval, span)


def test_history_merges_a_bin_by_weighted_rate_max_percentiles_summed_errors() -> None:
    h = History(maxlen=10, window_s=10)  # 1 s bins
    a = snapshot(1, t=1.0, interval_s=0.5, endpoints=[endpoint("x", rps=100, interval_p50=5)])
    b = snapshot(
        2,
        t=1.5,
        interval_s=0.5,
        endpoints=[endpoint("x", rps=300, interval_p50=2, interval_failures=4)],
    )
    h.add(a)
    h.add(b)
    assert len(h) == 1
    s = h.last
    assert s is not None
    assert s.rps == pytest.approx(200.0)
    assert s.p50 == 5.0  # a spike is never averaged away
    assert s.errors == 4 and s.err_rps == pytest.approx(4.0)
    assert s.t == 1.5
    h.add(snapshot(3, t=2.0, interval_s=0.5))
    assert len(h) == 2


def test_history_ignores_repeats_and_restarts_when_time_goes_back() -> None:
    h = History(maxlen=100, window_s=100)
    for i in range(1, 6):
        h.add(snapshot(i, interval_s=1.0))
    h.add(snapshot(5, interval_s=1.0))
    assert len(h) == 5
    h.add(snapshot(1, t=0.5, interval_s=0.5))  # a new run on the same screen
    assert len(h) == 1 and h.series("rps") == [(0.5, 1500.0)]


def test_history_series_and_change() -> None:
    h = History(maxlen=100, window_s=100)
    assert h.change("rss") is None
    for i, rss in enumerate((100, 150, 400), 1):
        h.add(snapshot(i, interval_s=1.0, system=SystemGauges(rss_bytes=rss * MiB)))
    assert [v for _, v in h.series("rss")] == [100 * MiB, 150 * MiB, 400 * MiB]
    assert h.change("rss") == 300 * MiB
    assert h.series("target_rss") == []  # not watched: no made-up zeros
    with pytest.raises(KeyError):
        h.series("nope")
    with pytest.raises(ValueError):
        History(maxlen=0)


# ---- chart ----------------------------------------------------------------------------


def _lines(text: object) -> list[str]:
    return str(text).split("\n")


@pytest.mark.parametrize("width", [0, 1, 3, 8, 9, 12, 40])
@pytest.mark.parametrize("height", [0, 1, 2, 3, 4, 9])
def test_chart_draws_at_any_size_within_bounds(width: int, height: int) -> None:
    series = [Series("a", [(0.0, 1.0), (1.0, 3.0)], "●"), Series("b", [(1.0, 0.0)], "▲")]
    text = render_chart(series, width, height)
    lines = _lines(text.plain)
    assert len(lines) <= max(height, 1)
    assert all(len(line) <= max(width, 0) for line in lines)


def test_chart_from_one_point_marks_it_at_the_right_edge_with_the_legend_value() -> None:
    text = render_chart([Series("req/s", [(5.0, 120.0)], "●")], 30, 6).plain
    lines = _lines(text)
    assert lines[0].startswith("● req/s 120.0")
    assert len(lines) == 6
    assert lines[1].startswith("200┤")  # nice ceiling of 120
    assert "●" in lines[1] or "●" in lines[2]
    assert lines[-1].rstrip().endswith("now")


def test_chart_with_all_zeros_draws_a_floor_line_and_no_division_error() -> None:
    series = [Series("p50", [(float(t), 0.0) for t in range(20)], "●")]
    lines = _lines(render_chart(series, 20, 5).plain)
    assert lines[1].startswith("1┤")
    floor = lines[-2]
    assert floor.startswith("0┤") and "⣀" in floor and floor.endswith("●")


def test_chart_series_keep_distinct_markers_and_an_unlabelled_series_shows_a_dash() -> None:
    series = [
        Series("p50", [(t, 10.0) for t in range(10)], "●"),
        Series("p99", [(t, 90.0) for t in range(10)], "■"),
        Series("p95", [], "▲"),
    ]
    text = render_chart(series, 40, 8).plain
    assert "● p50 10.0" in text and "■ p99 90.0" in text and "▲ p95 -" in text
    body = "\n".join(_lines(text)[1:])
    assert "●" in body and "■" in body
    assert not any(0x2800 < ord(c) <= 0x28FF for c in _lines(text)[0])


def test_chart_without_data_says_so() -> None:
    assert "no data yet" in render_chart([Series("x", [], "●")], 30, 6).plain


def test_nice_ceiling_and_axis_labels() -> None:
    assert [nice_ceiling(v) for v in (0, -3, 0.3, 1, 1.2, 2.2, 3, 7, 120, 1e6)] == [
        1,
        1,
        0.5,
        1,
        2,
        2.5,
        5,
        10,
        200,
        1e6,
    ]
    assert nice_ceiling(math.inf) == 1
    assert [axis_label(v) for v in (0.5, 20, 250, 2500, 10_000, 1_200_000)] == [
        "0.5",
        "20",
        "250",
        "2.5k",
        "10k",
        "1.2M",
    ]


# ---- panes as text --------------------------------------------------------------------


def test_stage_text_following_manual_and_after_the_profile() -> None:
    load = LoadState(profile="ramp", stage=1, stages=3, stage_left_s=12.0)
    assert stage_text(PROFILE, load) == "ramp 2/3 (12.0s left)"
    assert stage_text(PROFILE, replace(load, following_profile=False)) == "ramp: manual"
    assert stage_text(PROFILE, replace(load, stage=-1, stage_left_s=0)) == "ramp"
    assert stage_text(PROFILE, replace(load, stage=-1, stage_left_s=90)) == "ramp (1m30s left)"
    run_left = replace(load, run_left_s=100.0)  # the run's end is beyond this stage's
    assert stage_text(PROFILE, run_left) == "ramp 2/3 (12.0s left, run 1m40s)"
    assert stage_text(PROFILE, replace(run_left, run_left_s=12.0)) == "ramp 2/3 (12.0s left)"
    assert stage_text(PROFILE, replace(load, state="stopping")) == "ramp: stopping"
    assert stage_text(PROFILE, replace(load, state="stopped")) == "ramp: ended"


def test_load_text_by_model() -> None:
    assert load_text(LoadState(users=3, users_target=10)) == "users 3/10"
    assert load_text(LoadState(model="open", rate=42.5)) == "rate 42.5/s"
    mixed = LoadState(users=2, users_target=2, rate=5.0)  # users plus a hand-set rate
    assert load_text(mixed) == "users 2/2  rate 5.00/s"


@pytest.mark.parametrize(
    ("state", "word"),
    [
        ("starting", "◌ STARTING"),
        ("running", "▶ RUNNING"),
        ("paused", "‖ PAUSED"),
        ("stopping", "■ STOPPING"),
    ],
)
def test_header_names_the_state_with_a_symbol(state: str, word: str) -> None:
    text = header_text("demo", "http://127.0.0.1:1", PROFILE, snapshot(state=state)).plain  # type: ignore[arg-type]
    assert text.startswith(word)
    assert "demo → http://127.0.0.1:1" in text
    # the interval figures, named as the window they cover: 3 failed of 750
    assert "last 10 s: req/s 1,500  errors 0.40%" in text


def test_a_stopped_header_gives_the_final_totals_not_the_window() -> None:
    snap = snapshot(state="stopped", users=3, users_target=0)
    text = header_text("demo", "http://127.0.0.1:1", PROFILE, snap).plain
    first, second = text.splitlines()
    assert first.startswith("■ STOPPED") and "ramp: ended" in first and "left" not in first
    assert second == "final: 15,000 requests  req/s 1,230  30 failed (0.20%)"
    assert "users" not in second and "last 10 s" not in second


def test_header_shows_standing_warnings_on_their_own_line() -> None:
    plain = header_text("d", "t", PROFILE, snapshot()).plain
    assert len(plain.splitlines()) == 2
    warned = header_text("d", "t", PROFILE, snapshot(warnings=("generator saturated",))).plain
    assert warned.splitlines()[2].strip() == "⚠ GENERATOR SATURATED"


def test_row_values_window_and_run_differ_and_no_latency_is_a_dash() -> None:
    e = endpoint("/a", requests=12_000, interval_requests=600, rps=1200, mean_rps=950, p50=3.1)
    window, run = row_values(e, "window"), row_values(e, "run")
    assert (window["reqs"], window["rps"], window["p50"]) == ("600", "1,200", "5.00")
    assert (run["reqs"], run["rps"], run["p50"]) == ("12,000", "950.0", "3.10")
    idle = endpoint("/b", requests=0, interval_requests=0, status_codes={})
    assert row_values(idle, "window")["p99"] == "-" and row_values(idle, "run")["max"] == "-"
    assert label(e) == "GET /a" and label(endpoint("login", "")) == "login"


def test_status_text_codes_errors_and_the_rate_limit_lane() -> None:
    e = endpoint(
        "/a",
        requests=1000,
        failures=50,
        status_codes={200: 900, 429: 40, 503: 60},
        errors={"status 503": 50, "timeout": 7},
    )
    rl = RateLimit(responses=100, with_retry_after=80, honoured=60, waited_s=12.5)
    text = status_text(snapshot(endpoints=[e], rate_limit=rl)).plain
    assert "✓ 200" in text and "90.0%" in text
    assert "! 429" in text and "4.00%" in text
    assert "✗ 503" in text and "6.00%" in text
    assert text.index("status 503") < text.index("timeout")  # most frequent first
    assert "responses 100  with Retry-After 80" in text
    assert "honoured 60  waited 12.5s" in text
    quiet = status_text(snapshot(endpoints=[endpoint("/a", status_codes={})])).plain
    assert "no responses yet" in quiet and "no errors" in quiet and "none" in quiet


def test_status_text_folds_many_codes_into_other() -> None:
    codes = {200 + i: 10 + i for i in range(12)}
    text = status_text(snapshot(endpoints=[endpoint("/a", status_codes=codes)])).plain
    code_lines = [line for line in text.splitlines() if line[:1] in "✓→!✗·?"]
    assert len(code_lines) == MAX_CODES  # the 7 most frequent + "other"
    assert any("other" in line for line in code_lines)


def test_system_text_generator_target_growth_and_saturation() -> None:
    h = History(maxlen=100, window_s=100)
    for i, rss in enumerate((100, 112), 1):
        sys = SystemGauges(
            cpu_percent=95.0,
            rss_bytes=rss * MiB,
            loop_lag_ms=25.0,
            fds=77,
            target_cpu_percent=30.0,
            target_rss_bytes=(200 + i) * MiB,
        )
        snap = snapshot(i, interval_s=1.0, system=sys, warnings=("generator saturated",))
        h.add(snap)
    text = system_text(snap, h).plain
    assert "⚠ 95%" in text and "30%" in text
    assert "112.0 MiB" in text and "202.0 MiB" in text
    assert "+12.0 MiB" in text and "+1.0 MiB" in text and "Δ 1.0s" in text
    assert "loop lag 25.0 ms ⚠" in text and "fds 77" in text
    assert "GENERATOR SATURATED" in text
    alone = system_text(snapshot()).plain
    assert "target: not watched" in alone and "SATURATED" not in alone


def test_pool_text_gauges_open_model_and_no_websocket_lines_without_streams() -> None:
    pool = PoolGauges(
        open=9, in_use=8, idle=1, waiting=3, connects=40, connects_per_s=2.5, connect_errors=2
    )
    text = pool_text(snapshot(pool=pool, model="open", inflight=12)).plain
    assert "open 9  in use 8  idle 1" in text
    assert "waiting 3 ⚠" in text and "new 2.50/s" in text and "errors 2 ✗" in text
    assert "in flight 12  late 0  dropped 0" in text
    assert "ws " not in text and "WebSocket" not in text  # no stream ran: no zeros shown


def test_vitals_fit_two_lines_with_the_health_figures() -> None:
    text = vitals_text(snapshot(warnings=("generator saturated",))).plain
    line1, line2 = text.splitlines()
    assert "RSS 96.0 MiB" in line1 and "CPU 37%" in line1 and "lag 1.40ms" in line1
    assert "pool open 24 use 20 wait 2" in line1
    assert "errors 0.20%" in line2 and "200:99.8%" in line2 and "503:0.20%" in line2
    assert "GENERATOR SATURATED" in line2


def test_event_lines_carry_time_kind_word_and_message() -> None:
    assert event_line(Event(65.0, "breach", "threshold breached: p95")).plain == (
        "   1:05 ✗ BREACH threshold breached: p95"
    )
    assert "▸ stage" in event_line(Event(1, "stage", "stage 2/3")).plain
    assert "● you" in event_line(Event(1, "operator", "paused")).plain
    assert "· weird" in event_line(Event(1, "weird", "x")).plain  # type: ignore[arg-type]
    assert clock(3725) == "1:02:05" and clock(-1) == "0:00"
    assert [short_count(n) for n in (999, 12_345, 1_234_567, 2_500_000_000)] == [
        "999",
        "12,345",
        "1.23M",
        "2.5G",
    ]


# ---- prompts and steps ----------------------------------------------------------------


def test_parse_users_accepts_counts_and_spawn_rates() -> None:
    assert parse_users("50") == (50, None)
    assert parse_users(" 50 @ 10 ") == (50, 10.0)
    assert parse_users("0") == (0, None)
    assert parse_users("7@2.5/s") == (7, 2.5)


@pytest.mark.parametrize("bad", ["", "abc", "-5", "5.5", "50@", "50@x", "50@0", "50@-1", "2000000"])
def test_parse_users_refuses_with_a_message(bad: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        parse_users(bad)


def test_parse_rate() -> None:
    assert parse_rate("120") == 120.0 and parse_rate("7.5/s") == 7.5 and parse_rate("0") == 0.0
    for bad in ("", "fast", "-1", "nan", "inf", "2e6"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_step_rate_up_and_down_never_below_zero() -> None:
    assert step_rate(100.0, 1) == 110.0
    assert step_rate(100.0, -1) == pytest.approx(90.91)
    assert step_rate(100.0, 2) == 200.0 and step_rate(100.0, -2) == 50.0
    assert step_rate(0.0, 1) == 1.0 and step_rate(0.0, 2) == 10.0
    assert step_rate(0.0, -1) == 0.0 and step_rate(0.005, -2) == 0.0
