"""Pause/resume shared by users and arrivals: one flag, one event to wait on."""

from __future__ import annotations

import asyncio
from time import perf_counter


class Gate:
    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self.paused_total = 0.0
        self._paused_at: float | None = None

    @property
    def paused(self) -> bool:
        return not self._open.is_set()

    def pause(self) -> bool:
        if self.paused:
            return False
        self._open.clear()
        self._paused_at = perf_counter()
        return True

    def resume(self) -> bool:
        if not self.paused:
            return False
        assert self._paused_at is not None
        self.paused_total += perf_counter() - self._paused_at
        self._paused_at = None
        self._open.set()
        return True

    def paused_so_far(self) -> float:
        """Total paused time, including a pause still in progress."""
        extra = perf_counter() - self._paused_at if self._paused_at is not None else 0.0
        return self.paused_total + extra

    async def wait(self) -> None:
        if not self._open.is_set():
            await self._open.wait()
