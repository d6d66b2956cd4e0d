"""Reading the rows of a data file: CSV with a header row, or JSON Lines.

The loader checks a file with `scan` (columns, rows, bad lines) and each worker keeps
its share of the rows with `read_rows`. Both stream the file a line at a time: checking
a 100 MB file holds one row in memory, and a worker holds only the columns the scenario
uses of the rows that are its own.

A JSON Lines file's columns are the keys of its first object; every later object must
have them (other keys are ignored). Values become text: numbers as written in JSON,
booleans as `true`/`false`, null as an empty string, arrays and objects as JSON.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

Format = Literal["csv", "jsonl"]
FORMATS: dict[str, Format] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_BYTES = 100 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_SHOWN = 5  # bad lines described in full; the others are counted


class DataFileError(Exception):
    """A problem that stops reading the file; `line` is 1-based, None for the whole file."""

    def __init__(self, line: int | None, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.hint = hint


@dataclass
class Scan:
    """What `scan` found: the columns, the good rows' count, and the bad lines."""

    columns: tuple[str, ...]
    rows: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)  # the first MAX_SHOWN
    bad_count: int = 0


def file_format(path: str | Path) -> Format | None:
    """The format a file's name says (.csv, .jsonl or .ndjson), or None."""
    return FORMATS.get(Path(path).suffix.lower())


def scan(path: str | Path, fmt: Format) -> Scan:
    """Check the whole file; DataFileError (or OSError) for what stops reading it."""
    with open(path, "rb") as fh:
        size = Path(path).stat().st_size
        if size > MAX_BYTES:
            raise DataFileError(
                None,
                f"is {_size(size)}: a data file may be at most {_size(MAX_BYTES)}",
                "Keep the rows and columns the test needs, or split it over [data] tables",
            )
        reader = _reader(fh, fmt)
        found = Scan(reader.columns)
        for line, row in reader.rows():
            if isinstance(row, str):
                found.bad_count += 1
                if len(found.bad) < MAX_SHOWN:
                    found.bad.append((line, row))
                continue
            found.rows += 1
            if found.rows > MAX_ROWS:
                raise DataFileError(
                    line,
                    f"more than {MAX_ROWS:,} rows",
                    "Keep the rows the test needs, or split them over [data] tables",
                )
        return found


def read_rows(
    path: str | Path, fmt: Format, used: Iterable[str], index: int = 0, count: int = 1
) -> list[tuple[str, ...]]:
    """The `used` columns of every `count`-th row from the `index`-th (0-based): one
    worker's share. A bad line raises DataFileError (the file changed since the load)."""
    with open(path, "rb") as fh:
        reader = _reader(fh, fmt)
        where = [reader.columns.index(c) for c in used]
        out: list[tuple[str, ...]] = []
        for k, (line, row) in enumerate(reader.rows()):
            if isinstance(row, str):
                raise DataFileError(line, row)
            if k % count == index:
                out.append(tuple(row[i] for i in where))
        return out


class _Rows(Protocol):
    """A file's columns, then its rows: (line, values) or (line, what is wrong)."""

    columns: tuple[str, ...]

    def rows(self) -> Iterator[tuple[int, tuple[str, ...] | str]]: ...


def _reader(fh: BinaryIO, fmt: Format) -> _Rows:
    return _CsvRows(fh) if fmt == "csv" else _JsonRows(fh)


def _decoded(fh: BinaryIO) -> Iterator[str]:
    """The file's lines as text (UTF-8; a leading byte-order mark dropped)."""
    for n, raw in enumerate(fh, 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataFileError(n, f"not UTF-8 text (byte {exc.start + 1} of the line)") from None
        yield text.removeprefix("\ufeff") if n == 1 else text


class _CsvRows:
    def __init__(self, fh: BinaryIO) -> None:
        self.reader = csv.reader(_decoded(fh), strict=True)
        self.line = 1  # the header row's
        header = self._header()
        names = tuple(name.strip() for name in header)
        for i, name in enumerate(names):
            if not name:
                raise DataFileError(
                    self.line, f"column {i + 1} of the header row has no name", _HEADER_HINT
                )
            if name in names[:i]:
                raise DataFileError(self.line, f'column "{name}" is twice in the header row')
        self.columns = names

    def _header(self) -> list[str]:
        while True:
            try:
                record = next(self.reader)
            except StopIteration:
                raise DataFileError(None, "is empty: it needs a header row", _HEADER_HINT) from None
            except csv.Error as exc:
                raise DataFileError(self.reader.line_num, f"the header row: {exc}") from None
            self.line = self.reader.line_num
            if record:
                return record

    def rows(self) -> Iterator[tuple[int, tuple[str, ...] | str]]:
        width = len(self.columns)
        while True:
            start = self.reader.line_num + 1  # a quoted field may span lines
            try:
                record = next(self.reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, f"not CSV: {exc}"
                continue
            if not record:
                continue  # a blank line
            if len(record) != width:
                n = len(record)
                yield start, f"{n} field{'s' * (n != 1)}, the header row has {width}"
            else:
                yield start, tuple(record)


class _JsonRows:
    def __init__(self, fh: BinaryIO) -> None:
        self.lines = enumerate(_decoded(fh), 1)
        self.first: tuple[int, dict[str, object]] | None = None
        for n, text in self.lines:
            if not text.strip():
                continue
            value = _object(text)
            if isinstance(value, str):
                raise DataFileError(n, value, "The first line's keys name the columns")
            if not value:
                raise DataFileError(n, "the first object has no keys to name columns")
            self.first = (n, value)
            break
        if self.first is None:
            raise DataFileError(None, "has no rows", "Write one JSON object per line")
        self.columns = tuple(self.first[1])

    def rows(self) -> Iterator[tuple[int, tuple[str, ...] | str]]:
        assert self.first is not None
        yield self.first[0], tuple(_text(v) for v in self.first[1].values())
        for n, text in self.lines:
            if not text.strip():
                continue
            value = _object(text)
            if isinstance(value, str):
                yield n, value
                continue
            missing = next((c for c in self.columns if c not in value), None)
            if missing is not None:
                yield n, f'no "{missing}" (line {self.first[0]} has it)'
            else:
                yield n, tuple(_text(value[c]) for c in self.columns)


_HEADER_HINT = "The first line names the columns, like: email,password"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def _object(text: str) -> dict[str, object] | str:
    """The JSON object on a line, or what is wrong with the line."""
    try:
        value = json.loads(text.strip())
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc.msg} (column {exc.colno})"
    if not isinstance(value, dict):
        return "not a JSON object"
    return value


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
