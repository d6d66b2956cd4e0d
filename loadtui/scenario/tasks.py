"""Tasks of a user class: declarative HTTP requests, checks and extractions.

A request without `{var}` placeholders is encoded once here (JSON / msgpack / raw) so the
engine can reuse its bytes; with placeholders it keeps the parsed body for re-encoding.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import msgpack

from loadtui.scenario.bounds import MAX_TASKS, MAX_USER_CLASSES, count_text
from loadtui.scenario.checks import read_checks
from loadtui.scenario.errors import Collector, FieldPath, RawProblem
from loadtui.scenario.fields import Section, sections, type_name
from loadtui.scenario.model import BodyFormat, Extract, HttpTask, PythonTask, Task
from loadtui.scenario.pytask import check_call
from loadtui.scenario.syntax import HEADER_NAME as HEADER_NAME  # read here by websocket.py
from loadtui.scenario.syntax import POINTER as POINTER
from loadtui.scenario.tags import read_tags
from loadtui.scenario.template import literal, placeholders, render, value_placeholders

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
HTTP_KEYS = (
    "name", "weight", "method", "path", "query", "headers", "json", "msgpack", "body",
    "content_type", "checks", "extract", "on_429", "tags",
)  # fmt: skip
PYTHON_KEYS = ("name", "weight", "call", "tags")
BODY_KEYS: tuple[Literal["json", "msgpack", "body"], ...] = ("json", "msgpack", "body")
CONTENT_TYPES = {"json": "application/json", "msgpack": "application/x-msgpack"}
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def count_problems(users: Any) -> list[RawProblem]:
    """Too many user classes or tasks, counted in the parsed TOML before anything is built:
    a file with 200,000 tasks is refused in the time it takes to read it, not after
    building (and binding) each of them."""
    if not isinstance(users, list):
        return []
    if len(users) > MAX_USER_CLASSES:
        return [
            RawProblem(
                ("users",),
                f"{len(users):,} user classes: at most {count_text(MAX_USER_CLASSES)} are allowed",
                "Give a class a weight instead of repeating it",
            )
        ]
    found: list[RawProblem] = []
    total = 0
    for i, cls in enumerate(users):
        for key in ("on_start", "tasks", "on_stop"):
            items = cls.get(key) if isinstance(cls, dict) else None
            n = len(items) if isinstance(items, list) else 0
            total += n
            if n > MAX_TASKS:
                found.append(_too_many(("users", i, key), n, "in a user class"))
    if total > MAX_TASKS and not found:
        found.append(_too_many(("users",), total, "in all"))
    return found


def _too_many(path: FieldPath, n: int, where: str) -> RawProblem:
    return RawProblem(
        path,
        f"{n:,} tasks: at most {count_text(MAX_TASKS)} are allowed {where}",
        "Write a repeated request once, with {var} placeholders and a weight",
    )


def read_tasks(out: Collector, items: Any, path: FieldPath, folder: str) -> list[Task]:
    tasks: list[Task] = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            out.add((*path, i), f"expected a task table, got {type_name(item)}")
        elif "call" in item:
            tasks.append(_python_task(out, item, (*path, i), folder))
        else:
            tasks.append(_http_task(out, item, (*path, i)))
    if not isinstance(items, list):
        out.add(path, f"expected an array of task tables, got {type_name(items)}")
    return tasks


def _python_task(out: Collector, data: dict[str, Any], path: FieldPath, folder: str) -> Task:
    for key in data:
        if key in HTTP_KEYS and key not in PYTHON_KEYS:
            out.add((*path, key), f'"{key}" does not apply to a Python task (call = ...)')
    sec = Section(out, data, path, PYTHON_KEYS)
    call = sec.string("call", "")
    module, function = check_call(out, sec.at("call"), call, folder) if call else ("", "")
    return PythonTask(
        name=sec.string("name", call, nonempty=True),
        module=module,
        function=function,
        weight=sec.number("weight", 1.0, above=0),
        search_path=folder,
        tags=read_tags(sec),
    )


def _http_task(out: Collector, data: dict[str, Any], path: FieldPath) -> HttpTask:
    sec = Section(out, data, path, HTTP_KEYS)
    method = _method(sec)
    target = "/"
    if sec.require("path", "path", 'Add path = "/..." (or call = "module:function")'):
        target = sec.string("path", "/")
        if not target.startswith("/"):
            sec.error("path", f"{target!r} must start with /", "Put scheme and host in [targets]")
        elif any(c.isspace() for c in literal(target)):  # {random_int(1, 9)} may have
            sec.error("path", "must not contain whitespace", "Percent-encode it (%20)")
    query = read_pairs(sec, "query", allow_lists=True)
    headers = read_headers(sec)
    used = placeholders(target) + [n for pair in query + headers for n in placeholders(pair[1])]
    used += [n for k, _ in query + headers for n in placeholders(k)]
    fmt, value, body_templated = _body(sec) or (None, None, False)
    templated = bool(used) or body_templated
    if not templated:  # literal from here on: only "{{" escapes to undo
        target = render(target, {})
        query = tuple((render(k, {}), render(v, {})) for k, v in query)
        headers = tuple((render(k, {}), render(v, {})) for k, v in headers)
    content_type = sec.string("content_type", CONTENT_TYPES.get(fmt or ""), nonempty=True)
    if sec.has("content_type") and fmt is None:
        sec.error("content_type", "there is no body", "Add json = ..., msgpack = ... or body = ...")
    return HttpTask(
        name=sec.string("name", f"{method} {sec.data.get('path', '/')}", nonempty=True),
        method=method,
        path=target,
        weight=sec.number("weight", 1.0, above=0),
        query=query,
        headers=headers,
        body=None if fmt is None or body_templated else _encode(sec, fmt, value),
        content_type=content_type,
        body_template=value if body_templated else None,
        body_format=fmt,
        templated=templated,
        checks=read_checks(sec),
        extract=_extracts(sec),
        on_429=_on_429(sec),
        tags=read_tags(sec),
    )


def _on_429(sec: Section) -> Any:
    if sec.data.get("on_429") == "honour":
        return "honor"
    return sec.choice("on_429", ("count", "honor"), "count")


def _method(sec: Section) -> str:
    method: str = sec.string("method", "GET")
    if method.upper() not in METHODS:
        listed = ", ".join(METHODS)
        sec.error("method", f"{method!r} is not an HTTP method", f"Use one of {listed}")
        return "GET"
    return method.upper()


def read_pairs(sec: Section, key: str, allow_lists: bool = False) -> tuple[tuple[str, str], ...]:
    table = sec.table(key)
    pairs: list[tuple[str, str]] = []
    for name, value in (table or {}).items():
        values = value if allow_lists and isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, bool):
                pairs.append((name, "true" if v else "false"))
            elif isinstance(v, str | int | float):
                pairs.append((name, str(v)))
            else:
                expected = "a string, number or array of them" if allow_lists else "a string"
                sec.out.add((*sec.path, key, name), f"expected {expected}, got {type_name(v)}")
    return tuple(pairs)


def read_headers(sec: Section) -> tuple[tuple[str, str], ...]:
    pairs = read_pairs(sec, "headers")
    for name, value in pairs:
        if not HEADER_NAME.fullmatch(name):
            sec.out.add((*sec.path, "headers", name), "is not a valid header name")
        elif "\r" in value or "\n" in value:
            sec.out.add((*sec.path, "headers", name), "a header value cannot hold a line break")
    return pairs


def _body(sec: Section) -> tuple[BodyFormat, Any, bool] | None:
    """(format, value, has placeholders) of the one body form given, if any."""
    given = [k for k in BODY_KEYS if sec.has(k)]
    if len(given) > 1:
        for extra in given[1:]:
            sec.error(extra, f"a task has one body; {given[0]} is already set")
        return None
    if not given:
        return None
    fmt = given[0]
    if fmt == "body":
        raw = sec.string("body")
        return None if raw is None else ("raw", raw, bool(placeholders(raw)))
    value = sec.data[fmt]
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        sec.error(fmt, "holds a value JSON cannot encode (dates, inf or nan)")
        return None
    return (fmt, value, bool(value_placeholders(value)))


def _encode(sec: Section, fmt: str, value: Any) -> bytes | None:
    if fmt == "raw":
        return render(value, {}).encode("utf-8", "surrogatepass")
    literal = _unescape(value)
    if fmt == "json":
        return json.dumps(literal, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        )
    try:
        return msgpack.packb(literal, use_bin_type=True)
    except (OverflowError, ValueError, TypeError) as exc:
        sec.error("msgpack", f"cannot encode as msgpack: {exc}")
        return None


def _unescape(value: Any) -> Any:
    if isinstance(value, str):
        return render(value, {})
    if isinstance(value, dict):
        return {render(k, {}): _unescape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unescape(v) for v in value]
    return value


def _extracts(task: Section) -> tuple[Extract, ...]:
    if not task.has("extract"):
        return ()
    found: list[Extract] = []
    for _, sec in sections(
        task.out, task.data["extract"], task.at("extract"), ("var", "json", "header"), "extract"
    ):
        var = sec.string("var", "") if sec.require("var", "var (the variable to set)") else ""
        if var and not IDENT.fullmatch(var):
            sec.error("var", f"{var!r} is not a variable name", "Use letters, digits and _")
        pointer, header = sec.string("json"), sec.string("header", nonempty=True)
        if pointer is not None and not POINTER.fullmatch(pointer):
            sec.error(
                "json", f"{pointer!r} is not a JSON pointer", 'Like "/token" or "/items/0/id"'
            )
        if not sec.has("json") and not sec.has("header"):
            sec.out.add(sec.path, 'extract needs json = "/pointer" or header = "Name"')
        elif sec.has("json") and sec.has("header"):
            sec.error("header", "extract reads json or header, not both")
        found.append(Extract(var=var, json=pointer, header=header))
    return tuple(found)
