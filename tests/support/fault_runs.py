"""One bounded engine run against a mode of the misbehaving target, with what the fault
tests assert on: the final snapshot, the generator's RSS growth and the run's length."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

import pytest

from loadtui.metrics.snapshot import Snapshot
from support.faulty import MODES, ModeUnavailable, scenario, serve
from support.rss import RssWatch
from support.runs import run

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
    bound: float  # seconds by which it had to be over: its length + grace + margin
    served: int  # bytes the target wrote
    connections: int  # connections the target accepted

    @property
    def errors(self) -> dict[str, int]:
        return self.final.total.errors


async def fault_run(
    mode: str,
    *,
    keep_body: bool = True,
    http2: bool = False,
    run_s: float | None = None,
    text: str | None = None,
    folder: Path | None = None,
) -> Outcome:
    """Two closed users without think time against `mode` for `run_s` (default: the
    mode's); `text` replaces the mode's scenario (its target is ${LOADTUI_TARGET}), with
    its Python task modules in `folder`."""
    run_s = run_s or MODES[mode].run_s
    try:
        with serve(mode, lifetime=30) as target:
            if text is None:
                text = scenario(mode, target.url, keep_body=keep_body, http2=http2)
            with RssWatch() as rss:
                t0 = perf_counter()
                final, _, _ = await run(
                    text,
                    target.url,
                    users=2,
                    spawn_rate=100,
                    duration=run_s,
                    grace=GRACE,
                    folder=folder,
                )
                took = perf_counter() - t0
    except ModeUnavailable as exc:
        pytest.skip(str(exc))
    counters = target.counters
    bound = run_s + GRACE + MARGIN
    return Outcome(final, rss.growth, took, bound, counters.bytes_sent, counters.connections)


def assert_bounded(out: Outcome) -> None:
    """Memory stayed flat and the run ended on time."""
    assert out.growth < MAX_GROWTH, f"RSS grew by {out.growth / MiB:.0f} MiB"
    assert out.took <= out.bound, f"the run took {out.took:.1f}s (bound {out.bound:.1f}s)"
