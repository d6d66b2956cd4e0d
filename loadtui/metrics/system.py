"""Gauges of the load generator itself (and optionally the target's processes).

A saturated generator lies about latency: when its CPU is pegged or its event loop runs
late, the time measured includes our own queueing. These gauges let the UI and the
reports say so.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import time
from typing import NamedTuple

import psutil

from loadtui.metrics.snapshot import SystemGauges
from loadtui.metrics.target import TargetTree

SAMPLE_S = 0.005  # the lag sampler's period
WINDOW_S = 0.1  # lag is judged per window of this length
LAG_LIMIT_S = 0.010  # a window is over when the loop ran this much late in it


class LagReading(NamedTuple):
    """The loop's lag since the previous reading, by 100 ms windows."""

    worst_ms: float = 0.0  # the longest a due callback waited: the worst window's lag
    windows: int = 0  # windows that ended since the previous reading
    over: int = 0  # of those, windows in which the loop ran more than the limit late


class LoopLagMonitor:
    """Event-loop lag: a callback is scheduled every `interval` seconds and the delay
    with which it actually runs is the time other callbacks held the loop.

    Time is cut into `window`-long windows; a window is *over* when the loop was more
    than `limit` behind at some moment in it (a stall spanning several windows marks
    them all). Sampling every 5 ms, any stall longer than limit + 5 ms is seen: a
    50 ms sampler misses most short ones, which is how short starvation went unflagged.
    Start it from inside the running loop; read with `take()` once per tick.
    """

    def __init__(
        self, interval: float = SAMPLE_S, window: float = WINDOW_S, limit: float = LAG_LIMIT_S
    ) -> None:
        self.interval = interval
        self.window = window
        self.limit = limit
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._max = 0.0  # seconds, since the last take()
        self._t0 = 0.0  # window 0 starts here (loop time)
        self._first = 0  # the first window not yet reported
        # Windows marked over and not yet reported: disjoint inclusive index ranges, in order.
        self._over: list[list[int]] = []
        self.samples = 0

    @property
    def running(self) -> bool:
        return self._handle is not None

    def start(self) -> None:
        """Begin measuring on the running loop (RuntimeError outside one)."""
        if self._handle is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._t0 = self._loop.time()
        self._first, self._over, self._max = 0, [], 0.0
        self._schedule()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    @property
    def max_ms(self) -> float:
        return self._max * 1000

    def take(self) -> LagReading:
        """The lag since the previous call (a stall still under way included); resets
        it. Zeros once stopped."""
        if self._loop is None or self._handle is None:
            return LagReading()
        now = self._loop.time()
        behind = now - self._due  # > 0: the sampler is due and has not run yet
        if behind > self._max:
            self._max = behind
        if behind > self.limit:
            self._mark(self._due + self.limit, now)
        end = self._index(now)  # the window under way: reported next time
        windows = max(0, end - self._first)
        over = sum(max(0, min(hi, end - 1) - max(lo, self._first) + 1) for lo, hi in self._over)
        self._over = [[max(lo, end), hi] for lo, hi in self._over if hi >= end]
        self._first = max(self._first, end)
        worst, self._max = self._max, 0.0
        return LagReading(worst * 1000, windows, over)

    def _index(self, t: float) -> int:
        return int((t - self._t0) // self.window)

    def _mark(self, start: float, end: float) -> None:
        """The loop was more than `limit` behind from `start` to `end`: mark the windows
        they span (those already reported stay as they were)."""
        lo, hi = max(self._index(start), self._first), self._index(end)
        if hi < lo:
            return
        last = self._over[-1] if self._over else None
        if last is not None and lo <= last[1] + 1:
            last[1] = max(last[1], hi)
        else:
            self._over.append([lo, hi])

    def _schedule(self) -> None:
        assert self._loop is not None
        self._due = self._loop.time() + self.interval
        self._handle = self._loop.call_at(self._due, self._fire)

    def _fire(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        lag = now - self._due
        if lag > self._max:
            self._max = lag
        if lag > self.limit:
            self._mark(self._due + self.limit, now)
        self.samples += 1
        self._schedule()


class SystemSampler:
    """psutil gauges of this process (or `pid`), plus the target's when `target_pids`
    are given: those processes and all their descendants, summed (see target.TargetTree).
    CPU is percent of one core since the previous `sample()` (0 on the first). Open file
    descriptors are counted at most every `fds_every_s`: counting lists /proc/PID/fd,
    which at tens of thousands of sockets costs more than the rest of a tick's sample."""

    def __init__(
        self,
        pid: int | None = None,
        *,
        target_pids: tuple[int, ...] = (),
        lag: LoopLagMonitor | None = None,
        fds_every_s: float = 1.0,
    ) -> None:
        self._fds_every_s = fds_every_s
        self._fds = 0
        self._fds_at = -math.inf
        self._proc = psutil.Process(pid if pid is not None else os.getpid())
        self._proc.cpu_percent(None)  # prime: the next call measures from here
        self._target = TargetTree(target_pids) if target_pids else None
        self.lag = lag
        self.alive = True

    def sample(self) -> SystemGauges:
        """Gauges now; zeros (and `alive` False) once the sampled process is gone; the
        target's None once every target process is gone."""
        proc = self._proc
        try:
            with proc.oneshot():
                cpu = proc.cpu_percent(None)
                rss = proc.memory_info().rss
                now = time.monotonic()
                if now - self._fds_at >= self._fds_every_s:
                    self._fds, self._fds_at = _fds(proc), now
                fds = self._fds
        except psutil.NoSuchProcess:
            self.alive = False
            cpu, rss, fds = 0.0, 0, 0
        target = self._target.sample() if self._target is not None else None
        lag = self.lag.take() if self.lag is not None else LagReading()
        return SystemGauges(
            cpu_percent=cpu,
            rss_bytes=rss,
            loop_lag_ms=lag.worst_ms,
            lag_windows=lag.windows,
            lag_windows_over=lag.over,
            fds=fds,
            target_cpu_percent=target[0] if target is not None else None,
            target_rss_bytes=target[1] if target is not None else None,
        )


def _fds(proc: psutil.Process) -> int:
    try:
        if sys.platform == "win32":
            return int(proc.num_handles())
        return int(proc.num_fds())
    except (psutil.AccessDenied, psutil.NoSuchProcess):
        return 0
