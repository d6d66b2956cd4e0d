"""A task's `checks` table: what makes a response a failure.

    checks = { status = [200], max_latency = "500ms",
               body_contains = "ok", body_regex = '"id":\\s*\\d+',
               json = { "/state" = "done", "/count" = "> 0", "/id" = "exists" },
               headers = { "content-type" = "regex:^application/json", "x-a" = "equals:1" },
               on_rate_limited = { headers = { "retry-after" = "present" } } }

A JSON field's string is a rule when it is `exists`, `absent` or starts with a
comparison (`== != < <= > >=`); any other value is compared for equality as before.
Regexes are RE2 (regexes.py, linear in the text) and compiled here once, so a bad one
is a `validate` problem, never a run's.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast, get_args

from loadtui.scenario.errors import Collector, FieldPath, did_you_mean
from loadtui.scenario.fields import Section, type_name
from loadtui.scenario.model import Checks, HeaderCheck, HeaderRule, JsonCheck, JsonOp
from loadtui.scenario.regexes import REGEX_HINT, regex_problem
from loadtui.scenario.syntax import HEADER_NAME, POINTER

CHECK_KEYS = (
    "status", "body_contains", "body_regex", "json", "headers", "max_latency", "on_rate_limited",
)  # fmt: skip
# A rate-limited response is a refusal: its status is known and its latency not timed.
RATE_LIMITED_KEYS = ("body_contains", "body_regex", "json", "headers")
HEADER_RULES: tuple[str, ...] = get_args(HeaderRule)
HEADER_HINT = 'Use "present", "absent", "equals:VALUE" or "regex:PATTERN"'
ORDERING = ("<", "<=", ">", ">=")
_RULE = re.compile(r"\s*(==|!=|<=|>=|<|>)(.*)", re.S)


def read_checks(task: Section) -> Checks:
    """The task's `checks` table, every problem reported at its place."""
    table = task.table("checks")
    if table is None:
        return Checks()
    return _read(task.out, table, task.at("checks"), rate_limited=False)


def _read(out: Collector, table: dict[str, Any], path: FieldPath, *, rate_limited: bool) -> Checks:
    if rate_limited:
        for key in ("status", "max_latency", "on_rate_limited"):
            if key in table:
                out.add(
                    (*path, key),
                    "does not apply to a rate-limited response (429, or 503 with Retry-After)",
                    f"Keys here: {', '.join(RATE_LIMITED_KEYS)}",
                )
    sec = Section(out, table, path, RATE_LIMITED_KEYS if rate_limited else CHECK_KEYS)
    equals, rules = _json(sec)
    refused = None if rate_limited else sec.table("on_rate_limited")
    return Checks(
        status=None if rate_limited else _statuses(sec),
        body_contains=sec.string("body_contains", None, nonempty=True),
        json_equals=equals,
        max_latency=None if rate_limited else sec.duration("max_latency", None, positive=True),
        body_regex=_regex(sec, "body_regex"),
        json=rules,
        headers=_headers(sec),
        on_rate_limited=(
            None
            if refused is None
            else _read(out, refused, sec.at("on_rate_limited"), rate_limited=True)
        ),
    )


def _statuses(sec: Section) -> frozenset[int] | None:
    raw = sec.data.get("status")
    if raw is None:
        return None
    values = raw if isinstance(raw, list) else [raw]
    ok = [v for v in values if isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 599]
    if not values or len(ok) != len(values):
        bad = ", ".join(repr(v) for v in values if v not in ok) or "[]"
        sec.error("status", f"{bad}: expected a status code (100-599) or an array of them")
        return None
    return frozenset(ok)


