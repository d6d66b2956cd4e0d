"""Waiting on a condition instead of sleeping: a busy machine only makes the wait longer,
never the test wrong. The timeout is a hang guard, not a performance goal."""

from __future__ import annotations

import asyncio
import queue
import time
from collections.abc import Callable
from typing import Any, TypeVar

POLL_S = 0.01
PILOT_POLL_S = 0.05  # an app's turn includes a repaint: poll it less often
# How long a wait may take before it fails the test: a hang guard, far past what a quiet
# machine needs, as a busy CI machine can be ten times slower and hold a loop for
# seconds (a cold child process or `python -m loadtui` start-up included).
GUARD_S = 30.0
T = TypeVar("T")


async def wait_for(check: Callable[[], bool], timeout: float = GUARD_S, what: str = "") -> None:
    """Yield to the event loop until `check()` holds; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not met within {timeout} s: {what or check}"
        await asyncio.sleep(POLL_S)


def wait_until(check: Callable[[], bool], timeout: float = GUARD_S, what: str = "") -> None:
    """Blocking twin of `wait_for`, for tests that watch another thread or process."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not met within {timeout} s: {what or check}"
        time.sleep(POLL_S)


def first_from(items: queue.Queue[T], check: Callable[[T], bool], timeout: float = GUARD_S) -> T:
    """The first item off `items` passing `check` (say, an engine host's snapshots);
    `queue.Empty` fails the test when nothing comes for `timeout` s (it stopped ticking)."""
    while True:
        item = items.get(timeout=timeout)
        if check(item):
            return item


async def settle(
    pilot: Any, check: Callable[[], bool], timeout: float = GUARD_S, what: str = ""
) -> None:
    """`wait_for` for a Textual app under a Pilot: lets the app run (messages, timers,
    workers) until `check()` holds; fails the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not met within {timeout} s: {what or check}"
        await pilot.pause(PILOT_POLL_S)
