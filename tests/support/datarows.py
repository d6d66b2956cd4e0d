"""Numbered data rows for feeder tests: a `rows.csv` of r0, r1, ... beside the scenario,
a `[data.t]` table reading it, and a task that carries its user and its row in the
query, so the recording target (support/recording.py) shows which user sent which row."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from loadtui.metrics.snapshot import Snapshot
from support.recording import Seen
from support.scenarios import get


def rows_file(folder: Path, n: int, name: str = "rows.csv") -> None:
    (folder / name).write_text("id,word\n" + "".join(f"r{i},w{i}\n" for i in range(n)))


def with_data(text: str, **fields: str) -> str:
    """`text` with a `[data.t]` table reading rows.csv."""
    return (
        text
        + '[data.t]\nfile = "rows.csv"\n'
        + "".join(f'{k} = "{v}"\n' for k, v in fields.items())
    )


def row_task(**fields: object) -> dict[str, object]:
    """A request carrying its user and its row of `t` in the query."""
    return get("/row", "row", query={"uid": "{user_id}", "row": "{t.id}"}, **fields)


def query(seen: Seen) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(seen.target).query).items()}


def events(snaps: list[Snapshot]) -> list[str]:
    return [e.message for s in snaps for e in s.events]
