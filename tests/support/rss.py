"""Peak resident memory of a process (and its children), sampled on a thread.

Memory that grows without bound shows within a fraction of a second (hundreds of MB/s),
so sampling every 20 ms over a run catches it, where a before/after pair could miss a
peak that was freed before the end.
"""

from __future__ import annotations

import contextlib
import threading

import psutil

from support.loopback import Background


def rss_of(proc: psutil.Process) -> int:
    """RSS of `proc` and its descendants, in bytes (0 once it is gone)."""
    try:
        total = proc.memory_info().rss
        children = proc.children(recursive=True)
    except psutil.Error:
        return 0
    for child in children:
        with contextlib.suppress(psutil.Error):  # it ended meanwhile
            total += child.memory_info().rss
    return total


class RssWatch(Background):
    """`with RssWatch(pid) as w:` ... then `w.first`, `w.peak`, `w.end` (bytes)."""

    def __init__(self, pid: int | None = None, every: float = 0.02) -> None:
        self.proc = psutil.Process(pid)
        self.every = every
        self.first = self.peak = self.end = rss_of(self.proc)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-watch", daemon=True)

    @property
    def growth(self) -> int:
        """Peak over the starting RSS, in bytes."""
        return self.peak - self.first

    def _sample(self) -> None:
        while not self._done.wait(self.every):
            now = rss_of(self.proc)
            if now:
                self.end = now
                self.peak = max(self.peak, now)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._done.set()
        self._thread.join(5)
        now = rss_of(self.proc)
        if now:
            self.end = now
            self.peak = max(self.peak, now)
