"""One bounded engine run against a mode of the misbehaving target, with what the fault
tests assert on: the final snapshot, the generator's RSS growth and the run's length.

A run lasts the mode's `run_s` (what a quiet machine needs to meet the fault), and then
until the fault has shown: a timeout is timed from a request a busy machine sent late,
and a run of fixed length would end before it. Its time bound counts from the stop."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

import pytest

from loadtui.engine.controller import Controller
from loadtui.metrics.snapshot import Snapshot
from support.faulty import MODES, ModeUnavailable, scenario, serve
from support.rss import RssWatch
from support.runs import GUARD_S, run

MiB = 1024 * 1024
MAX_GROWTH = 100 * MiB  # generous: unbounded growth ran at 250 MB/s and more
GRACE = 0.3
MARGIN = 5.0  # start-up, the last tick, a loaded machine: wide on purpose
CUT_OFF = "unfinished"


@dataclass
class Outcome:
    final: Snapshot
    growth: int  # peak RSS over the starting RSS, bytes
    took: float  # seconds the run took
    bound: float  # seconds by which it had to be over: its stop + grace + margin
    served: int  # bytes the target wrote
    connections: int  # connections the target accepted

    @property
    def errors(self) -> dict[str, int]:
        return self.final.total.errors


async def shown_run(
    text: str,
    url: str,
    run_s: float,
    shown: Callable[[Snapshot], bool],
    folder: Path | None = None,
) -> tuple[Snapshot, float, float]:
    """Two closed users without think time against `url`, for `run_s` and then until
    `shown(snapshot)` holds: the final snapshot, the seconds the run took, and the bound
    (when the stop was asked, plus grace and margin)."""
    asked = run_s + GUARD_S  # unless the fault shows first, the run's own end

    def stop_once_shown(engine: Controller, snap: Snapshot) -> None:
        nonlocal asked
        if engine.state == "running" and snap.t >= run_s and shown(snap):
            asked = perf_counter() - t0
            engine.stop()

    t0 = perf_counter()
    final, _, _ = await run(
        text,
        url,
        stop_once_shown,
        users=2,
        spawn_rate=100,
        duration=run_s + GUARD_S,
        grace=GRACE,
        folder=folder,
    )
    return final, perf_counter() - t0, asked + GRACE + MARGIN


async def fault_run(
    mode: str,
    *,
    keep_body: bool = True,
    http2: bool = False,
    run_s: float | None = None,
    text: str | None = None,
    folder: Path | None = None,
    expect: Collection[str] | None = None,
    total: float | None = None,
) -> Outcome:
    """A `shown_run` against `mode` for `run_s` (default: the mode's) and until every
    error kind of `expect` (default: the mode's) has shown; `text` replaces the mode's
    scenario (its target is ${LOADTUI_TARGET}), with its Python task modules in `folder`;
    `total` overrides the scenario's total limit."""
    run_s = run_s or MODES[mode].run_s
    kinds = frozenset(MODES[mode].expect if expect is None else expect)
    try:
        with serve(mode, lifetime=run_s + GUARD_S + MARGIN) as target:
            if text is None:
                text = scenario(mode, target.url, keep_body=keep_body, http2=http2, total=total)
            with RssWatch() as rss:
                final, took, bound = await shown_run(
                    text, target.url, run_s, lambda snap: kinds <= snap.total.errors.keys(), folder
                )
    except ModeUnavailable as exc:
        pytest.skip(str(exc))
    counters = target.counters
    return Outcome(final, rss.growth, took, bound, counters.bytes_sent, counters.connections)


def assert_bounded(out: Outcome) -> None:
    """Memory stayed flat and the run ended on time."""
    assert out.growth < MAX_GROWTH, f"RSS grew by {out.growth / MiB:.0f} MiB"
    assert out.took <= out.bound, f"the run took {out.took:.1f}s (bound {out.bound:.1f}s)"
