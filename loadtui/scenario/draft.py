"""Recorded requests -> the text of a scenario (what `loadtui import` writes).

The draft is one user class whose tasks run in the recorded order (`order =
"sequence"`), one task per request, against one target. A run drives one target, so
the draft takes the origin most requests went to (or `origin`), and lists what it left
out: other origins, static assets, requests it cannot express. Every recorded string
is escaped (`envrefs.literal`) so the scenario sends exactly what was recorded, and
credentials become `${ENV}` references (`envrefs.EnvRefs`).
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote, urlsplit

from loadtui.scenario.bodies import body_fields
from loadtui.scenario.bounds import MAX_TASKS, count_text
from loadtui.scenario.emit import Inline, dumps
from loadtui.scenario.envrefs import EnvRefs, env_literal, key_literal, literal
from loadtui.scenario.recorded import (
    BAD_HEADER_VALUE,
    HEADER_NAME,
    ImportProblem,
    LeftOut,
    Recorded,
    is_noise,
    is_secret_header,
    is_secret_name,
    is_static,
    is_text,
)
from loadtui.scenario.tasks import METHODS

# Printable ASCII but space stays as written in a path; the rest is %-encoded (UTF-8),
# as the engine itself would put it on the wire.
_PATH_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))
_HOST = re.compile(r"[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\]")
MAX_NAME_PATH = 120  # characters of the path in a task's name


@dataclass(frozen=True)
class DraftOptions:
    source: str  # what the header comment says it came from: "login.har", "a curl command"
    name: str = "imported"
    target_name: str = "recorded"
    include_static: bool = False
    origin: str | None = None


@dataclass(frozen=True)
class Draft:
    text: str
    origin: str
    tasks: int
    env: tuple[str, ...]  # variables to set before a run
    left_out: tuple[str, ...]  # one line per reason, with counts


def draft(requests: Sequence[Recorded], options: DraftOptions) -> Draft:
    """The scenario for `requests`; ImportProblem when nothing can be imported."""
    left = LeftOut()
    candidates: list[tuple[Recorded, SplitResult, str]] = []
    for request in requests:
        parts = _split(request.url)
        if parts is None:
            scheme = request.url.partition(":")[0].lower()
            http = scheme in ("http", "https")
            left.add("request", "with a malformed URL" if http else f"not http(s) ({scheme[:20]}:)")
        elif not options.include_static and is_static(request):
            left.add("static asset", "(--include-static keeps them)")
        else:
            candidates.append((request, parts, _origin(parts)))
    origin = _pick_origin([c[2] for c in candidates], options, left, len(requests))
    others = Counter(o for _, _, o in candidates if o != origin)
    for other, n in others.most_common():
        left.add("request", f"to {other} (a run drives one target; --origin picks it)", n)
    kept = [(r, p) for r, p, o in candidates if o == origin]
    if all(r.started is not None for r, _ in kept):
        kept.sort(key=lambda rp: rp[0].started or 0.0)
    env = EnvRefs()
    names: set[str] = set()
    tasks: list[dict[str, Any]] = []
    for request, parts in kept:
        task = _task(request, parts, env, names, left)
        if task is not None:
            tasks.append(task)
    if not tasks:
        raise ImportProblem(f"nothing to import from {options.source}: {_summary(left)}")
    if len(tasks) > MAX_TASKS:
        raise ImportProblem(
            f"{len(tasks):,} requests to import: a scenario holds at most "
            f"{count_text(MAX_TASKS)} tasks; record a shorter flow, or use --origin"
        )
    shared = _hoist_shared_headers(tasks)
    wait, wait_note = _think_time([r for r, _ in kept])
    target: dict[str, Any] = {"url": env_literal(origin)}
    if shared:
        target["headers"] = Inline(shared)
    if any(not r.verify_tls for r, _ in kept):
        target["verify_tls"] = False
    doc = {
        "name": env_literal(options.name),
        "targets": {options.target_name: target},
        "profiles": {
            "smoke": {"stages": Inline([{"duration": "1m", "users": 1, "spawn_rate": 1}])}
        },
        "users": [{"name": "recorded", "order": "sequence", "wait": wait, "tasks": tasks}],
    }
    lines = _header(options, origin, len(tasks), len(requests), env, left, wait_note)
    return Draft(
        text=dumps(doc, lines),
        origin=origin,
        tasks=len(tasks),
        env=tuple(v.name for v in env.variables),
        left_out=tuple(left.lines()),
    )


def _split(url: str) -> SplitResult | None:
    """The URL's parts when it is an http(s) URL with a plain host, else None."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return None
    host = parts.netloc.rpartition("@")[2]
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return parts if _HOST.fullmatch(name) else None


def _origin(parts: SplitResult) -> str:
    """scheme://host[:port], lower-cased, without any user:password."""
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme.lower()}://{shown}{port}"


def _pick_origin(origins: list[str], options: DraftOptions, left: LeftOut, total: int) -> str:
    counts = Counter(origins)
    if options.origin is not None:
        parts = _split(options.origin.rstrip("/"))
        wanted = _origin(parts) if parts is not None else options.origin
        if wanted not in counts:
            listed = ", ".join(counts) or "none"
            raise ImportProblem(f"no request to {wanted} in {options.source} (origins: {listed})")
        return wanted
    if not counts:
        what = f"{total} requests" if total else "no requests"
        raise ImportProblem(f"nothing to import from {options.source}: {what}, {_summary(left)}")
    return counts.most_common(1)[0][0]  # ties: the first recorded


def _summary(left: LeftOut) -> str:
    return "; ".join(left.lines()) or "none left"


