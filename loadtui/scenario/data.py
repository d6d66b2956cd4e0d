"""`[data.NAME]` tables: data feeders, each a CSV or JSON Lines file beside the scenario.

    [data.accounts]
    file = "accounts.csv"        # relative to the scenario's folder
    mode = "unique"              # "cycle" (default) | "random" | "unique"
    pick = "per_user"            # (default) | "per_iteration"
    on_exhausted = "stop"        # unique only: "stop" (default) ends the run | "cycle"

Every file is read through once here, so `validate` finds a missing file, a missing
header, no rows, a file past the size bound and bad lines (each with the data file's
own line) before any load is sent; the rows themselves stay on disk until a worker
reads its share (engine/feeders.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loadtui.scenario.datafile import DataFileError, Format, Scan, file_format, scan
from loadtui.scenario.errors import Collector, FieldPath
from loadtui.scenario.fields import Section, type_name
from loadtui.scenario.model import DataSpec
from loadtui.scenario.tasks import IDENT

DATA_KEYS = ("file", "mode", "pick", "on_exhausted")
MODES = ("cycle", "random", "unique")
PICKS = ("per_user", "per_iteration")
ON_EXHAUSTED = ("stop", "cycle")
_ADD = 'Add [data.NAME] with file = "rows.csv"'


def read_data(out: Collector, data: Any, path: FieldPath, folder: str) -> list[DataSpec]:
    """The feeders of a `[data]` table. A feeder whose file cannot be used is reported
    and kept with no columns, so its placeholders are not also called undeclared."""
    if not isinstance(data, dict):
        out.add(path, f"expected a table of data feeders, got {type_name(data)}", _ADD)
        return []
    specs: list[DataSpec] = []
    for name, body in data.items():
        where = (*path, name)
        if not IDENT.fullmatch(name):
            out.add(
                where,
                f"{name!r} cannot be named in a placeholder",
                "Use letters, digits and _: the name is written {NAME.column}",
            )
        if not isinstance(body, dict):
            out.add(where, f"expected a data table, got {type_name(body)}", 'Add file = "..."')
            continue
        specs.append(_read_one(Section(out, body, where, DATA_KEYS), name, folder))
    return specs


def _read_one(sec: Section, name: str, folder: str) -> DataSpec:
    mode = sec.choice("mode", MODES, "cycle")
    pick = sec.choice("pick", PICKS, "per_user")
    on_exhausted = sec.choice("on_exhausted", ON_EXHAUSTED, "stop")
    if sec.has("on_exhausted") and sec.data.get("mode") != "unique":
        sec.error(
            "on_exhausted",
            'applies to mode = "unique" only (other modes never run out)',
            'Remove it, or set mode = "unique"',
        )
    spec = DataSpec(name, "", "csv", (), 0, mode, pick, on_exhausted)
    hint = 'Add file = "rows.csv" (a CSV with a header row) or "rows.jsonl" (JSON Lines)'
    if not sec.require("file", "file", hint):
        return spec
    written = sec.string("file", "", nonempty=True)
    if not written:
        return spec
    fmt = file_format(written)
    if fmt is None:
        sec.error(
            "file",
            f"{written}: cannot tell its format from the name",
            "Name it .csv (with a header row), or .jsonl / .ndjson (one JSON object a line)",
        )
        return spec
    full = (Path(folder) / Path(written).expanduser()).resolve()
    found = _check_file(written, full, fmt, folder)
    if isinstance(found, tuple):
        sec.error("file", *found)
        return spec
    return DataSpec(name, str(full), fmt, found.columns, found.rows, mode, pick, on_exhausted)


def _check_file(
    written: str, full: Path, fmt: Format, folder: str
) -> Scan | tuple[str, str | None]:
    """The file's Scan, or (message, hint) saying why it cannot be used."""
    if not full.exists():
        hint = f"A relative path starts at the scenario's folder ({folder})"
        return f"{written}: no such file", hint
    if full.is_dir():
        return f"{written} is a folder, not a file", None
    try:
        found = scan(full, fmt)
    except OSError as exc:
        return f"{written}: cannot read it: {exc.strerror}", None
    except DataFileError as exc:
        where = written if exc.line is None else f"{written}:{exc.line}"
        return f"{where}: {exc.message}", exc.hint
    if found.bad_count:
        line, what = found.bad[0]
        more = found.bad_count - 1
        tail = ""
        if more:
            lines = ", ".join(str(n) for n, _ in found.bad[1:])
            etc = ", ..." if more > len(found.bad) - 1 else ""
            tail = f" ({more} more bad line{'s' * (more > 1)}: {lines}{etc})"
        return f"{written}:{line}: {what}{tail}", _fix_hint(fmt)
    if not found.rows:
        return f"{written} has no rows", "Add a row under the header row"
    return found


def _fix_hint(fmt: str) -> str:
    if fmt == "csv":
        return "Every row has as many fields as the header row; quote a field holding a comma"
    return "Write one JSON object a line, each with the first line's keys"
