"""Rows of the scenario's `[data]` tables, handed out to users at run time.

Each worker reads its own share of each file once, when it is built: worker i of n keeps
rows i, i+n, i+2n, ... (of the columns the scenario uses), so `unique` holds across a
fleet with no word between workers, and a worker's memory is its share. A cycle or
random table with fewer rows than workers gives every worker all of them instead.

A unique table with fewer rows than workers leaves some workers none (`Feeder.empty`):
there the classes that read it are starved (plan.py): their users wait without
beginning an iteration and take no open-model arrival, and the worker says so (a
warning at its start). Each row is still used once, by the workers that hold one.

`unique` with `on_exhausted = "stop"`: a `per_user` table runs out when a user starts
and finds no row left (more users than rows: the users already holding rows were
enough until then), and that ends the run at once: the worker pauses its users (no call
starts after that) and says so in an event whose `end_run` the controller acts on
(controller.py), so the run stops at the next tick. A `per_iteration` table runs out
when it hands out its last row, since the iteration after it would find none. Its rows
are a budget spent by iterations (k6's shared iterations), so the run ends once every
worker has spent its share: a worker whose share is spent pauses its users and says so
(`data_used`, an empty share counting as spent from the start); the controller's
workers (workers.py) end the run when every live worker has. With one worker that is at
once.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from loadtui.engine.commands import DATA_USED, END_RUN
from loadtui.engine.gate import Gate
from loadtui.metrics.recorder import Recorder
from loadtui.scenario.datafile import DataFileError, read_rows
from loadtui.scenario.model import DataSpec

Row = tuple[str, ...]


class Feeder:
    """One table's rows in this worker, handed out by its mode."""

    __slots__ = (
        "_events", "_next", "column", "empty", "exhausted", "rng", "rows", "spec", "stops",
    )  # fmt: skip

    def __init__(
        self, spec: DataSpec, rows: list[Row], rng: random.Random, events: FeederEvents
    ) -> None:
        self.spec = spec
        self.rows = rows
        self.rng = rng
        self.column = {name: i for i, name in enumerate(spec.used)}
        self.stops = spec.mode == "unique" and spec.on_exhausted == "stop"
        self.empty = spec.mode == "unique" and not rows  # fewer rows than workers
        self.exhausted = False
        self._next = 0
        self._events = events

    def draw(self) -> Row | None:
        """The next row for a user; None once a stopping unique table has run out."""
        rows = self.rows
        if self.spec.mode == "random":
            return self.rng.choice(rows) if rows else None
        if self._next >= len(rows):
            if self.empty:
                return None  # not running out: there was never a row here
            if self.stops:
                self._ran_out()
                return None
            if self.spec.mode == "unique" and rows:
                self._events.again(self)
            self._next = 0
            if not rows:
                return None
        row = rows[self._next]
        self._next += 1
        if self.stops and self._next == len(rows) and self.spec.pick == "per_iteration":
            self._ran_out()  # this row's iteration runs; no later one would find a row
        return row

    def _ran_out(self) -> None:
        if not self.exhausted:
            self.exhausted = True
            self._events.ran_out(self)
        else:  # resumed since (the operator): there is still nothing to hand out here
            self._events.gate.pause()


class FeederEvents:
    """What a worker says when a unique table runs out: an event, and for "stop" a pause
    of its users until the controller ends the run."""

    def __init__(self, recorder: Recorder, gate: Gate, index: int, count: int) -> None:
        self.recorder = recorder
        self.gate = gate
        self.index = index
        self.count = count
        self._said_again: set[str] = set()

    def _used(self, feeder: Feeder) -> str:
        name, total = feeder.spec.name, feeder.spec.rows
        if self.count == 1:
            return f"data {name}: all {total} unique rows used"
        return f"data {name}: worker {self.index}'s share ({len(feeder.rows)} of {total} rows) used"

    def ran_out(self, feeder: Feeder) -> None:
        self.gate.pause()  # no call starts now; the controller stops the run
        name = feeder.spec.name
        if self.count > 1 and feeder.spec.pick == "per_iteration":
            self.recorder.add_event(
                "info",
                f"{self._used(feeder)}; its users wait for the other workers' shares",
                **{DATA_USED: name},
            )
            return
        self.recorder.add_event(
            "info",
            f'{self._used(feeder)}; the run ends (on_exhausted = "stop")',
            **{END_RUN: f"data {name} ran out"},
        )

    def empty_share(self, feeder: Feeder) -> None:
        """This worker has no row of a unique table (fewer rows than workers)."""
        spec = feeder.spec
        rows = f"{spec.rows} unique row{'s' * (spec.rows != 1)}"
        spent = feeder.stops and spec.pick == "per_iteration"  # its share, spent already
        self.recorder.add_event(
            "warning",
            f"data {spec.name}: {rows} for {self.count} workers, none for worker "
            f"{self.index}: its users of the classes that use them do no iterations",
            **({DATA_USED: spec.name} if spent else {}),
        )

    def again(self, feeder: Feeder) -> None:
        if feeder.spec.name in self._said_again:
            return
        self._said_again.add(feeder.spec.name)
        self.recorder.add_event(
            "info", f'{self._used(feeder)}; starting over (on_exhausted = "cycle")'
        )


def load_feeders(
    specs: Sequence[DataSpec], rng: random.Random, events: FeederEvents
) -> dict[str, Feeder]:
    """A feeder for each table the scenario's placeholders use, with this worker's rows.
    A file that can no longer be read raises ValueError naming it (the worker cannot
    start: the file changed since the scenario was checked)."""
    index, count = events.index, events.count
    feeders: dict[str, Feeder] = {}
    for spec in specs:
        if not spec.used:
            continue
        try:
            rows = read_rows(spec.path, spec.format, spec.used, index, count)
            if not rows and count > 1 and spec.mode != "unique":
                rows = read_rows(spec.path, spec.format, spec.used)
        except OSError as exc:
            raise ValueError(f"data {spec.name}: cannot read {spec.path}: {exc.strerror}") from None
        except DataFileError as exc:
            where = spec.path if exc.line is None else f"{spec.path}:{exc.line}"
            raise ValueError(f"data {spec.name}: {where}: {exc.message}") from None
        feeder = feeders[spec.name] = Feeder(spec, rows, rng, events)
        if feeder.empty:
            events.empty_share(feeder)
    return feeders
