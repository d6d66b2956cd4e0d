"""Read a scenario file into a validated `Scenario`, or raise every problem at once."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from loadtui.scenario.data import read_data
from loadtui.scenario.envsubst import substitute_tree
from loadtui.scenario.errors import Collector, Problem, ScenarioError, format_path
from loadtui.scenario.fields import Section
from loadtui.scenario.locate import Locator
from loadtui.scenario.model import Scenario
from loadtui.scenario.nesting import HINT, MAX_DEPTH, TOO_DEEP, deep_line, too_deep
from loadtui.scenario.placeholders import check_placeholders
from loadtui.scenario.profiles import check_classes, check_streams, read_profiles
from loadtui.scenario.tasks import count_problems
from loadtui.scenario.thresholds import names_steps, read_thresholds
from loadtui.scenario.users import read_targets, read_users

TOP_KEYS = ("name", "description", "targets", "users", "profiles", "thresholds", "data")
_TOML_PLACE = re.compile(r"\s*\(at line (\d+), column \d+\)$|\s*\(at end of document\)$")


def load_scenario(path: str | Path, env: Mapping[str, str] | None = None) -> Scenario:
    """Load and validate a scenario file; `env` defaults to the process environment."""
    file = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise ScenarioError([Problem(file, None, "", f"cannot read file: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (byte {exc.start})"
        raise ScenarioError([Problem(file, None, "", message)]) from exc
    return load_scenario_text(text, file, env)


def load_scenario_text(
    text: str, path: str | Path = "<string>", env: Mapping[str, str] | None = None
) -> Scenario:
    """Like load_scenario for text already in memory; `path` names it and places
    Python task modules (its folder)."""
    file = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([_syntax_problem(file, text, str(exc))]) from None
    except RecursionError:  # tomllib recurses per level of arrays and inline tables
        raise ScenarioError([Problem(file, deep_line(text), "", TOO_DEEP, HINT)]) from None
    deep = too_deep(data)
    if deep is not None:  # refused before any recursive walk meets it
        line = Locator(text).line(deep[:MAX_DEPTH])
        where = format_path(deep[:3]) + "\u2026"
        raise ScenarioError([Problem(file, line, where, TOO_DEEP, HINT)])
    return build_scenario(data, file, text, os.environ if env is None else env)


def build_scenario(data: dict[str, Any], file: str, text: str, env: Mapping[str, str]) -> Scenario:
    """Validate parsed TOML; `text` is only used to place problems on lines."""
    too_many = count_problems(data.get("users"))  # refused before anything is built
    if too_many:
        raise ScenarioError(
            [Problem(file, None, format_path(p.path), p.message, p.hint) for p in too_many]
        )
    out = Collector()
    data = substitute_tree(data, env, out, ())
    folder = str(Path(file).resolve().parent) if file != "<string>" else str(Path.cwd())
    sec = Section(out, data, (), TOP_KEYS)
    name = sec.string("name", Path(file).stem if file != "<string>" else "scenario", nonempty=True)
    description = sec.string("description", "")
    targets = []
    if sec.require("targets", "targets", 'Add [targets.NAME] with url = "http://host:port"'):
        targets = read_targets(out, data["targets"], ("targets",))
        if data["targets"] == {}:
            out.add(("targets",), "no targets", 'Add [targets.NAME] with url = "http://host:port"')
    users = []
    if sec.require("users", "users", "Add a [[users]] table with [[users.tasks]]"):
        users = read_users(out, data["users"], ("users",), folder)
    profiles = read_profiles(out, data["profiles"], ("profiles",)) if sec.has("profiles") else []
    check_classes(out, profiles, users, ("profiles",))
    check_streams(out, profiles, users, ("profiles",))
    feeds = read_data(out, data["data"], ("data",), folder) if sec.has("data") else []
    used = check_placeholders(out, data.get("users"), feeds)
    task_names = [t.name for u in users for t in (*u.on_start, *u.tasks, *u.on_stop)]
    stream_names = [u.websocket.name for u in users if u.websocket is not None]
    thresholds = (
        read_thresholds(
            out,
            data["thresholds"],
            ("thresholds",),
            task_names,
            stream_names,
            open_endpoints=names_steps(users),
        )
        if sec.has("thresholds")
        else []
    )
    if out:
        locator = Locator(text)
        problems = [
            Problem(file, locator.line(p.path), format_path(p.path), p.message, p.hint)
            for p in out.items
        ]
        problems.sort(key=lambda p: p.line or 0)  # stable: same-line problems keep order
        raise ScenarioError(problems)
    return Scenario(
        name=name,
        path=file,
        description=description,
        targets=tuple(targets),
        users=tuple(users),
        profiles=tuple(profiles),
        thresholds=tuple(thresholds),
        data=tuple(replace(d, used=used[d.name]) for d in feeds),
    )


def _syntax_problem(file: str, text: str, message: str) -> Problem:
    m = _TOML_PLACE.search(message)
    line: int | None = None
    if m:
        line = int(m.group(1)) if m.group(1) else text.count("\n") + 1
        message = message[: m.start()]
    return Problem(file, line, "", f"TOML syntax error: {message}")
