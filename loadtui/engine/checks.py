"""Judging a response: checks, extraction and Retry-After, apart from sending it.

Kept free of I/O so the rules can be tested on plain values.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from typing import Any

from loadtui.scenario.model import Checks, Extract

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


def failed_check(checks: Checks, status: int, body: bytes | None, latency_s: float) -> str | None:
    """The error kind of the first failing check, or None when the response passes."""
    if checks.status is not None:
        if status not in checks.status:
            return f"HTTP {status}"
    elif status >= 400:
        return f"HTTP {status}"
    if checks.max_latency is not None and latency_s > checks.max_latency:
        return "check: max_latency"
    if checks.body_contains is not None and (
        body is None or checks.body_contains.encode() not in body
    ):
        return "check: body_contains"
    if checks.json_equals:
        doc = _json(body)
        for pointer, expected in checks.json_equals:
            if doc is MISSING or resolve_pointer(doc, pointer) != expected:
                return f"check: json {pointer}"
    return None


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
