"""Headless progress: plain lines give the figures since the previous line (merged
exactly from the ticks in between) and the run's time left; a terminal gets one live
line over the last 10 s. Hand-built ticks on a fake stream, then a real `-t` run."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from support.runs import longest_gap, run, stopping
from support.scenarios import api_delay, scenario, user
from support.snapshots import endpoint, snapshot

from loadtui.engine.controller import FOLLOW_STEP_S, Controller
from loadtui.metrics.histogram import decode, latency_of, merge
from loadtui.metrics.snapshot import Event, Snapshot
from loadtui.report import fmt
from loadtui.report.progress import CLEAR_LINE, Progress


class FakeStream(io.StringIO):
    """stderr as Progress sees it: a terminal or not."""

    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def ticks(count: int = 20) -> list[Snapshot]:
    """0.5 s ticks of a 30 s run; every 10th is quiet (what one tick alone would show)."""
    out = []
    for i in range(1, count + 1):
        n = 0 if i % 10 == 0 else 40 + i
        fails = 1 if i % 4 == 1 else 0
        eps = [endpoint("/a", interval_requests=n, interval_failures=fails, interval_p50=2 + i / 2)]
        events = [Event(1.5, "stage", "stage 1/3: 20 users for 60s")] if i == 3 else []
        left = 30.0 - i * 0.5
        out.append(
            snapshot(i, endpoints=eps, stage=0, stage_left_s=left, run_left_s=left, events=events)
        )
    return out


def figures(held: Sequence[Snapshot]) -> str:
    """What a line must say of these ticks: counts summed, percentiles merged."""
    requests = sum(s.total.interval_requests for s in held)
    failures = sum(s.total.interval_failures for s in held)
    lat = latency_of(merge(decode(s.total.histogram) for s in held if s.total.histogram))
    seconds = sum(s.interval_s for s in held)
    return (
        f"{fmt.duration(seconds)}: {fmt.count(requests)} req,"
        f" {fmt.rate(requests / seconds)} req/s, {failures} failed"
        f" ({fmt.pct(failures / requests)})"
        f" | p50 {fmt.ms(lat.p50)} p95 {fmt.ms(lat.p95)} p99 {fmt.ms(lat.p99)} ms"
    )


def test_plain_lines_give_the_figures_since_the_previous_line_and_the_time_left() -> None:
    stream = FakeStream(tty=False)
    progress = Progress(stream, quiet=False, every=5.0)
    snaps = ticks()
    for snap in snaps:
        progress.show(snap)
    progress.done()
    lines = stream.getvalue().splitlines()
    assert lines == [
        "[1.5s] stage: stage 1/3: 20 users for 60s",
        f"[5.0s] users 20/20 | {figures(snaps[:10])} | stage 1/3 | 25.0s left",
        f"[10.0s] users 20/20 | {figures(snaps[10:])} | stage 1/3 | 20.0s left",
    ]
    assert snaps[-1].total.interval_requests == 0  # the last tick alone: 0.00 req/s
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


def test_a_terminal_gets_one_live_line_over_the_last_10_s() -> None:
    stream = FakeStream(tty=True)
    progress = Progress(stream, quiet=False)
    snaps = ticks(30)
    for snap in snaps:
        progress.show(snap)
    out = stream.getvalue()
    live = out.rsplit(CLEAR_LINE, 1)[1]
    assert live == f"[15.0s] users 20/20 | {figures(snaps[10:])} | stage 1/3 | 15.0s left"
    assert f"{CLEAR_LINE}[1.5s] stage: stage 1/3: 20 users for 60s\n" in out
    assert out.count(CLEAR_LINE) == 31  # 30 redraws and the event line
    progress.done()
    assert stream.getvalue().endswith(live + "\n")


def test_quiet_prints_nothing() -> None:
    stream = FakeStream(tty=False)
    progress = Progress(stream, quiet=True, every=0.5)
    for snap in ticks(12):
        progress.show(snap)
    progress.done()
    assert stream.getvalue() == ""


STAGES = [
    {"duration": "60s", "users": 2, "spawn_rate": 100},
    {"duration": "60s", "users": 3},
    {"duration": "60s", "users": 1},
]
LONG = scenario(user(api_delay(20, "slow")), profiles={"long": {"stages": STAGES}})
EARLY_S = 0.01  # event times run on the snapshots' clock, started a hair after the run's
# A running tick's line ends with the stage and the time left; the final (stopped) tick
# may also get a line, without them.
LINE = re.compile(
    r"^\[([\d.]+)s\] .*\| [\d.]+s: (\d[\d,]*) req, .*?(?:\| stage 1/3 \| ([\d.]+)s left)?$"
)


async def test_under_t_the_lines_count_every_request_and_the_run_s_time_left(
    demo_url: str,
) -> None:
    """`-t 2s` on a 3-minute profile: the time left is the run's (2 s), not the stage's
    (a minute), and the lines add up to the requests counted at the last one."""
    stream = FakeStream(tty=False)
    progress = Progress(stream, quiet=False, every=0.5)
    printed: list[Snapshot] = []  # the ticks that ended a line

    def show(_engine: Controller, snap: Snapshot) -> None:
        before = stream.tell()
        progress.show(snap)
        if "req/s" in stream.getvalue()[before:]:
            printed.append(snap)

    _, snaps, _ = await run(LONG, demo_url, profile="long", duration=2.0, on_snapshot=show)
    stop = stopping(snaps)  # the run ended at its -t, late only as far as its loop was held
    assert stop.message == "run finished"
    assert -EARLY_S <= stop.t - 2.0 <= FOLLOW_STEP_S + longest_gap(snaps), stop
    before = 0.0
    for snap in snaps:
        if snap.load.state == "running":
            left = snap.load.run_left_s
            # Read after the tick before and a moment before this tick's own time (a busy
            # machine can make that moment a long one): the run's 2 s, not a minute.
            assert left is not None and 2.0 - snap.t - EARLY_S <= left <= 2.0 - before, snap
            assert snap.load.stage_left_s <= left
        before = snap.t
    # A line every 0.5 s of the run's time, and one at least (a loop held for most of
    # the run bunches its ticks, and a bunch gets one line).
    lines = [m for ln in stream.getvalue().splitlines() if (m := LINE.match(ln))]
    assert len(lines) == len(printed) >= 1, stream.getvalue()
    for m, snap in zip(lines, printed, strict=True):
        assert m[1] == f"{snap.t:.1f}"
        if snap.load.state == "running":
            assert m[3] == f"{snap.load.run_left_s:.1f}"
        else:
            assert m[3] is None
    counted = sum(int(m[2].replace(",", "")) for m in lines)
    assert counted == printed[-1].total.requests > 0