def _json(sec: Section) -> tuple[tuple[tuple[str, Any], ...], tuple[JsonCheck, ...]]:
    """(pointer, value) pairs to equal, and the comparison rules, of `json = {...}`."""
    table = sec.table("json") or {}
    equals: list[tuple[str, Any]] = []
    rules: list[JsonCheck] = []
    for pointer, expected in table.items():
        where = (*sec.path, "json", pointer)
        if not POINTER.fullmatch(pointer):
            sec.out.add(where, "is not a JSON pointer", 'Like "/status" or "/items/0/id"')
            continue
        if isinstance(expected, str):
            try:
                rule = json_rule(pointer, expected)
            except BadRule as exc:
                sec.out.add(where, exc.message, exc.hint)
                continue
            if rule is not None:
                rules.append(rule)
                continue
        try:
            json.dumps(expected, allow_nan=False)
        except (TypeError, ValueError):
            sec.out.add(where, "the expected value is not a JSON value (dates, inf or nan)")
            continue
        equals.append((pointer, expected))
    return tuple(equals), tuple(rules)


class BadRule(ValueError):
    """A JSON rule that does not read: its message and a hint."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def json_rule(pointer: str, text: str) -> JsonCheck | None:
    """The rule `text` spells ("exists", "absent", "> 0", "== done"), or None when it is
    a plain value to equal; BadRule when it starts like a rule but is not one."""
    word = text.strip()
    if word in ("exists", "absent"):
        return JsonCheck(pointer, cast(JsonOp, word))
    m = _RULE.fullmatch(text)
    if m is None:
        return None
    op, raw = m.group(1), m.group(2).strip()
    if not raw:
        raise BadRule(f"{text!r}: {op} needs a value", f'Like "{op} 0"')
    value = operand(raw)
    if op in ORDERING and (isinstance(value, bool) or not isinstance(value, int | float)):
        hint = f'Like "{op} 0"; to equal this text write "== {word}"'
        raise BadRule(f"{text!r}: {op} compares numbers", hint)
    return JsonCheck(pointer, cast(JsonOp, op), value)


def operand(raw: str) -> Any:
    """A comparison's right side: a JSON value (3, true, null, "3") when it reads as one,
    else the text itself (`== done` compares with "done")."""
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except ValueError:
        return raw


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")  # NaN, Infinity: taken as text


def _regex(sec: Section, key: str) -> str | None:
    pattern: str | None = sec.string(key, None, nonempty=True)
    if pattern is None:
        return None
    problem = regex_problem(pattern)
    if problem is not None:
        sec.error(key, f"not a valid regex: {problem}", REGEX_HINT)
        return None
    return pattern


def _headers(sec: Section) -> tuple[HeaderCheck, ...]:
    table = sec.table("headers") or {}
    found: list[HeaderCheck] = []
    seen: dict[str, str] = {}
    for name, spec in table.items():
        where = (*sec.path, "headers", name)
        if not HEADER_NAME.fullmatch(name):
            sec.out.add(where, "is not a valid header name")
        elif name.lower() in seen:
            first = seen[name.lower()]
            sec.out.add(where, f"checked twice (as {first!r} too)", "Header names ignore case")
        elif not isinstance(spec, str):
            sec.out.add(where, f"expected a string, got {type_name(spec)}", HEADER_HINT)
        else:
            seen[name.lower()] = name
            check = _header_check(sec.out, where, name.lower(), spec)
            if check is not None:
                found.append(check)
    return tuple(found)


def _header_check(out: Collector, where: FieldPath, name: str, spec: str) -> HeaderCheck | None:
    if spec in ("present", "absent"):
        return HeaderCheck(name, cast(HeaderRule, spec))
    rule, colon, value = spec.partition(":")
    if not colon or rule not in ("equals", "regex"):
        close = did_you_mean(rule, HEADER_RULES)
        hint = f"{close} {HEADER_HINT}" if close else HEADER_HINT
        out.add(where, f"{spec!r} is not a header check", hint)
        return None
    if rule == "equals":
        return HeaderCheck(name, "equals", value.strip())
    problem = regex_problem(value) if value else "empty"
    if problem is not None:
        out.add(where, f"not a valid regex: {problem}", REGEX_HINT)
        return None
    return HeaderCheck(name, "regex", value)
