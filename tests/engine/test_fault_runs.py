"""Every mode of the misbehaving target (tests/support/faulty.py), through the real engine:
each run shows the mode's error kind (and nothing else but requests cut off at stop),
keeps the generator's memory flat (RSS sampled over the run) and ends on time.

The memory bound is generous on purpose (+100 MB): before the caps, endless headers took
the generator to 3.3 GB in 13 s and an endless kept body grew at 250 MB/s. The time
bound is a correctness bound (deadline + grace + a wide margin), not a speed figure.
"""

from __future__ import annotations

import pytest
from support.fault_runs import CUT_OFF, assert_bounded, fault_run
from support.faulty import MODES


@pytest.mark.parametrize("mode", list(MODES))
async def test_fault_mode_is_its_error_kind_with_flat_memory_and_on_time(mode: str) -> None:
    out = await fault_run(mode)
    seen = set(out.errors)
    assert MODES[mode].expect <= seen, out.errors
    assert seen <= MODES[mode].expect | {CUT_OFF}, out.errors
    # Every request is accounted for, and none of them passed.
    total = out.final.total
    assert total.requests == total.failures == sum(out.errors.values()) > 0
    assert_bounded(out)
