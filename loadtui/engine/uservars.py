"""A user's render mapping: its own variables, and on a miss the data fields and built-ins.

Templates render with `mapping[placeholder_text]` (scenario/template.py). `UserVars` is
a dict of the user's variables (`user_id`, `variables`, extracted values), so those
lookups stay dict lookups; only a miss comes here (`__missing__`) to resolve
`{table.column}` from the user's row, `{uuid}`, `{now_ms}`, `{iteration}` and the
`random_*` calls. Every path that renders (HTTP/1.1, HTTP/2, WebSocket messages and
headers) therefore sees the same values with no change of its own, and Python tasks get
the same mapping as their `vars`.

A user's row of a `per_user` table is drawn when the user starts (`take_rows`); of a
`per_iteration` table, on the first use in each iteration (`user.iteration`, counted by
the user loop), so every placeholder of one iteration reads the same row.

An ordered flow forgets, as each pass begins, every variable set since its first pass
began (`begin_pass`): what a declarative step extracted and what a Python step put in
`vars` alike, which no list of extract rules could name in advance. What the user had
before (user_id, the class's variables, what on_start set) stays. A lookup nothing
answers raises `MissingVariable`, a KeyError, which a Python step's failure names as
`missing variable: NAME`, as a declarative step's is.
"""

from __future__ import annotations

import random
import string
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from loadtui.engine.feeders import Feeder, Row
from loadtui.scenario.template import int_args, parse

ALPHABET = string.ascii_letters + string.digits


class Iterating(Protocol):
    iteration: int


@dataclass
class Values:
    """What one worker's users draw from beyond their own variables."""

    feeders: dict[str, Feeder] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)


class MissingVariable(KeyError):
    """A variable, data field or built-in the user's mapping cannot give (its name in
    `args[0]`)."""


class UserVars(dict[str, Any]):
    """The variables of one user, resolving data fields and built-ins on a miss."""

    __slots__ = ("_kept", "_rows", "source", "user")

    def __init__(self, variables: Mapping[str, Any], values: Values) -> None:
        super().__init__(variables)
        self.source = values
        self.user: Iterating | None = None  # bound by UserState (engine/calls.py)
        self._rows: dict[str, tuple[int, Row | None]] = {}  # table -> (iteration, row)
        self._kept: frozenset[str] | None = None  # the names a flow's passes keep

    def begin_pass(self) -> None:
        """A pass of an ordered flow begins: forget each variable set since the first
        pass began. Names the user had then keep their latest value (a step may refresh
        a token that on_start got)."""
        if self._kept is None:
            self._kept = frozenset(self)
            return
        for name in [k for k in self if k not in self._kept]:
            del self[name]

    def take_rows(self, tables: Iterable[str]) -> None:
        """Draw this user's row of each `per_user` table among `tables`, as it starts."""
        for name in tables:
            feeder = self.source.feeders.get(name)
            if feeder is not None and feeder.spec.pick == "per_user" and name not in self._rows:
                self._rows[name] = (0, feeder.draw())

    def __missing__(self, key: str) -> Any:
        p = parse(key)
        if p.kind == "field":
            feeder = self.source.feeders.get(p.name)
            i = feeder.column.get(p.column) if feeder is not None else None
            row = self._row(feeder) if feeder is not None and i is not None else None
            if row is None or i is None:
                raise MissingVariable(key)  # "missing variable: table.column" (ran out, say)
            return row[i]
        rng = self.source.rng
        if p.kind == "call":
            try:
                args = int_args(p)
                if p.name == "random_int" and len(args) == 2:
                    return rng.randint(args[0], args[1])
                if p.name == "random_string" and len(args) == 1:
                    return "".join(rng.choices(ALPHABET, k=args[0]))
                if p.name == "random_bytes" and len(args) == 1:
                    return rng.randbytes(args[0])
            except ValueError:
                pass  # only a Python task's own lookup can get here unchecked
            raise MissingVariable(key)
        if key == "iteration":
            return self.user.iteration if self.user is not None else 0
        if key == "uuid":
            return str(uuid.uuid4())  # never from a seeded stream: ids must not repeat
        if key == "now_ms":
            return time.time_ns() // 1_000_000
        raise MissingVariable(key)

    def _row(self, feeder: Feeder) -> Row | None:
        name = feeder.spec.name
        held = self._rows.get(name)
        if feeder.spec.pick == "per_user":
            if held is None:  # a table only a Python task reads: drawn on first use
                held = self._rows[name] = (0, feeder.draw())
            return held[1]
        now = self.user.iteration if self.user is not None else 0
        if held is None or held[0] != now:
            held = self._rows[name] = (now, feeder.draw())
        return held[1]
