"""`[thresholds]` and its sub-tables, read into `Threshold`s.

    [thresholds]                          the whole run
    [thresholds.endpoints."NAME"]         one task
    [thresholds.websocket]                all WebSocket streams
    [thresholds.websocket.streams."NAME"] one stream
    [thresholds.target]                   the watched target processes

Every problem is reported with its place, and a metric in the wrong table says which
table it belongs to: a typo or a misplaced gate never passes silently. The one name
that cannot be checked here is a step a Python task names as it runs
(`loadtui.tasks.step`): with Python tasks, an endpoint table may name what no task is
called; `validate` notes it, and one that never runs fails at the end (no data).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from loadtui.scenario.errors import Collector, FieldPath, did_you_mean, format_path
from loadtui.scenario.fields import type_name
from loadtui.scenario.model import PythonTask, Scenario, Threshold, UserClass
from loadtui.scenario.threshold_metrics import (
    RUN_ONLY,
    SCOPE_METRICS,
    SCOPE_TABLES,
    Scope,
    known_in,
    metric_unit,
    scope_of,
)
from loadtui.scenario.units import resolve_threshold

_SUBTABLES: dict[Scope, tuple[str, ...]] = {
    "run": ("endpoints", "websocket", "target"),
    "websocket": ("streams",),
    "target": (),
}


def read_thresholds(
    out: Collector,
    data: Any,
    path: FieldPath,
    tasks: Iterable[str],
    streams: Iterable[str] = (),
    *,
    open_endpoints: bool = False,
) -> list[Threshold]:
    """Every threshold of the `[thresholds]` table at `path`; `tasks` and `streams` are
    the names endpoint and stream tables may refer to (any endpoint name, when
    `open_endpoints`: Python tasks name their steps at run time)."""
    if not isinstance(data, dict):
        out.add(path, f"expected a table of thresholds, got {type_name(data)}")
        return []
    found = _metrics(out, data, path, "run")
    endpoints = _table(out, data, path, "endpoints", "endpoints")
    names = set(tasks)
    for endpoint, table in endpoints.items():
        where = (*path, "endpoints", endpoint)
        if endpoint not in names and not open_endpoints:
            out.add(where, f"no task is named {endpoint!r}", did_you_mean(endpoint, names))
        elif not isinstance(table, dict):
            out.add(where, f"expected a table of thresholds, got {type_name(table)}")
        else:
            found += _metrics(out, table, where, "run", endpoint=endpoint)
    websocket = _table(out, data, path, "websocket", "thresholds")
    if isinstance(data.get("websocket"), dict):
        found += _websocket(out, websocket, (*path, "websocket"), set(streams))
    target = _table(out, data, path, "target", "thresholds")
    found += _metrics(out, target, (*path, "target"), "target")
    return found


def names_steps(users: Iterable[UserClass]) -> bool:
    """Whether any task is Python code, which may name endpoints as it runs."""
    steps = (t for u in users for t in (*u.on_start, *u.tasks, *u.on_stop))
    return any(isinstance(t, PythonTask) for t in steps)


def runtime_endpoint_notes(scenario: Scenario) -> list[str]:
    """One note per endpoint threshold table that names no task (only a Python task's
    step can fill it): it is checked at run time, and fails if that name never runs."""
    tasks = {t.name for u in scenario.users for t in (*u.on_start, *u.tasks, *u.on_stop)}
    unknown = dict.fromkeys(
        t.endpoint
        for t in scenario.thresholds
        if t.endpoint is not None and t.endpoint not in tasks
    )
    notes = []
    for name in unknown:
        where = format_path(("thresholds", "endpoints", name))
        close = did_you_mean(name, tasks)
        notes.append(
            f"note: {where}: no task is named {name!r}; checked at run time (a Python "
            f"task's step may name it; a name that never runs fails)"
            + (f". {close}" if close else "")
        )
    return notes


def _table(
    out: Collector, data: dict[str, Any], path: FieldPath, key: str, what: str
) -> dict[str, Any]:
    """data[key] when it is a table; {} (and a problem) when it is something else."""
    table = data.get(key, {})
    if isinstance(table, dict):
        return table
    out.add((*path, key), f"expected a table of {what}, got {type_name(table)}")
    return {}


def _websocket(
    out: Collector, data: dict[str, Any], path: FieldPath, streams: set[str]
) -> list[Threshold]:
    if not streams:
        out.add(
            path,
            "no user class has a [users.websocket]: these thresholds could never pass",
            "Add [users.websocket] to a user class, or remove [thresholds.websocket]",
        )
    found = _metrics(out, data, path, "websocket")
    for name, table in _table(out, data, path, "streams", "streams").items():
        where = (*path, "streams", name)
        if streams and name not in streams:
            hint = did_you_mean(name, streams) or f"Streams: {', '.join(sorted(streams))}"
            out.add(where, f"no stream is named {name!r}", hint)
        elif not isinstance(table, dict):
            out.add(where, f"expected a table of thresholds, got {type_name(table)}")
        else:
            found += _metrics(out, table, where, "websocket", stream=name)
    return found


def _metrics(
    out: Collector,
    data: dict[str, Any],
    path: FieldPath,
    scope: Scope,
    *,
    endpoint: str | None = None,
    stream: str | None = None,
) -> list[Threshold]:
    """The metrics of one table (its sub-tables are read by the caller)."""
    subtables = _SUBTABLES[scope] if endpoint is None and stream is None else ()
    found: list[Threshold] = []
    for metric, value in data.items():
        where = (*path, metric)
        if metric in subtables:
            continue
        if not known_in(scope, metric):
            out.add(where, "unknown threshold metric", _unknown_hint(metric, scope, subtables))
            continue
        if endpoint is not None and metric in RUN_ONLY:
            message = f"{metric} is a figure of the whole run, not of one endpoint"
            out.add(where, message, "Move it to [thresholds]")
            continue
        if metric.endswith("p99") and isinstance(value, dict):
            hint = f'For {metric}.9 quote the key: "{metric}.9" = "< 1s"'
            out.add(where, "expected a string", hint)
            continue
        try:
            stored, op, limit = resolve_threshold(metric, value)
        except ValueError as exc:
            out.add(where, str(exc))
            continue
        text = f"{op} false" if metric_unit(metric) == "bool" else " ".join(str(value).split())
        found.append(Threshold(stored, op, limit, endpoint, text=text, scope=scope, stream=stream))
    return found


def _unknown_hint(metric: str, scope: Scope, subtables: tuple[str, ...]) -> str:
    home = scope_of(metric)
    if home is not None and home != scope:
        return f"{metric} belongs in {SCOPE_TABLES[home]}"
    known = SCOPE_METRICS[scope]
    close = did_you_mean(metric, (*known, *subtables))
    if close:
        return close
    extra = " or status_NNN (one status code)" if scope == "run" else ""
    return f"Known: {', '.join(known)}{extra}"
