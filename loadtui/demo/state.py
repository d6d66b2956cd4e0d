"""Server-wide state of one demo target: rate limiter, login tokens, counters, retained memory.

One instance per running server (not module globals), so several targets in one process
stay independent. Everything here runs on the server's loop thread, so there are no locks.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

from loadtui.demo.jobs import JobStore

MAX_TOKENS = 100_000  # logins remembered; oldest forgotten first
MAX_BUCKETS = 64  # distinct `rate` values with their own bucket
GROW_CAP_KB = 256 * 1024  # /api/grow retains at most 256 MiB


class TokenBucket:
    """Classic token bucket: ``rate`` tokens per second, holding at most ``burst``."""

    __slots__ = ("_clock", "_last", "burst", "rate", "tokens")

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self._clock = clock
        self._last = clock()

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = self._clock()
        self.tokens = min(self.burst, self.tokens + (now - self._last) * self.rate)
        self._last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class DemoState:
    """What the endpoints remember between requests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: OrderedDict[float, TokenBucket] = OrderedDict()
        self._tokens: OrderedDict[str, str] = OrderedDict()
        self.pushed = 0
        self.pushed_bytes = 0
        self._retained: list[bytearray] = []
        self.retained_kb = 0
        self.jobs = JobStore(clock)
        self.logouts = 0

    def limiter(self, rate: float) -> TokenBucket:
        """The bucket shared by every client that asks for this ``rate`` (burst = rate)."""
        bucket = self._buckets.get(rate)
        if bucket is None:
            bucket = TokenBucket(rate, max(1.0, rate), self._clock)
            self._buckets[rate] = bucket
            if len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        return bucket

    def login(self, user: str) -> str:
        token = secrets.token_hex(16)
        self._tokens[token] = user
        if len(self._tokens) > MAX_TOKENS:
            self._tokens.popitem(last=False)
        return token

    def user_for(self, token: str) -> str | None:
        return self._tokens.get(token)

    def logout(self, token: str) -> str | None:
        """Forget a token; the user it was, or None if it was not known."""
        user = self._tokens.pop(token, None)
        if user is not None:
            self.logouts += 1
        return user

    def grow(self, kb: int) -> int:
        """Retain ``kb`` KiB more (clamped to the cap); return the total retained in KiB.

        The buffers are filled, not just allocated, so the pages really count in RSS.
        """
        kb = max(0, min(kb, GROW_CAP_KB - self.retained_kb))
        if kb:
            self._retained.append(bytearray(b"\xa5") * (kb * 1024))
            self.retained_kb += kb
        return self.retained_kb
