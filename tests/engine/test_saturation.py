"""The generator's self-check: a generator that distorts the figures says so; one that
keeps up (busy or not) stays quiet."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from support.cli import loadtui
from support.runs import GUARD_S, run, stop_when
from support.scenarios import call, scenario, user, write

from loadtui.engine.saturation import HORIZON_S, SaturationWatch
from loadtui.metrics.snapshot import Snapshot, WorkerVitals
from loadtui.report.build import build_report

BLOCKING = """
import time

async def hog(client, vars):
    time.sleep(0.03)  # blocks the event loop: exactly what a saturated generator looks like
    await client.get("/api/fast")
"""
TICK_S = 0.5


def tick(
    started: int = 0, late: int = 0, over: int = 0, cpu: float = 50.0, lag: float = 2.0
) -> WorkerVitals:
    """One worker's 0.5 s tick: 5 loop windows, `over` of them over the limit."""
    return WorkerVitals(
        index=0,
        cpu_percent=cpu,
        loop_lag_ms=lag,
        started=started,
        late=late,
        lag_windows=5,
        lag_windows_over=over,
    )


def feed(watch: SaturationWatch, ticks: list[WorkerVitals]) -> list[bool]:
    """The ticks in turn, tick i ending at (i + 1) x 0.5 s: whether the watch called the
    worker saturated after each."""
    return [
        watch.update(v, (i + 1) * TICK_S) == ("generator saturated",) for i, v in enumerate(ticks)
    ]


def test_a_busy_generator_that_keeps_up_stays_quiet() -> None:
    watch = SaturationWatch()
    gc_pause = tick(2500, over=1, cpu=99.0, lag=40.0)  # one window, every 6 s
    keeping_up = tick(2500, late=10, cpu=99.0, lag=4.0)  # 0.4 % late, pegged CPU
    ticks = [gc_pause if i % 12 == 5 else keeping_up for i in range(60)]
    assert not any(feed(watch, ticks))
    assert watch.new_messages() == [] and watch.all_periods(30.0) == []


def test_late_starts_beyond_one_percent_fire_and_mark_their_period() -> None:
    watch = SaturationWatch()
    calm, late = tick(1000, cpu=70.0), tick(1000, late=40, cpu=70.0)  # 4 % of a tick's starts
    hot = feed(watch, [calm] * 10 + [late] * 4 + [calm] * 14)
    # 40 and 80 of the last 5 s's 10,000 starts are under 1 %; 120 are not, until the
    # late ticks leave the horizon.
    assert hot == [False] * 12 + [True] * 9 + [False] * 7
    assert watch.new_messages() == [
        "generator saturated (1.2 % of starts late; CPU 70 %): figures may understate the target",
        "generator no longer saturated",
    ]
    assert watch.all_periods(14.0) == [(5.0, 7.0)]  # the first late tick's start to the last's end


def test_repeated_late_loop_windows_fire_and_a_pegged_cpu_lowers_the_repeat() -> None:
    calm, stall = tick(), tick(over=1, lag=40.0)  # closed model: no starts
    ticks = [calm] * 4 + [stall] + [calm] * 3 + [stall, calm, stall] + [calm] * 12
    watch = SaturationWatch()
    hot = feed(watch, ticks)
    assert hot == [False] * 10 + [True] * 4 + [False] * 9  # the third window within 5 s
    assert watch.new_messages()[0] == (
        "generator saturated (loop over 10 ms late in 3 of 50 windows of 100 ms, "
        "worst 40 ms; CPU 50 %): figures may understate the target"
    )
    assert watch.all_periods(12.0) == [(2.0, 5.5)]

    pegged = SaturationWatch()  # the same stalls with the CPU at 99 %: two are enough
    hot = feed(pegged, [replace(v, cpu_percent=99.0) for v in ticks])
    assert hot.index(True) == 8


def test_saturation_clears_after_the_horizon_and_can_return() -> None:
    watch = SaturationWatch()
    stalled = tick(over=5, lag=80.0)
    quiet = int(HORIZON_S / TICK_S)
    hot = feed(watch, [stalled] * 2 + [tick()] * quiet + [stalled] * 2)
    assert hot == [True] * (quiet + 1) + [False, True, True]
    again, cleared, back = watch.new_messages()
    assert again.startswith("generator saturated (loop over 10 ms late in 5 of 5 windows")
    assert cleared == "generator no longer saturated" and back.startswith("generator saturated (")
    assert watch.all_periods(7.0) == [(0.0, 1.0), (6.0, 7.0)]


async def test_an_open_run_on_a_blocked_loop_warns_and_reports_a_period(
    demo_url: str, tmp_path: Path
) -> None:
    (tmp_path / "hogs.py").write_text(BLOCKING)
    text = scenario(user(call("hogs:hog", "hog")), name="hog")
    # 50 arrivals a second, each holding the loop 30 ms: 1.5 s of work a second. Until
    # every sign of it has shown (a fixed length could end first on a busy machine).
    seen: list[Snapshot] = []

    def shown(snap: Snapshot) -> bool:
        seen.append(snap)
        return (
            any(e.message.startswith("generator saturated (") for s in seen for e in s.events)
            and any("generator saturated" in s.warnings for s in seen)
            and any(w.late and w.saturated for s in seen for w in s.workers)
            and any(s.system.lag_windows_over for s in seen)
        )

    final, snaps, engine = await run(
        text, demo_url, stop_when(shown), rate=50, duration=GUARD_S, grace=0.5, folder=tmp_path
    )
    warnings = [e.message for s in snaps for e in s.events if e.kind == "warning"]
    assert any(w.startswith("generator saturated (") for w in warnings)
    assert any("generator saturated" in s.warnings for s in snaps)
    # What the check judged travelled from the worker: its late starts and late windows.
    assert any(w.late and w.saturated for s in snaps for w in s.workers)
    assert any(s.system.lag_windows_over for s in snaps)
    report = build_report(final, [], info={"saturation": engine.saturation_periods()})
    assert report["generator_saturated"] is True
    [[start, end]] = report["saturation"]
    assert 0 <= start < end and start < final.t  # still open at the end: it ends then


def test_a_starved_loop_is_flagged_in_output_and_report(demo_url: str, tmp_path: Path) -> None:
    (tmp_path / "hogs.py").write_text(BLOCKING)
    path = write(tmp_path, scenario(user(call("hogs:hog", "hog")), name="hog", target=demo_url))
    out = loadtui(
        "run", str(path), "-u", "2", "-t", "4s", "--report-json", "r.json", "--report-md", "r.md",
        cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "warning: generator saturated" in out.stderr  # the live event line
    assert "WARNING: generator saturated for" in out.stdout  # the summary
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["generator_saturated"] is True
    [[start, end]] = report["saturation"]
    assert 0 <= start < end and start < report["duration_s"]
    assert "Generator saturated" in (tmp_path / "r.md").read_text()
