"""Gauges of the load generator itself (and optionally the target's processes).

A saturated generator lies about latency: when its CPU is pegged or its event loop runs
late, the time measured includes our own queueing. These gauges let the UI and the
reports say so.
"""

from __future__ import annotations

import asyncio
import os
import sys

import psutil

from loadtui.metrics.snapshot import SystemGauges
from loadtui.metrics.target import TargetTree


class LoopLagMonitor:
    """Event-loop lag: a callback is scheduled every `interval` seconds and the delay
    with which it actually runs is the time other callbacks held the loop.

    Start it from inside the running loop; read with `take_max_ms()` once per tick.
    """

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._max = 0.0  # seconds, since the last take_max_ms()
        self.samples = 0

    @property
    def running(self) -> bool:
        return self._handle is not None

    def start(self) -> None:
        """Begin measuring on the running loop (RuntimeError outside one)."""
        if self._handle is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._schedule()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    @property
    def max_ms(self) -> float:
        return self._max * 1000

    def take_max_ms(self) -> float:
        """The largest lag seen since the previous call, in ms; resets it."""
        lag, self._max = self._max, 0.0
        return lag * 1000

    def _schedule(self) -> None:
        assert self._loop is not None
        self._due = self._loop.time() + self.interval
        self._handle = self._loop.call_at(self._due, self._fire)

    def _fire(self) -> None:
        assert self._loop is not None
        lag = self._loop.time() - self._due
        if lag > self._max:
            self._max = lag
        self.samples += 1
        self._schedule()


class SystemSampler:
    """psutil gauges of this process (or `pid`), plus the target's when `target_pids`
    are given: those processes and all their descendants, summed (see target.TargetTree).
    CPU is percent of one core since the previous `sample()` (0 on the first)."""

    def __init__(
        self,
        pid: int | None = None,
        *,
        target_pids: tuple[int, ...] = (),
        lag: LoopLagMonitor | None = None,
    ) -> None:
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
                fds = _fds(proc)
        except psutil.NoSuchProcess:
            self.alive = False
            cpu, rss, fds = 0.0, 0, 0
        target = self._target.sample() if self._target is not None else None
        return SystemGauges(
            cpu_percent=cpu,
            rss_bytes=rss,
            loop_lag_ms=self.lag.take_max_ms() if self.lag is not None else 0.0,
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
