"""Judging a response: checks, extraction and Retry-After, apart from sending it.

Kept free of I/O so the rules can be tested on plain values.
"""

from __future__ import annotations

import json
import operator
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

from loadtui.scenario.model import Checks, Extract, HeaderCheck, JsonCheck
from loadtui.scenario.regexes import compile_regex

MISSING = object()


def resolve_pointer(doc: Any, pointer: str) -> Any:
    """RFC 6901 JSON pointer; returns MISSING when the path is absent."""
    if pointer in ("", "/"):
        return (
            doc if pointer == "" else (doc.get("", MISSING) if isinstance(doc, dict) else MISSING)
        )
    node = doc
    for raw in pointer.lstrip("/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            if part not in node:
                return MISSING
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return MISSING
            node = node[int(part)]
        else:
            return MISSING
    return node


def _json(body: bytes | None) -> Any:
    if not body:
        return MISSING
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return MISSING


class ResponseChecks:
    """A task's `Checks` made ready for the hot path: regexes compiled and kinds spelled
    once, and a task without checks judged by one comparison (status < 400).

    Failure kinds are short, stable and name the check: `HTTP 503`, `check: max_latency`,
    `check: body_contains`, `check: body_regex`, `check: json /id` (and `... missing`,
    `... present`), `check: header retry-after` (and `... missing`, `... present`).
    """

    __slots__ = (
        "_contains",
        "_equals",
        "_headers",
        "_json",
        "_max_latency",
        "_plain",
        "_regex",
        "_status",
        "rate_limited",
    )

    def __init__(self, checks: Checks) -> None:
        self._status = checks.status
        self._max_latency = checks.max_latency
        contains = checks.body_contains
        self._contains = None if contains is None else contains.encode()
        self._regex = None if checks.body_regex is None else compile_regex(checks.body_regex)
        self._equals = checks.json_equals
        self._json = tuple(_JsonRule(c) for c in checks.json)
        self._headers = tuple(_HeaderRule(c) for c in checks.headers)
        self._plain = self._max_latency is None and not self.has_content_rules
        # What a rate-limited response (429, 503 with Retry-After) must carry, if anything.
        given = checks.on_rate_limited
        refused = None if given is None else ResponseChecks(given)
        self.rate_limited = refused if refused is not None and refused.has_content_rules else None

    @property
    def has_content_rules(self) -> bool:
        return bool(
            self._contains is not None
            or self._regex is not None
            or self._equals
            or self._json
            or self._headers
        )

    def failed(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]] | None,
        body: bytes | None,
        latency_s: float,
    ) -> str | None:
        """The kind of the first failing check, or None when the response passes."""
        if self._status is not None:
            if status not in self._status:
                return f"HTTP {status}"
        elif status >= 400:
            return f"HTTP {status}"
        if self._plain:
            return None
        if self._max_latency is not None and latency_s > self._max_latency:
            return "check: max_latency"
        return self.failed_content(headers, body)

    def failed_content(
        self, headers: list[tuple[bytes, bytes]] | None, body: bytes | None
    ) -> str | None:
        """The body, JSON and header rules alone (all a rate-limited response has)."""
        if self._contains is not None and (body is None or self._contains not in body):
            return "check: body_contains"
        if self._regex is not None and (body is None or self._regex.search(body) is None):
            return "check: body_regex"
        if self._equals or self._json:
            doc = _json(body)
            for pointer, expected in self._equals:
                if doc is MISSING or resolve_pointer(doc, pointer) != expected:
                    return f"check: json {pointer}"
            for rule in self._json:
                kind = rule.failed(doc)
                if kind is not None:
                    return kind
        for check in self._headers:
            kind = check.failed(headers)
            if kind is not None:
                return kind
        return None


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _JsonRule:
    __slots__ = ("_mismatch", "_missing", "check")

    def __init__(self, check: JsonCheck) -> None:
        self.check = check
        where = f"check: json {check.pointer}"
        self._mismatch = f"{where} present" if check.op == "absent" else where
        self._missing = f"{where} missing"

    def failed(self, doc: Any) -> str | None:
        check = self.check
        value = MISSING if doc is MISSING else resolve_pointer(doc, check.pointer)
        if check.op == "absent":
            return None if value is MISSING else self._mismatch
        if value is MISSING:
            return self._missing
        return None if compare(check.op, value, check.value) else self._mismatch


def compare(op: str, actual: Any, expected: Any) -> bool:
    """`actual op expected` for a JSON value: == and != as JSON sees it (true is not 1),
    the orderings between numbers only (a string or a missing number fails them)."""
    if op == "exists":
        return True
    if op in ("==", "!="):
        return same_json(actual, expected) == (op == "==")
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    return _ORDER[op](actual, expected)


def same_json(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1 and "1" is not 1, at any depth."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    return bool(a == b)


class _HeaderRule:
    __slots__ = ("_key", "_mismatch", "_missing", "_regex", "check")

    def __init__(self, check: HeaderCheck) -> None:
        self.check = check
        self._key = check.name.encode("latin-1")
        self._regex = compile_regex(check.value) if check.rule == "regex" else None
        where = f"check: header {check.name}"
        self._missing = f"{where} missing"
        self._mismatch = f"{where} present" if check.rule == "absent" else where

    def failed(self, headers: list[tuple[bytes, bytes]] | None) -> str | None:
        """Any of the header's values may match (a header can come more than once)."""
        key = self._key
        values = [v for k, v in headers or () if k.lower() == key]
        rule = self.check.rule
        if rule == "absent":
            return self._mismatch if values else None
        if not values:
            return self._missing
        if rule == "present":
            return None
        if self._regex is not None:
            ok = any(self._regex.search(v.strip()) is not None for v in values)
        else:
            ok = self.check.value in [v.decode("latin-1").strip() for v in values]
        return None if ok else self._mismatch


def header(headers: list[tuple[bytes, bytes]] | None, name: str) -> str | None:
    if not headers:
        return None
    key = name.lower().encode()
    for k, v in headers:
        if k.lower() == key:
            return v.decode("latin-1")
    return None


def extract(
    rules: tuple[Extract, ...],
    headers: list[tuple[bytes, bytes]] | None,
    body: bytes | None,
    into: dict[str, Any],
) -> str | None:
    """Store extracted values in `into`; the failing variable's error kind, if any."""
    doc: Any = MISSING
    for rule in rules:
        if rule.header is not None:
            value: Any = header(headers, rule.header)
            if value is None:
                return f"extract: {rule.var}"
        else:
            if doc is MISSING:
                doc = _json(body)
            value = resolve_pointer(doc, rule.json or "") if doc is not MISSING else MISSING
            if value is MISSING:
                return f"extract: {rule.var}"
        into[rule.var] = value
    return None


def retry_after(
    headers: list[tuple[bytes, bytes]] | None, now: float | None = None
) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), None when absent."""
    raw = header(headers, "retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))
