"""Problems found in a scenario file, and the collector that gathers them.

Validation never stops at the first problem: an operator fixing a file wants the whole
list at once, each with its place (`file:line: field.path: message`).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Segment = str | int
FieldPath = tuple[Segment, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario; `line` is 1-based, None when no place fits."""

    file: str
    line: int | None
    path: str
    message: str
    hint: str | None = None

    def format(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f"{self.path}: {self.message}" if self.path else self.message
        if self.hint:
            what = f"{what.rstrip('.')}. {self.hint}"
        return f"{where}: {what}"


class ScenarioError(Exception):
    """Every problem of a scenario file, raised together once validation is done."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(self.format())

    def format(self) -> str:
        return "\n".join(p.format() for p in self.problems)

    def __str__(self) -> str:
        return self.format()


def format_path(path: Iterable[Segment]) -> str:
    """("users", 0, "tasks", 2, "method") -> 'users[0].tasks[2].method'."""
    out = ""
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
            continue
        text = seg if _BARE.fullmatch(seg) else json.dumps(seg, ensure_ascii=False)
        out += f".{text}" if out else text
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest known word, for typos in keys and enum values."""
    pool = list(choices)
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered:
        return f'Did you mean "{lowered[word.lower()]}"?'
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return f'Did you mean "{close[0]}"?' if close else None


@dataclass(frozen=True)
class RawProblem:
    path: FieldPath
    message: str
    hint: str | None = None


class Collector:
    """Gathers problems while validating; one problem per field path is enough.

    A later problem at a path that already has one (or inside it) is dropped, so a
    missing ${ENV} in a URL does not also report the URL as malformed.
    """

    def __init__(self) -> None:
        self.items: list[RawProblem] = []

    def add(self, path: FieldPath, message: str, hint: str | None = None) -> None:
        for seen in self.items:
            if seen.path and path[: len(seen.path)] == seen.path:
                return
        self.items.append(RawProblem(tuple(path), message, hint))

    def __bool__(self) -> bool:
        return bool(self.items)

    def count(self) -> int:
        return len(self.items)
