"""Every mode of the misbehaving WebSocket target (tests/support/faulty_ws.py), through
the real engine: each run names the fault (a handshake failure or a stream error, never
a Python exception's name), keeps the generator's memory flat (RSS sampled over the
run, the server's thread included) and ends on time (deadline + grace + a wide margin).
"""

from __future__ import annotations

from time import perf_counter

import pytest
from support.fault_runs import GRACE, MARGIN, Outcome, assert_bounded
from support.faulty_ws import MODES, scenario, serve
from support.rss import RssWatch
from support.runs import run

# What a stream reports besides its fault: sessions cut at stop, and the close of a
# session whose reply never came because the connection failed.
INCIDENTAL = {"unfinished", "reset"}


@pytest.mark.parametrize("mode", list(MODES))
async def test_ws_fault_is_named_with_flat_memory_and_on_time(mode: str) -> None:
    spec = MODES[mode]
    with serve(mode, lifetime=30) as target, RssWatch() as rss:
        t0 = perf_counter()
        final, _, _ = await run(
            scenario(mode, target.url),
            target.url,
            users=2,
            spawn_rate=100,
            duration=spec.run_s,
            grace=GRACE,
        )
        took = perf_counter() - t0
    counters = target.counters
    out = Outcome(
        final, rss.growth, took, spec.run_s + GRACE + MARGIN, counters.bytes_sent,
        counters.connections,
    )  # fmt: skip
    [stream] = final.streams
    kinds = {**stream.handshake_failures, **stream.errors}
    assert spec.expect <= kinds.keys(), kinds
    assert kinds.keys() <= spec.expect | INCIDENTAL, kinds
    assert_bounded(out)
