"""System gauges from psutil on real processes, and event-loop lag on a real loop."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import psutil
import pytest

from loadtui.metrics.system import LoopLagMonitor, SystemSampler


def test_sample_own_process(tmp_path) -> None:
    sampler = SystemSampler(fds_every_s=0.0)  # count descriptors at every sample
    first = sampler.sample()
    assert first.rss_bytes > 1_000_000
    assert first.fds > 0
    assert first.loop_lag_ms == 0.0
    assert first.target_cpu_percent is None and first.target_rss_bytes is None
    with open(tmp_path / "f", "w"):
        assert sampler.sample().fds == first.fds + 1
    since = time.monotonic()
    end = time.process_time() + 0.3
    while time.process_time() < end:  # burn CPU: bounded by process time
        pass
    # 0.3 s of CPU over however long a busy machine took: the share it was, give or take.
    share = 100 * 0.3 / (time.monotonic() - since)
    assert sampler.sample().cpu_percent >= share / 2


def test_target_process_then_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(20)"])
    try:
        sampler = SystemSampler(target_pids=(child.pid,))
        g = sampler.sample()
        assert g.target_rss_bytes is not None and g.target_rss_bytes > 0
        assert g.target_cpu_percent is not None
    finally:
        child.kill()
        child.wait(timeout=10)
    g = sampler.sample()
    assert g.target_rss_bytes is None and g.target_cpu_percent is None
    assert g.rss_bytes > 0  # our own gauges carry on


def test_sampled_process_gone_gives_zeros() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(20)"])
    try:
        sampler = SystemSampler(child.pid)
        assert sampler.sample().rss_bytes > 0
    finally:
        child.kill()
        child.wait(timeout=10)
    g = sampler.sample()
    assert (g.rss_bytes, g.fds, g.cpu_percent) == (0, 0, 0.0)
    assert not sampler.alive


def test_unknown_pid_is_an_error() -> None:
    with pytest.raises(psutil.NoSuchProcess):
        SystemSampler(2**22 + 12345)


def test_loop_lag_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        LoopLagMonitor().start()


async def test_loop_lag_measures_a_blocked_loop() -> None:
    mon = LoopLagMonitor(interval=0.02)
    mon.start()
    mon.start()  # idempotent
    assert mon.running
    sampler = SystemSampler(lag=mon)
    await asyncio.sleep(0.05)
    time.sleep(0.25)  # hold the loop, as a slow callback would
    await asyncio.sleep(0.05)
    assert mon.max_ms >= 150
    assert sampler.sample().loop_lag_ms >= 150
    assert mon.max_ms == 0.0  # sample() took and reset it
    since = time.perf_counter()
    await asyncio.sleep(0.15)
    assert mon.samples > 3
    # Read afresh: not the 250 ms stall sample() already took. What the machine adds on
    # its own is no part of this test: tens of milliseconds when it is busy, and when it
    # held this loop longer than that stall, no more than the time since the reset.
    held_ms = (time.perf_counter() - since) * 1000
    assert mon.take().worst_ms < max(250, held_ms)
    mon.stop()
    assert not mon.running
    seen = mon.samples
    await asyncio.sleep(0.08)
    assert mon.samples == seen
