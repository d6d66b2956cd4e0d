"""ReplayPlayer without Textual: the playback clock (injected, never slept on), seeks,
event jumps, the charts' history at the playhead, and exact window figures."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest
from tui.replay_host import FakeClock, recorded_ticks, session_of, story_events

from loadtui.metrics.histogram import decode, latency_of, merge
from loadtui.metrics.snapshot import Event, Latency
from loadtui.session.reader import SessionError, window_latency
from loadtui.tui.history import SERIES, History
from loadtui.tui.replay_player import SPEEDS, ReplayPlayer

INTERVAL = 0.25  # ticks at 4/s: tick seq k is at k * 0.25 s


def player(count: int = 400, **kwargs: object) -> tuple[ReplayPlayer, FakeClock]:
    clock = FakeClock()
    session = session_of(recorded_ticks(count, events=story_events()))
    return ReplayPlayer(session, clock=clock, **kwargs), clock  # type: ignore[arg-type]


def fresh_history(p: ReplayPlayer) -> History:
    """What the charts should hold: every tick up to the one shown, fed in order."""
    history = History()
    for snap in p.ticks[: p.index + 1]:
        history.add(snap)
    return history


def same_history(p: ReplayPlayer) -> bool:
    expected = fresh_history(p)
    return all(p.history.series(name) == expected.series(name) for name in SERIES)


def charted_up_to_the_playhead(p: ReplayPlayer) -> None:
    """The charts end at the tick shown and reach back over their window (a rebuilt
    history may bin the ticks in other pairs than one fed from the start)."""
    times = [s.t for s in p.history]
    now, span = p.visible().t, p.history.window_s
    assert times == sorted(times) and times[-1] == now
    assert times[0] >= now - span
    assert times[0] <= max(p.start_t, now - span) + 1.0
    reference = History()
    for snap in p.ticks[: p.index + 1]:
        if snap.t >= times[0] - p.history.resolution:
            reference.add(snap)
    assert abs(len(p.history) - len(reference)) <= 1


def test_opens_at_the_end_paused_or_at_the_start() -> None:
    p, _ = player()
    assert p.index == 399 and p.visible() is p.ticks[-1] and p.time == 100.0
    assert p.state == "ended" and not p.playing and p.speed == 1.0
    assert same_history(p) and len(p.history) > 0
    assert p.event_count() == 5
    q, _ = player(start="start")
    assert q.index == 0 and q.time == 0.25 and q.state == "paused"
    assert [e.message for e in q.events_so_far()] == ["run started"]


def test_play_advances_at_the_chosen_speed_and_pause_stops() -> None:
    p, clock = player(start="start")
    p.play()
    clock.advance(2.0)
    assert p.update() and p.time == pytest.approx(2.25) and p.index == 8
    assert p.faster() == 2.0 and p.faster() == 5.0
    clock.advance(1.0)
    p.update()
    assert p.time == pytest.approx(7.25) and p.visible().t == 7.25
    p.set_speed(60.0)
    clock.advance(0.5)
    p.update()
    assert p.time == pytest.approx(37.25) and p.state == "playing"
    p.pause()
    clock.advance(10.0)
    assert not p.update() and p.time == pytest.approx(37.25) and p.state == "paused"
    assert same_history(p)


def test_speed_steps_stay_within_1x_and_60x() -> None:
    p, _ = player()
    seen = [p.faster() for _ in range(len(SPEEDS) + 2)]
    assert seen == [*SPEEDS[1:], 60.0, 60.0, 60.0]
    assert [p.slower() for _ in range(len(SPEEDS) + 1)] == [30.0, 10.0, 5.0, 2.0, 1.0, 1.0, 1.0]


def test_time_played_before_a_speed_change_counts_at_the_old_speed() -> None:
    p, clock = player(start="start")
    p.play()
    clock.advance(1.0)  # 1 s at 1×, not yet looked at
    p.set_speed(10.0)
    clock.advance(1.0)
    p.update()
    assert p.time == pytest.approx(0.25 + 1.0 + 10.0)


def test_playing_to_the_end_stops_and_play_again_restarts() -> None:
    p, clock = player(start="start")
    p.set_speed(60.0)
    p.play()
    clock.advance(5.0)  # 300 s of a 100 s recording
    assert p.update() and p.time == 100.0 and p.state == "ended" and not p.playing
    p.play()
    assert p.index == 0 and p.playing
    clock.advance(1.0)
    p.update()
    assert p.time == pytest.approx(60.25)


def test_seeks_clamp_to_the_recording() -> None:
    p, _ = player(start="start")
    assert p.seek(10) and p.time == pytest.approx(10.25) and p.visible().seq == 41
    p.seek(60)
    assert p.time == pytest.approx(70.25)
    assert p.seek(60) and p.time == 100.0 and p.index == 399
    assert not p.seek(1)  # already at the end: nothing moved
    p.seek(-10)
    assert p.time == 90.0 and same_history(p)
    p.seek(-1000)
    assert p.time == 0.25 and p.index == 0 and same_history(p)
    p.end()
    assert p.index == 399
    p.home()
    assert p.index == 0


def test_seeking_while_playing_keeps_playing_from_there() -> None:
    p, clock = player(start="start")
    p.play()
    p.seek(60)
    clock.advance(1.0)
    p.update()
    assert p.time == pytest.approx(61.25) and p.playing


def test_next_and_previous_event_land_on_the_tick_that_carries_it() -> None:
    p, _ = player(start="start")
    mark = p.next_event()
    assert mark is not None and mark.event.message.startswith("stage 2/3")
    assert p.index == 39 and p.visible().seq == 40 and p.visible().events == (mark.event,)
    assert p.next_event() is not None and p.visible().seq == 120
    breach = p.next_event("breach")
    assert breach is not None and p.visible().seq == 200
    assert [e.kind for e in p.events_so_far()] == ["info", "stage", "operator", "breach"]
    assert [e.kind for e in p.events_so_far(limit=2)] == ["operator", "breach"]
    assert p.next_event("breach") is None and p.visible().seq == 200  # none later: stays
    prev = p.previous_event()
    assert prev is not None and prev.event.kind == "operator" and p.visible().seq == 120
    assert p.previous_event("breach") is None and p.visible().seq == 120
    p.previous_event()
    p.previous_event()
    assert p.index == 0 and p.previous_event() is None
    assert same_history(p)


def test_history_follows_every_kind_of_move() -> None:
    p, clock = player(count=2400, start="start")  # 10 minutes: longer than the charts
    p.set_speed(30.0)
    p.play()
    for step in (0.3, 0.7, 2.0, 5.0):  # fed tick by tick: as if live
        clock.advance(step)
        p.update()
        assert same_history(p)
    p.pause()
    for move in (lambda: p.seek(-60), lambda: p.seek(300), p.home, p.end, p.next_event):
        move()
        charted_up_to_the_playhead(p)
    p.home()
    p.seek(30)
    assert same_history(p)  # rebuilt from the very start: the same as fed live


def merged_latency(p: ReplayPlayer, t0: float, t1: float, name: str | None):
    hists = []
    for snap in p.ticks:
        if t0 < snap.t <= t1:
            stats = snap.total if name is None else snap.endpoint(name)
            assert stats is not None
            hists.append(decode(stats.histogram))
    return latency_of(merge(hists))


def test_window_figures_are_exact_merges_and_count_differences() -> None:
    p, _ = player()
    p.go_to(119)  # t = 30.0
    assert p.mark_start() == 30.0
    p.seek(50)
    assert p.mark_end() == (30.0, 80.0) and p.window == (30.0, 80.0)
    snap = p.window_snapshot(30.0, 80.0)
    assert snap.t == 80.0 and snap.interval_s == 50.0 and snap.events == ()
    before, after = p.ticks[119], p.ticks[319]
    for stats in (*snap.endpoints, snap.total):
        name = None if stats is snap.total else stats.name
        expected = merged_latency(p, 30.0, 80.0, name)
        assert stats.latency == expected and stats.interval_latency == expected
        a = before.total if name is None else before.endpoint(name)
        b = after.total if name is None else after.endpoint(name)
        assert a is not None and b is not None
        assert stats.requests == stats.interval_requests == b.requests - a.requests
        assert stats.failures == b.failures - a.failures
        assert stats.rps == pytest.approx(stats.requests / 50.0) == stats.mean_rps
    login = snap.endpoint("login")
    assert login is not None and login.failures == 40 and login.status_codes[503] == 40
    assert login.errors == {"status 503": 40}
    assert sum(login.status_codes.values()) == login.requests
    assert snap.total.latency.count == sum(e.latency.count for e in snap.endpoints)


def test_window_merge_equals_the_readers_window_latency_and_goes_tick_by_tick() -> None:
    p, _ = player()
    steps = p.window_merge(30.0, 80.0)
    yielded = 0
    with pytest.raises(StopIteration) as done:
        while True:
            next(steps)
            yielded += 1
    assert yielded == 200  # one per tick in the window
    snap = done.value.value
    for stats in (*snap.endpoints, snap.total):
        name = None if stats is snap.total else stats.name
        assert stats.latency == window_latency(p.session, 30.0, 80.0, name)
    assert p.window_snapshot(80.0, 30.0) == snap  # ends in either order
    outside = p.window_snapshot(200.0, 300.0)  # after the recording: nothing in it
    assert outside.total.latency == Latency() and outside.total.requests == 0


def test_a_damaged_histogram_in_the_window_is_a_value_error() -> None:
    ticks = recorded_ticks(40)
    bad = replace(ticks[20], total=replace(ticks[20].total, histogram=b"not a histogram"))
    p = ReplayPlayer(session_of([*ticks[:20], bad, *ticks[21:]]))
    assert p.window_snapshot(0.0, 4.0).total.latency.count > 0  # before it: fine
    with pytest.raises(ValueError, match="not an encoded HdrHistogram"):
        p.window_snapshot(0.0, 10.0)


def test_window_marks_swap_refuse_empty_and_start_from_zero_at_home() -> None:
    p, _ = player()
    assert p.mark_end() is None  # no start yet
    p.go_to(199)
    p.mark_start()
    assert p.mark_end() is None and p.window is None  # same place: empty
    p.seek(-20)
    assert p.mark_end() == (30.0, 50.0)  # marked backwards: swapped
    p.home()
    assert p.mark_start() == 0.0 and p.window is None  # a new start drops the old end
    p.go_to(3)
    assert p.mark_end() == (0.0, 1.0)
    first = p.window_snapshot(0.0, 1.0)
    assert first.total.requests == p.ticks[3].total.requests  # the first tick included
    p.clear_window()
    assert p.window is None and p.window_start is None


def test_a_session_without_ticks_cannot_be_replayed() -> None:
    with pytest.raises(SessionError, match="no tick was recorded"):
        ReplayPlayer(session_of([]))


def test_events_after_the_last_tick_belong_to_it() -> None:
    ticks = recorded_ticks(20)
    late = Event(5.1, "operator", "stop", {"action": "stop", "args": []})
    session = replace(session_of(ticks, finished=False), events=(late,))
    p = ReplayPlayer(session, start="start")
    assert p.next_event() is not None and p.index == 19
    assert p.events_so_far() == [late]


def test_an_hour_at_4_ticks_a_second_opens_and_seeks_to_the_right_tick() -> None:
    # How fast this is belongs to bench/replay_seek.py; here, only where each move lands.
    p = ReplayPlayer(session_of(recorded_ticks(14_400, events=story_events())))
    assert (p.index, p.time) == (14_399, 3600.0)  # a finished session opens at its end
    landed = []
    for move in (p.home, lambda: p.seek(600), lambda: p.seek(-60), p.end, lambda: p.seek(-10)):
        move()
        landed.append((p.index, p.time))
    assert landed == [(0, 0.25), (2400, 600.25), (2160, 540.25), (14_399, 3600.0), (14_359, 3590.0)]


def test_the_player_needs_no_ui_library() -> None:
    code = (
        "import sys, loadtui.tui.replay_player\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr
