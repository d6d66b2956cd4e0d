"""Targets and user classes of a scenario."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from loadtui.scenario.errors import Collector, FieldPath
from loadtui.scenario.fields import Section, sections, type_name
from loadtui.scenario.flows import read_on_stop, read_order
from loadtui.scenario.model import Target, Task, Timeouts, UserClass, Wait
from loadtui.scenario.tags import read_tags
from loadtui.scenario.tasks import IDENT, read_headers, read_pairs, read_tasks
from loadtui.scenario.units import parse_size, parse_wait
from loadtui.scenario.userinfo import PERCENT_HINT, redact_url
from loadtui.scenario.websocket import read_websocket

TARGET_KEYS = (
    "url",
    "headers",
    "timeout",
    "verify_tls",
    "http2",
    "max_connections",
    "max_header_size",
    "max_body_size",
    "auth",
)
MAX_HEADER_SIZE = 64 * 1024 * 1024  # what a target may be allowed at most
MAX_BODY_SIZE = 1024 * 1024 * 1024
USER_KEYS = (
    "name", "weight", "wait", "variables", "tasks", "on_start", "websocket", "tags", "order",
    "on_stop",
)  # fmt: skip
SCHEMES = ("http", "https", "ws", "wss")


def read_targets(out: Collector, data: Any, path: FieldPath) -> list[Target]:
    if not isinstance(data, dict):
        out.add(path, f"expected a table of targets, got {type_name(data)}")
        return []
    targets: list[Target] = []
    for name, body in data.items():
        where = (*path, name)
        if not isinstance(body, dict):
            out.add(where, f"expected a target table, got {type_name(body)}", "Add url = ...")
            continue
        sec = Section(out, body, where, TARGET_KEYS)
        url = ""
        if sec.require("url", "url", 'Add url = "http://host:port"'):
            url = normalise_url(sec, sec.string("url", ""))
        targets.append(
            Target(
                name=name,
                url=url,
                headers=read_headers(sec),
                timeouts=_timeouts(sec),
                verify_tls=sec.boolean("verify_tls", True),
                http2=sec.boolean("http2", False),
                max_connections=sec.number("max_connections", 10_000, minimum=1, integer=True),
                max_header_size=sec.parsed(
                    "max_header_size", 64 * 1024, _size(1024, MAX_HEADER_SIZE)
                ),
                max_body_size=sec.parsed(
                    "max_body_size", 10 * 1024 * 1024, _size(0, MAX_BODY_SIZE)
                ),
                auth=sec.choice("auth", ("none", "basic"), "none"),
            )
        )
    return targets


def _size(low: int, high: int) -> Callable[[object], int]:
    """A size parser bounded to [low, high] bytes, with a message naming both."""

    def parse(value: object) -> int:
        size = parse_size(value)
        if not low <= size <= high:
            raise ValueError(f"must be between {low} and {high} bytes, got {size}")
        return size

    return parse


def normalise_url(sec: Section, url: str) -> str:
    """scheme://host[:port][/base] with no trailing slash; problems reported on `url`,
    which they show with its password hidden (urllib's messages may quote it)."""
    shown = redact_url(url)
    hint = PERCENT_HINT if "@" in url else None
    if any(c.isspace() for c in url.strip()):
        sec.error("url", f"{shown!r} contains whitespace")
        return url.strip()
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        sec.error("url", f"{shown!r} is not a URL: its host or port is malformed", hint)
        return url
    if parts.scheme not in SCHEMES:
        sec.error("url", f"{shown!r}: the scheme must be http, https, ws or wss")
    elif not parts.hostname:
        sec.error("url", f"{shown!r} has no host", 'Like "http://127.0.0.1:8080"')
    elif parts.query or parts.fragment:
        sec.error("url", f"{shown!r}: a target URL takes no query or fragment", hint)
    elif port == 0:
        sec.error("url", f"{shown!r}: port 0 is not a port")
    return url.strip().rstrip("/")


def _timeouts(sec: Section) -> Timeouts:
    raw = sec.data.get("timeout")
    if raw is None:
        return Timeouts()
    if isinstance(raw, dict):
        sub = Section(sec.out, raw, sec.at("timeout"), ("connect", "read", "total"))
        base = Timeouts()
        return Timeouts(
            connect=sub.duration("connect", base.connect, positive=True),
            read=sub.duration("read", base.read, positive=True),
            total=sub.duration("total", base.total, positive=True),
        )
    total = sec.duration("timeout", None, positive=True)
    if total is None:
        return Timeouts()
    base = Timeouts()
    return Timeouts(connect=min(base.connect, total), read=min(base.read, total), total=total)


def read_users(out: Collector, data: Any, path: FieldPath, folder: str) -> list[UserClass]:
    users: list[UserClass] = []
    seen: dict[str, int] = {}
    streams: dict[str, int] = {}
    for i, sec in sections(out, data, path, USER_KEYS, "user"):
        name = sec.string("name", f"user{i + 1}", nonempty=True)
        if name in seen:
            sec.error("name", f"duplicate user class name {name!r} (also users[{seen[name]}])")
        seen.setdefault(name, i)
        tasks = (
            read_tasks(out, sec.data["tasks"], sec.at("tasks"), folder) if sec.has("tasks") else []
        )
        on_start = (
            read_tasks(out, sec.data["on_start"], sec.at("on_start"), folder)
            if sec.has("on_start")
            else []
        )
        on_stop = read_on_stop(sec, folder)
        table = sec.table("websocket")
        websocket = None
        if table is not None:
            websocket = read_websocket(out, table, sec.at("websocket"), name)
            _duplicate_stream(sec, websocket.name, streams, i)
        if not sec.has("tasks") and not sec.has("websocket"):
            # Placed on the absent key, not on the class: a problem on the class would
            # hide the class's other problems (the collector keeps one per subtree).
            out.add(
                sec.at("tasks"),
                f"user class {name!r} has no tasks",
                "Add [[users.tasks]] or [users.websocket]",
            )
        elif sec.has("tasks") and not tasks and not sec.has("websocket"):
            sec.error("tasks", "is empty", "Add at least one task")
        _duplicate_tasks(sec, tasks, on_start, on_stop)
        _untagged(sec, "on_start", on_start)
        _untagged(sec, "on_stop", on_stop)
        users.append(
            UserClass(
                name=name,
                weight=sec.number("weight", 1.0, above=0),
                wait=sec.parsed("wait", Wait(), parse_wait),
                tasks=tuple(tasks),
                on_start=tuple(on_start),
                variables=_variables(sec),
                websocket=websocket,
                tags=read_tags(sec),
                order=read_order(sec),
                on_stop=tuple(on_stop),
            )
        )
    if isinstance(data, list) and not data:
        out.add(path, "no user classes", "Add a [[users]] table with tasks")
    return users


def _duplicate_stream(sec: Section, name: str, seen: dict[str, int], index: int) -> None:
    """Figures are kept per stream name: two classes sharing one would mix them."""
    if name in RESERVED_ROWS:
        sec.out.add(
            (*sec.at("websocket"), "name"),
            f"stream name {name!r} is the name of a row every run has",
            "Give the stream another name",
        )
    elif name in seen:
        sec.out.add(
            (*sec.at("websocket"), "name"),
            f"duplicate stream name {name!r} (also users[{seen[name]}])",
            "Give each stream its own name",
        )
    seen.setdefault(name, index)


# Names of rows every run has: the total (metrics.fold.TOTAL_NAME, as Locust names it)
# and the one that counts names made at run time past their limit (metrics.rows). A task
# of such a name would be counted into that row.
RESERVED_ROWS = ("Aggregated", "(other names)")


def _duplicate_tasks(
    sec: Section, tasks: list[Any], on_start: list[Any], on_stop: list[Any]
) -> None:
    seen: dict[str, FieldPath] = {}
    for key, group in (("on_start", on_start), ("tasks", tasks), ("on_stop", on_stop)):
        for j, task in enumerate(group):
            where = (*sec.path, key, j, "name")
            if task.name in RESERVED_ROWS:
                sec.out.add(
                    where,
                    f"task name {task.name!r} is the name of a row every run has",
                    "Give the task another name",
                )
            elif task.name in seen:
                sec.out.add(
                    where,
                    f"duplicate task name {task.name!r} in this user class",
                    "Give each task its own name",
                )
            seen.setdefault(task.name, where)


def _untagged(sec: Section, key: str, steps: list[Task]) -> None:
    """Tags select tasks; the steps around them run for every user of a class that runs."""
    for j, step in enumerate(steps):
        if step.tags:
            sec.out.add(
                (*sec.at(key), j, "tags"),
                f"{key} steps take no tags: they run for every user of a class that runs",
                "Tag the tasks, or the user class",
            )


def _variables(sec: Section) -> tuple[tuple[str, str], ...]:
    pairs = read_pairs(sec, "variables")
    for name, _ in pairs:
        if not IDENT.fullmatch(name):
            sec.out.add(
                (*sec.at("variables"), name), "is not a variable name", "Use letters, digits and _"
            )
    return pairs
