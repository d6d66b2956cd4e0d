"""How many endpoint rows a run keeps: the one rule for names made at run time.

A row's name comes either from the scenario (a task's name: the file bounds those) or
from a running task (a Python task's `step(name)`, `extensions={"name": ...}`, or a
request's path). A task that puts an id in such a name (`step(f"user {uid}")`) would
make a row per id, and each row holds three latency histograms (~190 KB each: the
worker's interval one, the fold's interval and cumulative ones) and travels in every
tick's delta, session record and report. So names made at run time get a row each up
to MAX_NAMED_ROWS per run; every later new name is counted in one OTHER_NAMES row, and
the first of them is a warning event (one per run: the fold passes on the first that
a worker or the fold itself raises).

The same `RowNames` rule runs in each worker's recorder and in the controller's fold,
which applies it again across workers (each may have met other names).
"""

from __future__ import annotations

from collections.abc import Iterable

from loadtui.metrics.snapshot import Event

# Distinct row names made at run time, per run: at worst ~110 MB of histograms (3 x
# ~190 KB a row), which a real test with a handful of named steps never comes near.
MAX_NAMED_ROWS = 200
OTHER_NAMES = "(other names)"  # the row that counts every name past the limit
ROWS_EVENT = "rows_limited"  # key in a warning's data: the first name past the limit


class RowNames:
    """Which row a name counts in. Names the scenario gives are declared and always
    theirs; names made at run time are admitted until `limit` of them are."""

    __slots__ = ("_declared", "_named", "first_over", "limit")

    def __init__(self, declared: Iterable[str] = (), limit: int = MAX_NAMED_ROWS) -> None:
        self._declared = set(declared)
        self._named: set[str] = set()
        self.limit = limit
        self.first_over: str | None = None  # the first name sent to OTHER_NAMES

    def declare(self, name: str) -> str:
        """A name the scenario gives: always a row of its own."""
        self._declared.add(name)
        return name

    def row(self, name: str) -> str:
        """The row a name made at run time counts in: its own while fewer than `limit`
        such names have one, else OTHER_NAMES (the first such name is kept)."""
        if name in self._named or name in self._declared or name == OTHER_NAMES:
            return name
        if len(self._named) < self.limit:
            self._named.add(name)
            return name
        if self.first_over is None:
            self.first_over = name
        return OTHER_NAMES


def rows_warning(name: str) -> tuple[str, dict[str, str]]:
    """The warning's message and data when `name` is the first new name past the limit."""
    message = (
        f"more than {MAX_NAMED_ROWS:,} endpoint names made at run time: {name!r} and every"
        f" later new name are counted as {OTHER_NAMES!r} (keep ids out of step names)"
    )
    return message, {ROWS_EVENT: name}


def is_rows_warning(event: Event) -> bool:
    return event.kind == "warning" and ROWS_EVENT in event.data
