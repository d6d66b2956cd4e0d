"""The placeholders a scenario uses, checked before any load is sent.

`{table.column}` must name a declared `[data.table]` and one of its file's columns; a
built-in call must be known and take its arguments; `{random_bytes(n)}` makes bytes, so
it must be a whole value of a msgpack body or message (where it becomes a `bin`). Plain
`{name}` variables are left to run time, as before: extracted variables only exist then.

The walk reads the parsed TOML (to place each problem on its line) and only the fields
the engine renders: a task's path, query, headers and body, a stream's headers and
messages. `data_tables` answers the engine's question of the built model: which feeders
a user class's templates read. `renders` says which values are read for placeholders
(those, and a stream's path, where `{{` is also a literal brace), so a value from the
environment can be escaped there and stay literal (scenario/envsubst.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from loadtui.scenario.errors import Collector, FieldPath, did_you_mean
from loadtui.scenario.model import DataSpec, HttpTask, UserClass
from loadtui.scenario.template import (
    BYTES_FUNCTION,
    call_problem,
    parse,
    placeholders,
    value_placeholders,
    whole,
)

TASK_LISTS = ("on_start", "tasks", "on_stop")
TASK_FIELDS = ("path", "query", "headers", "json", "msgpack", "body")
MESSAGE_KINDS = ("text", "json", "msgpack")
_BYTES_HINT = 'Like msgpack = { blob = "{random_bytes(16)}" }'


def check_placeholders(
    out: Collector, users: Any, data: Sequence[DataSpec]
) -> dict[str, tuple[str, ...]]:
    """Report the problems of every placeholder under `users` (the parsed TOML); return
    the columns each data table has used, in file order."""
    walk = _Walk(out, data)
    for i, cls in enumerate(users if isinstance(users, list) else []):
        if isinstance(cls, dict):
            walk.user_class(cls, ("users", i))
    return {
        spec.name: tuple(c for c in spec.columns if c in walk.used.get(spec.name, ()))
        for spec in data
    }


class _Walk:
    def __init__(self, out: Collector, data: Sequence[DataSpec]) -> None:
        self.out = out
        self.data = {spec.name: spec for spec in data}
        self.used: dict[str, set[str]] = {}

    def user_class(self, cls: dict[str, Any], path: FieldPath) -> None:
        for key in TASK_LISTS:
            tasks = cls.get(key)
            for j, task in enumerate(tasks if isinstance(tasks, list) else []):
                if not isinstance(task, dict) or "call" in task:
                    continue
                for name in TASK_FIELDS:
                    if name in task:
                        self.value(task[name], (*path, key, j, name), msgpack=name == "msgpack")
        ws = cls.get("websocket")
        if not isinstance(ws, dict):
            return
        where = (*path, "websocket")
        if "headers" in ws:
            self.value(ws["headers"], (*where, "headers"), msgpack=False)
        messages = ws.get("on_connect")
        for k, msg in enumerate(messages if isinstance(messages, list) else []):
            self.message(msg, (*where, "on_connect", k))
        self.message(ws.get("send"), (*where, "send"))

    def message(self, msg: Any, path: FieldPath) -> None:
        if isinstance(msg, dict):
            for kind in MESSAGE_KINDS:
                if kind in msg:
                    self.value(msg[kind], (*path, kind), msgpack=kind == "msgpack")

    def value(self, value: Any, path: FieldPath, *, msgpack: bool, key: bool = False) -> None:
        if isinstance(value, str):
            single = None if key else whole(value)
            for text in placeholders(value):
                self.one(text, path, bytes_ok=msgpack and text == single)
        elif isinstance(value, dict):
            for k, v in value.items():
                self.value(k, (*path, k), msgpack=msgpack, key=True)
                self.value(v, (*path, k), msgpack=msgpack)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.value(item, (*path, i), msgpack=msgpack)

    def one(self, text: str, path: FieldPath, *, bytes_ok: bool) -> None:
        p = parse(text)
        if p.kind == "call":
            problem = call_problem(p)
            if problem is not None:
                self.out.add(path, *problem)
            elif p.name == BYTES_FUNCTION and not bytes_ok:
                self.out.add(
                    path,
                    f"{{{text}}} makes bytes: only a whole value of a msgpack body or "
                    "message can hold them",
                    _BYTES_HINT,
                )
        elif p.kind == "field":
            self.field(p.name, p.column, text, path)

    def field(self, table: str, column: str, text: str, path: FieldPath) -> None:
        spec = self.data.get(table)
        if spec is None:
            hint = did_you_mean(table, self.data) or f'Add [data.{table}] with file = "..."'
            self.out.add(path, f"{{{text}}}: there is no [data.{table}]", hint)
        elif not spec.columns:
            return  # its file has a problem of its own
        elif column not in spec.columns:
            listed = ", ".join(spec.columns)
            hint = did_you_mean(column, spec.columns) or f"Its columns: {listed}"
            file = Path(spec.path).name
            self.out.add(path, f'{{{text}}}: {file} has no column "{column}"', hint)
        else:
            self.used.setdefault(table, set()).add(column)


def renders(path: FieldPath) -> bool:
    """Whether the value at `path` (in the parsed TOML) is read for `{...}` placeholders
    and `{{`: a task's path, query, headers and body, and a stream's path, headers and
    messages. Target headers, checks, names and the rest are sent or compared as written."""
    if len(path) < 4 or path[0] != "users" or not isinstance(path[1], int):
        return False
    if path[2] in TASK_LISTS:
        return len(path) > 4 and isinstance(path[3], int) and path[4] in TASK_FIELDS
    if path[2] != "websocket":
        return False
    where = path[3:]
    if where[0] in ("path", "headers"):
        return True
    if where[0] == "send":
        return len(where) > 1 and where[1] in MESSAGE_KINDS
    if where[0] == "on_connect":
        return len(where) > 2 and isinstance(where[1], int) and where[2] in MESSAGE_KINDS
    return False


def data_tables(cls: UserClass) -> set[str]:
    """The data tables a user class's templates read (its tasks and its stream)."""
    texts: list[str] = []
    for task in (*cls.on_start, *cls.tasks, *cls.on_stop):
        if isinstance(task, HttpTask) and task.templated:
            texts += placeholders(task.path) + value_placeholders(task.body_template)
            texts += _pair_texts((*task.query, *task.headers))
    ws = cls.websocket
    if ws is not None:
        texts += _pair_texts(ws.headers)
        for msg in (*ws.on_connect, *([ws.send] if ws.send is not None else [])):
            if msg.templated:
                texts += value_placeholders(msg.value)
    return {p.name for p in map(parse, texts) if p.kind == "field"}


def _pair_texts(pairs: Iterable[tuple[str, str]]) -> list[str]:
    return [text for k, v in pairs for text in (*placeholders(k), *placeholders(v))]
