"""An exact iteration count over any number of workers (`-i N`, an `iterations` stage).

The controller holds the count (`IterationBudget`). Before t = 0 it gives each worker a
share, in proportion to the users that worker will hold, as `Allow` commands; a
worker's `Allowance` lets its users begin an iteration only while its share lasts, and
a user that finds it spent waits. Shares only grow, and nothing begins outside one, so
no more than N iterations begin in all. A worker left with no users hands its unused
share back (in its delta), a lost worker's unused share is taken back, and the
controller hands either to the workers that have users. The run is over once every
share is used and no iteration is still running.

An iteration is one task execution, or one pass of an ordered flow. Counting it is the
user loop's part (engine/users.py): `take` before it begins, `end` once it is over
(cut off included).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from loadtui.metrics.delta import WorkerLoad


class Allowance:
    """One worker's share of the count; `limited` False (no count): always granted."""

    __slots__ = ("_more", "allowed", "begun", "ended", "limited", "returned")

    def __init__(self, limited: bool = False) -> None:
        self.limited = limited
        self.allowed = 0  # granted by the controller, less what was handed back
        self.begun = 0  # iterations begun under the count
        self.ended = 0
        self.returned = 0  # handed back, in all
        self._more = asyncio.Event()

    @property
    def running(self) -> int:
        return self.begun - self.ended

    def take(self) -> bool:
        """Begin an iteration if the share allows one (then call `end` once it is over)."""
        if not self.limited:
            return True
        if self.begun < self.allowed:
            self.begun += 1
            return True
        self._more.clear()
        return False

    def end(self) -> None:
        if self.limited:
            self.ended += 1

    async def wait(self) -> None:
        """Until the share grows (a user that found it spent)."""
        await self._more.wait()

    def grant(self, n: int) -> None:
        self.allowed += max(0, n)
        self._more.set()

    def give_back(self) -> None:
        """Hand back what is granted but not begun (no user is left to begin it)."""
        spare = self.allowed - self.begun
        if spare > 0:
            self.allowed = self.begun
            self.returned += spare


def split_by(total: int, weights: Sequence[int]) -> list[int]:
    """`total` in proportion to `weights`, in whole numbers that add up to it (largest
    remainders first); evenly when every weight is 0."""
    if not weights:
        return []
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    shares = [total * w // whole for w in weights]  # whole numbers: exact at any size
    by_remainder = sorted(range(len(weights)), key=lambda i: -(total * weights[i] % whole))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


class IterationBudget:
    """The controller's side: who holds which share, from each worker's reports."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._granted: dict[int, int] = {}
        self._begun: dict[int, int] = {}  # as last reported (cumulative)
        self._returned: dict[int, int] = {}
        self._running: dict[int, int] = {}
        self._wanted: dict[int, int] = {}  # users each worker is asked to hold

    @property
    def pool(self) -> int:
        """Iterations no worker holds: never handed out, handed back, or taken back."""
        held = sum(g - self._returned.get(i, 0) for i, g in self._granted.items())
        return self.total - held

    def first(self, workers: Sequence[int], users: Sequence[int]) -> dict[int, int]:
        """The shares before t = 0, in proportion to each worker's `users`."""
        grants = dict(zip(workers, split_by(self.total, users), strict=True))
        for i, n in grants.items():
            self._granted[i] = self._granted.get(i, 0) + n
        return grants

    def seen(self, worker: int, load: WorkerLoad) -> None:
        """A worker's delta: what it began, handed back and runs, as of that tick."""
        self._begun[worker] = load.allowance_begun
        self._returned[worker] = load.allowance_returned
        self._running[worker] = load.iterating
        self._wanted[worker] = load.users_wanted

    def lose(self, worker: int) -> None:
        """A lost worker keeps what it began; the rest of its share returns to the pool."""
        self._granted[worker] = self._begun.get(worker, 0) + self._returned.get(worker, 0)
        self._running[worker] = 0
        self._wanted[worker] = 0

    def regrant(self, alive: Iterable[int]) -> dict[int, int]:
        """The pool, split over the live workers that hold users (none: it waits)."""
        pool = self.pool
        wanting = [i for i in alive if self._wanted.get(i, 0) > 0]
        if pool <= 0 or not wanting:
            return {}
        weights = [self._wanted[i] for i in wanting]
        grants = {i: n for i, n in zip(wanting, split_by(pool, weights), strict=True) if n}
        for i, n in grants.items():
            self._granted[i] = self._granted.get(i, 0) + n
        return grants

    def finished(self) -> bool:
        """Every iteration of the count has begun (as reported) and none is running."""
        if self.pool > 0:
            return False
        for i, granted in self._granted.items():
            if granted - self._returned.get(i, 0) - self._begun.get(i, 0) > 0:
                return False
        return not any(self._running.values())
