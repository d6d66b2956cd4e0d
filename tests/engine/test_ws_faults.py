"""Every mode of the misbehaving WebSocket target (tests/support/faulty_ws.py), through
the real engine: each run names the fault (a handshake failure or a stream error, never
a Python exception's name), keeps the generator's memory flat (RSS sampled over the
run, the server's thread included) and ends on time (its stop + grace + a wide margin).
"""

from __future__ import annotations

import pytest
from support.fault_runs import MARGIN, Outcome, assert_bounded, shown_run
from support.faulty_ws import MODES, scenario, serve
from support.rss import RssWatch
from support.runs import GUARD_S

from loadtui.metrics.snapshot import Snapshot

# What a stream reports besides its fault: sessions cut at stop, and the close of a
# session whose reply never came because the connection failed.
INCIDENTAL = {"unfinished", "reset"}


def kinds(snap: Snapshot) -> set[str]:
    """The stream's handshake failures and errors, by kind."""
    return {k for s in snap.streams for k in (*s.handshake_failures, *s.errors)}


@pytest.mark.parametrize("mode", list(MODES))
async def test_ws_fault_is_named_with_flat_memory_and_on_time(mode: str) -> None:
    spec = MODES[mode]
    lifetime = spec.run_s + GUARD_S + MARGIN
    with serve(mode, lifetime=lifetime) as target, RssWatch() as rss:
        final, took, bound = await shown_run(
            scenario(mode, target.url), target.url, spec.run_s, lambda s: spec.expect <= kinds(s)
        )
    counters = target.counters
    out = Outcome(final, rss.growth, took, bound, counters.bytes_sent, counters.connections)
    [stream] = final.streams
    seen = {**stream.handshake_failures, **stream.errors}
    assert spec.expect <= seen.keys(), seen
    assert seen.keys() <= spec.expect | INCIDENTAL, seen
    assert_bounded(out)
