"""Scenario files for tests, written from Python values.

The same few tables (a target, a user class and its tasks, a profile, thresholds) were
pasted as TOML into test after test; here they are built once:

    scenario(user(get("/api/fast", name="fast"), wait="constant(0.05s)"),
             profiles={"p": {"model": "open", "stages": [{"duration": "1s", "rate": 20}]}},
             thresholds={"p99": "< 5s", "endpoints": {"fast": {"status_5xx": "== 0"}}})

returns the TOML text. Keys are the scenario format's own (docs/contracts.md); a key
set to None is left out. Tests ABOUT the file format (its errors, the lines problems
point at) keep writing raw TOML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from loadtui.scenario import load_scenario_text
from loadtui.scenario.model import Scenario

Table = dict[str, Any]

# The target's URL as a variable, filled in by `load` (or a run's env): one text serves
# whatever port the test's server got.
TARGET = "${LOADTUI_TARGET}"
NOWHERE = "http://127.0.0.1:9"  # the discard port: for scenarios that are never run
FILE = "scenario.toml"

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def get(path: str, name: str | None = None, **fields: Any) -> Table:
    """An HTTP task (`[[users.tasks]]` or `[[users.on_start]]`); `fields` are its other
    keys: query, headers, json, checks, extract, weight, on_429, ..."""
    return {"name": name, "path": path, **fields}


def post(path: str, name: str | None = None, **fields: Any) -> Table:
    return {"name": name, "method": "POST", "path": path, **fields}


def call(ref: str, name: str | None = None, **fields: Any) -> Table:
    """A Python task, `module:function`; the module sits beside the scenario file."""
    return {"name": name, "call": ref, **fields}


def api_fast(name: str = "fast", **fields: Any) -> Table:
    """The demo target's quickest endpoint."""
    return get("/api/fast", name, **fields)


def api_delay(ms: int, name: str = "delay", **fields: Any) -> Table:
    """The demo target's endpoint that answers after `ms` milliseconds."""
    return get("/api/delay", name, query={"ms": str(ms)}, **fields)


def echo_stream(path: str = "/ws/echo", every: str = "50ms", **fields: Any) -> Table:
    """A `[users.websocket]` sending "ping" every `every` and expecting it echoed."""
    return {"path": path, "send": {"every": every, "text": "ping"}, "expect": "echo", **fields}


def user(
    *tasks: Table,
    name: str = "u",
    wait: str | None = None,
    on_start: tuple[Table, ...] = (),
    websocket: Table | None = None,
    **fields: Any,
) -> Table:
    """A `[[users]]` class; no `wait` means none (the format's default)."""
    return {
        "name": name,
        "wait": wait,
        **fields,
        "on_start": list(on_start),
        "tasks": list(tasks),
        "websocket": websocket,
    }


def scenario(
    *users: Table,
    target: str = TARGET,
    profiles: Mapping[str, Table] | None = None,
    thresholds: Table | None = None,
    name: str = "t",
    **target_fields: Any,
) -> str:
    """The TOML text of a scenario with these user classes and one target, "demo", at
    `target` (`target_fields`: http2, timeout, auth, headers, max_connections, ...)."""
    out = [f"name = {_inline(name)}"]
    out += _table("[targets.demo]", {"url": target, **target_fields})
    for u in users:
        out += _table("[[users]]", {k: v for k, v in u.items() if k not in _USER_PARTS})
        for part, header in _USER_PARTS.items():
            value = u.get(part)
            tables = value if isinstance(value, list) else [] if value is None else [value]
            for table in tables:
                out += _table(header, table)
    for profile, table in (profiles or {}).items():
        out += _table(f"[profiles.{_key(profile)}]", table)
    if thresholds:
        out += _table("[thresholds]", thresholds)
    return "\n".join(out) + "\n"


def load(text: str, url: str = NOWHERE, folder: Path | None = None) -> Scenario:
    """The scenario `text` aimed at `url`, as if read from `folder`/scenario.toml (where
    its Python task modules are, and the path a session records)."""
    path = "<string>" if folder is None else folder / FILE
    return load_scenario_text(text, path, env={"LOADTUI_TARGET": url})


def write(folder: Path, text: str, name: str = FILE) -> Path:
    """`text` saved in `folder`, for what reads files: `loadtui run`, `loadtui rerun`."""
    path = folder / name
    path.write_text(text)
    return path


_USER_PARTS = {
    "on_start": "[[users.on_start]]",
    "tasks": "[[users.tasks]]",
    "websocket": "[users.websocket]",
}


def _table(header: str, table: Table) -> list[str]:
    return [header] + [f"{_key(k)} = {_inline(v)}" for k, v in table.items() if v is not None]


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    # JSON's escapes are TOML's, but for DEL, which TOML wants escaped as well.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _inline(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, Mapping):
        pairs = [f"{_key(k)} = {_inline(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(pairs) + " }" if pairs else "{}"
    raise TypeError(f"no TOML for {value!r}")
