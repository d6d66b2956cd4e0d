"""Gauges of the load generator itself (and optionally the target process).

A saturated generator lies about latency: when its CPU is pegged or its event loop runs
late, the time measured includes our own queueing. These gauges let the UI and the
reports say so.
"""

from __future__ import annotations

import asyncio
import os

import psutil

from loadtui.metrics.snapshot import SystemGauges


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
    """psutil gauges of this process (or `pid`), plus the target's when `target_pid` is
    given. CPU is percent of one core since the previous `sample()` (0 on the first)."""

    def __init__(
        self,
        pid: int | None = None,
        *,
        target_pid: int | None = None,
        lag: LoopLagMonitor | None = None,
    ) -> None:
        self._proc = psutil.Process(pid if pid is not None else os.getpid())
        self._proc.cpu_percent(None)  # prime: the next call measures from here
        self._target: psutil.Process | None = None
        if target_pid is not None:
            self._target = psutil.Process(target_pid)
            self._target.cpu_percent(None)
        self.lag = lag
        self.alive = True

    def sample(self) -> SystemGauges:
        """Gauges now; zeros (and `alive` False) once the sampled process is gone."""
        proc = self._proc
        try:
            with proc.oneshot():
                cpu = proc.cpu_percent(None)
                rss = proc.memory_info().rss
                fds = _fds(proc)
        except psutil.NoSuchProcess:
            self.alive = False
            cpu, rss, fds = 0.0, 0, 0
        target_cpu: float | None = None
        target_rss: int | None = None
        if self._target is not None:
            try:
                with self._target.oneshot():
                    target_cpu = self._target.cpu_percent(None)
                    target_rss = self._target.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                self._target = None  # gone: report None from now on
        return SystemGauges(
            cpu_percent=cpu,
            rss_bytes=rss,
            loop_lag_ms=self.lag.take_max_ms() if self.lag is not None else 0.0,
            fds=fds,
            target_cpu_percent=target_cpu,
            target_rss_bytes=target_rss,
        )


def _fds(proc: psutil.Process) -> int:
    try:
        if hasattr(proc, "num_fds"):
            return int(proc.num_fds())
        return int(proc.num_handles())  # Windows
    except (psutil.AccessDenied, psutil.NoSuchProcess):
        return 0