def _task(
    request: Recorded, parts: SplitResult, env: EnvRefs, names: set[str], left: LeftOut
) -> dict[str, Any] | None:
    texts = (request.url, request.body_type, *(part for pair in request.headers for part in pair))
    if not all(is_text(text) for text in texts):
        left.add("request", "with text that is not Unicode (a lone surrogate)")
        return None
    method = request.method.upper()
    if method not in METHODS:
        left.add("request", f"with method {method[:20]} (not one a task sends)")
        return None
    try:
        path = quote(parts.path or "/", safe=_PATH_SAFE)
    except UnicodeEncodeError:
        left.add("request", "with a malformed URL")
        return None
    name = _unique(f"{method} {_shorten(path)}", names)
    body = body_fields(request, env, name, left)  # first: it may leave the request out
    if body is None:
        names.discard(name)
        return None
    query = _query(parts.query, env, name)
    if query is None:  # not UTF-8 once decoded: sent as recorded, in the path
        path += "?" + quote(parts.query, safe=_PATH_SAFE)
    task: dict[str, Any] = {"name": env_literal(name), "method": method, "path": literal(path)}
    if query:
        task["query"] = Inline(query)
    headers = _headers(request, env, name, left, has_body=bool(body))
    if headers:
        task["headers"] = headers
    task.update(body)
    if request.status is not None and 100 <= request.status <= 599:
        # 304 answered a browser's cached copy; without If-None-Match the answer is 200.
        task["checks"] = Inline(
            {"status": [200, 304] if request.status == 304 else [request.status]}
        )
    return task


def _shorten(path: str) -> str:
    return path if len(path) <= MAX_NAME_PATH else path[: MAX_NAME_PATH - 1] + "…"


def _unique(name: str, taken: set[str]) -> str:
    found, n = name, 1
    while found in taken:
        n += 1
        found = f"{name} #{n}"
    taken.add(found)
    return found


def _query(raw: str, env: EnvRefs, task: str) -> dict[str, Any] | None:
    """The query as a table (a repeated name: an array), credentials as references;
    None when it does not decode to text."""
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return None
    table: dict[str, Any] = {}
    for name, value in pairs:
        text = env.query(name, value, task) if value and is_secret_name(name) else literal(value)
        key = key_literal(name)
        if key not in table:
            table[key] = text
        elif isinstance(table[key], list):
            table[key].append(text)
        else:
            table[key] = [table[key], text]
    return table


def _headers(
    request: Recorded, env: EnvRefs, task: str, left: LeftOut, has_body: bool
) -> dict[str, str]:
    """Recorded headers less noise; one per name (repeats joined), credentials as
    references, Content-Type left to the body's `content_type`."""
    grouped: dict[str, tuple[str, list[str]]] = {}
    for name, value in request.headers:
        lower = name.lower()
        if is_noise(name) or (lower == "content-type" and has_body):
            continue
        if not HEADER_NAME.fullmatch(name) or BAD_HEADER_VALUE.search(value):
            left.add("invalid header", "(not a token name, or CR, LF or NUL in its value)")
            continue
        grouped.setdefault(lower, (name, []))[1].append(value)
    headers: dict[str, str] = {}
    for lower, (name, values) in grouped.items():
        value = ("; " if lower == "cookie" else ", ").join(values)
        headers[name] = env.header(name, value, task) if is_secret_header(name) else literal(value)
    return headers


def _hoist_shared_headers(tasks: list[dict[str, Any]]) -> dict[str, str]:
    """Headers every task sends with the same value move to the target (two tasks or more)."""
    first = tasks[0].get("headers", {})
    shared = {
        name: value
        for name, value in first.items()
        if len(tasks) > 1 and all(t.get("headers", {}).get(name) == value for t in tasks[1:])
    }
    for task in tasks:
        rest = {k: v for k, v in task.get("headers", {}).items() if k not in shared}
        if rest:
            task["headers"] = Inline(rest)
        else:
            task.pop("headers", None)
    return shared


def _think_time(kept: list[Recorded]) -> tuple[str, str]:
    """A constant think time: the median pause between one response's end and the next
    request's start (overlapping requests count as no pause)."""
    pauses = [
        max(0.0, b.started - (a.started + a.elapsed))
        for a, b in itertools.pairwise(kept)
        if a.started is not None and a.elapsed is not None and b.started is not None
    ]
    if not pauses:
        return "none", "none (one request, or no timings recorded)"
    median = statistics.median(pauses)
    if median < 0.001:
        return "none", "none: the median pause between a response and the next request is 0"
    wait = f"constant({_seconds(median)})"
    spread = f"{_seconds(min(pauses))} to {_seconds(max(pauses))}"
    return wait, f"{wait}, the median pause between a response and the next request ({spread})"


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + "s"


def _header(
    options: DraftOptions,
    origin: str,
    tasks: int,
    total: int,
    env: EnvRefs,
    left: LeftOut,
    wait_note: str,
) -> list[str]:
    lines = [
        f"Drafted by `loadtui import` from {options.source}: {_count(tasks, 'task')} from "
        f"{_count(total, 'recorded request')}, in recorded order.",
        f"Target: {origin}. Try it: `loadtui run FILE` (profile smoke: 1 user for 1 minute).",
    ]
    if env.variables:
        lines.append("Set these environment variables first (the recorded values are not copied):")
        width = max(len(v.name) for v in env.variables)
        lines += [f"  {v.name:<{width}}  {v.what} (first in {v.first_used})" for v in env.variables]
    if left:
        lines.append("Left out:")
        lines += [f"  {line}" for line in left.lines()]
    lines.append(f"Think time: {wait_note}.")
    lines.append("Bodies and other headers are copied as recorded: check them before sharing.")
    return lines
