"""Find the source line of a field path in TOML text.

tomllib gives values but no positions, so this is a small, forgiving scanner that walks
the same structure (tables, arrays of tables by index, dotted keys, inline tables and
arrays) and remembers where each path starts. It never raises: on text it cannot read
it skips to the next line, and lookups fall back to the nearest enclosing path.
"""

from __future__ import annotations

import bisect
import contextlib
import re
import tomllib
from collections.abc import Sequence

from loadtui.scenario.errors import FieldPath, Segment

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = ",]}\n#"
_MAX_DEPTH = 64


class _Stop(Exception):
    """The scanner cannot make sense of the current statement."""


class Locator:
    """Lines of every field path in a TOML text, computed once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_count = text.count("\n") + 1
        self.lines: dict[FieldPath, int] = {}
        with contextlib.suppress(Exception):  # best effort: keep what was found so far
            _Scanner(text, self.lines).run()

    def line(self, path: Sequence[Segment]) -> int | None:
        """The line of `path`, else of its nearest enclosing path, else None."""
        key = tuple(path)
        while key:
            found = self.lines.get(key)
            if found is not None:
                return found
            key = key[:-1]
        return None


def locate_line(text: str, path: Sequence[Segment]) -> int | None:
    return Locator(text).line(path)


class _Scanner:
    def __init__(self, text: str, lines: dict[FieldPath, int]) -> None:
        self.s = text
        self.n = len(text)
        self.i = 0
        self.lines = lines
        self.newlines = [k for k, c in enumerate(text) if c == "\n"]
        self.table: FieldPath = ()
        self.counts: dict[FieldPath, int] = {}

    def line_of(self, pos: int) -> int:
        return bisect.bisect_right(self.newlines, pos - 1) + 1

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < self.n else ""

    def record(self, path: FieldPath, pos: int) -> None:
        self.lines.setdefault(path, self.line_of(pos))

    def run(self) -> None:
        while True:
            self.skip_blank(newlines=True)
            if self.i >= self.n:
                return
            start = self.i
            try:
                if self.peek() == "[":
                    self.header()
                else:
                    self.keyval(self.table)
            except _Stop:
                pass
            self.to_next_line(start)

    def to_next_line(self, start: int) -> None:
        self.skip_blank(newlines=False)
        if self.peek() not in ("", "\n"):
            nl = self.s.find("\n", max(self.i, start))
            self.i = self.n if nl < 0 else nl
        self.i = max(self.i, start + 1)

    def skip_blank(self, newlines: bool) -> None:
        while self.i < self.n:
            c = self.s[self.i]
            if c in " \t\r" or (newlines and c == "\n"):
                self.i += 1
            elif c == "#":
                nl = self.s.find("\n", self.i)
                self.i = self.n if nl < 0 else nl
            else:
                return

    def header(self) -> None:
        pos = self.i
        array = self.s.startswith("[[", self.i)
        self.i += 2 if array else 1
        keys = self.keys()
        self.skip_blank(newlines=False)
        close = "]]" if array else "]"
        if not self.s.startswith(close, self.i):
            raise _Stop
        self.i += len(close)
        concrete: list[Segment] = []
        for k, seg in enumerate(keys):
            concrete.append(seg)
            here = tuple(concrete)
            if array and k == len(keys) - 1:
                index = self.counts.get(here, 0)
                self.counts[here] = index + 1
                self.record(here, pos)
                concrete.append(index)
            elif here in self.counts:
                concrete.append(self.counts[here] - 1)
            self.record(tuple(concrete), pos)
        self.table = tuple(concrete)

    def keys(self) -> list[str]:
        out: list[str] = []
        while True:
            self.skip_blank(newlines=False)
            c = self.peek()
            if c in ('"', "'"):
                start = self.i
                self.string()
                out.append(_decode_key(self.s[start : self.i]))
            else:
                m = _BARE_KEY.match(self.s, self.i)
                if not m:
                    raise _Stop
                out.append(m.group())
                self.i = m.end()
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return out
            self.i += 1

    def keyval(self, base: FieldPath, depth: int = 0) -> None:
        pos = self.i
        keys = self.keys()
        if self.peek() != "=":
            raise _Stop
        self.i += 1
        path = base
        for key in keys:
            path = (*path, key)
            self.record(path, pos)
        self.value(path, depth)

    def value(self, path: FieldPath, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise _Stop
        self.skip_blank(newlines=False)
        c = self.peek()
        if c == "{":
            self.inline_table(path, depth)
        elif c == "[":
            self.array(path, depth)
        elif c in ('"', "'"):
            self.string()
        else:
            start = self.i
            while self.i < self.n and self.s[self.i] not in _SCALAR_END:
                self.i += 1
            if not self.s[start : self.i].strip():
                raise _Stop

    def inline_table(self, path: FieldPath, depth: int) -> None:
        self.i += 1
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "}":
                self.i += 1
                return
            self.keyval(path, depth + 1)
            self.skip_blank(newlines=True)
            c = self.peek()
            self.i += 1
            if c == "}":
                return
            if c != ",":
                raise _Stop

    def array(self, path: FieldPath, depth: int) -> None:
        self.i += 1
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "]":
                self.i += 1
                return
            if not self.peek():
                raise _Stop
            self.record((*path, index), self.i)
            self.value((*path, index), depth + 1)
            self.skip_blank(newlines=True)
            c = self.peek()
            self.i += 1
            if c == "]":
                return
            if c != ",":
                raise _Stop
            index += 1

    def string(self) -> None:
        q = self.peek()
        triple = self.s.startswith(q * 3, self.i)
        self.i += 3 if triple else 1
        while self.i < self.n:
            c = self.s[self.i]
            if c == "\\" and q == '"':
                self.i += 2
            elif triple and self.s.startswith(q * 3, self.i):
                self.i += 3
                for _ in range(2):  # up to two quotes may end the content
                    if self.peek() == q:
                        self.i += 1
                return
            elif not triple and c == q:
                self.i += 1
                return
            elif not triple and c == "\n":
                raise _Stop
            else:
                self.i += 1
        raise _Stop


def _decode_key(raw: str) -> str:
    """A quoted key as tomllib reads it (escapes decoded)."""
    try:
        value = tomllib.loads(f"k = {raw}")["k"]
    except (tomllib.TOMLDecodeError, KeyError):
        return raw[1:-1]
    return value if isinstance(value, str) else raw[1:-1]
