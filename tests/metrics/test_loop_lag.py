"""Loop lag by 100 ms windows, on a real loop held by a blocking call.

The machine may hold the loop too (other processes): assertions only count windows the
test's own stall must have marked, never that the rest stayed clean."""

from __future__ import annotations

import asyncio
import time

from loadtui.metrics.system import LagReading, LoopLagMonitor, SystemSampler


async def test_a_stall_marks_every_window_it_spans_once() -> None:
    mon = LoopLagMonitor()
    mon.start()
    await asyncio.sleep(0.02)
    time.sleep(0.35)  # hold the loop: the sampler is overdue while it is read
    during = mon.take()
    assert during.worst_ms >= 300
    # The stall covers at least three whole windows, all ended by now.
    assert 3 <= during.over <= during.windows
    await asyncio.sleep(0.25)  # the overdue sample runs: windows already read stay read
    after = mon.take()
    assert after.windows >= 2
    assert after.over <= after.windows  # each window counted once, whatever else ran
    mon.stop()


async def test_gauges_carry_the_windows_and_a_stopped_monitor_reads_zeros() -> None:
    mon = LoopLagMonitor()
    mon.start()
    sampler = SystemSampler(lag=mon)
    await asyncio.sleep(0.02)
    time.sleep(0.25)
    await asyncio.sleep(0)
    gauges = sampler.sample()
    assert gauges.lag_windows_over >= 2 and gauges.lag_windows >= gauges.lag_windows_over
    assert gauges.loop_lag_ms >= 200
    mon.stop()
    assert mon.take() == LagReading()
    assert sampler.sample().lag_windows == 0
