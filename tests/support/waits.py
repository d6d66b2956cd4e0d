"""Waiting on a condition instead of sleeping: a busy machine only makes the wait longer,
never the test wrong. The timeout is a hang guard, not a performance goal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

POLL_S = 0.01


async def wait_for(check: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Yield to the event loop until `check()` holds; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not met within {timeout} s: {what or check}"
        await asyncio.sleep(POLL_S)


def wait_until(check: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Blocking twin of `wait_for`, for tests that watch another thread or process."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not met within {timeout} s: {what or check}"
        time.sleep(POLL_S)
