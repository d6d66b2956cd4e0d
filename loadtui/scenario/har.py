"""A HAR file (HTTP Archive 1.2, as browsers and proxies export it) -> `Recorded` requests.

A HAR is data: it is parsed as JSON and every field is checked for its type before it
is read, so a damaged or crafted file is one `ImportProblem` naming the entry, never a
traceback. Its size and number of entries are bounded before anything is built.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from loadtui.scenario.recorded import ImportProblem, Recorded, media_type

MAX_HAR_BYTES = 100 * 1024 * 1024
MAX_ENTRIES = 100_000


def read_har(path: Path) -> list[Recorded]:
    """The requests of the HAR file at `path`."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_HAR_BYTES + 1)
    except OSError as exc:
        raise ImportProblem(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_HAR_BYTES:
        bound = MAX_HAR_BYTES / 1024 / 1024
        shown = f"{bound:g} MiB" if bound >= 1 else f"{MAX_HAR_BYTES:,} bytes"
        raise ImportProblem(
            f"{path} is larger than {shown}: "
            "export a shorter recording (or one without response bodies)"
        )
    return parse_har(data, str(path))


def parse_har(data: bytes, source: str) -> list[Recorded]:
    if not data.strip():
        raise ImportProblem(f"{source} is empty: expected a HAR file (JSON)")
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise ImportProblem(
            f"{source} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}): "
            "expected a HAR file"
        ) from None
    except ValueError:  # not UTF-8/16/32
        raise ImportProblem(f"{source} is not JSON text: expected a HAR file") from None
    except RecursionError:
        raise ImportProblem(f"{source} is nested too deeply to be a HAR file") from None
    log = doc.get("log") if isinstance(doc, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise ImportProblem(
            f"{source} is not a HAR file: it has no log.entries list "
            "(export one from the browser's network panel: Save all as HAR)"
        )
    if not entries:
        raise ImportProblem(f"{source} holds no requests (log.entries is empty)")
    if len(entries) > MAX_ENTRIES:
        raise ImportProblem(
            f"{source} holds {len(entries):,} entries: at most {MAX_ENTRIES:,} are read; "
            "export a shorter recording"
        )
    return [_entry(_Place(source, i), e) for i, e in enumerate(entries)]


class _Place:
    """Where a field sits, for the one-line message when it is not what a HAR holds."""

    def __init__(self, source: str, index: int) -> None:
        self.source = source
        self.index = index

    def problem(self, field: str, expected: str) -> ImportProblem:
        return ImportProblem(
            f"{self.source}: entry {self.index + 1}: {field} is not {expected}: "
            "not a HAR file, or a damaged one"
        )

    def get(self, table: dict[str, Any], key: str, kind: type, field: str, default: Any) -> Any:
        value = table.get(key)
        if value is None:  # absent, or null as some exporters write it
            return default
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.problem(f"{field}.{key}", _EXPECTED.get(kind, kind.__name__))
        return value


_EXPECTED: dict[type, str] = {str: "a string", dict: "an object", list: "a list"}


def _entry(at: _Place, entry: Any) -> Recorded:
    if not isinstance(entry, dict):
        raise at.problem("the entry", "an object")
    request = entry.get("request")
    if not isinstance(request, dict):
        raise at.problem("request", "an object")
    method = at.get(request, "method", str, "request", None)
    url = at.get(request, "url", str, "request", None)
    if not method or url is None:
        raise at.problem("request.url" if method else "request.method", "given")
    body, body_type, unknown = _post_data(at, at.get(request, "postData", dict, "request", None))
    response = at.get(entry, "response", dict, "entry", {})
    content = at.get(response, "content", dict, "response", {})
    status = response.get("status")
    return Recorded(
        method=method,
        url=url,
        headers=_pairs(at, at.get(request, "headers", list, "request", []), "request.headers"),
        body=body,
        body_type=body_type,
        body_unknown=unknown,
        status=status if isinstance(status, int) and not isinstance(status, bool) else None,
        response_type=at.get(content, "mimeType", str, "response.content", ""),
        resource_type=at.get(entry, "_resourceType", str, "entry", ""),
        started=_started(entry.get("startedDateTime")),
        elapsed=_elapsed(entry.get("time")),
    )


def _pairs(at: _Place, items: list[Any], field: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for i, item in enumerate(items):
        if not (
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and isinstance(item.get("value", ""), str)
        ):
            raise at.problem(f"{field}[{i}]", "a {name, value} pair of strings")
        pairs.append((item["name"], item.get("value", "")))
    return tuple(pairs)


def _post_data(at: _Place, post: dict[str, Any] | None) -> tuple[bytes | None, str, bool]:
    """(body, its media type, whether a body was sent that the recording does not hold)."""
    if post is None:
        return None, "", False
    mime = at.get(post, "mimeType", str, "request.postData", "")
    text = at.get(post, "text", str, "request.postData", None)
    if text is not None:
        if post.get("encoding") == "base64":
            try:
                return base64.b64decode(text, validate=True), mime, False
            except (binascii.Error, ValueError):
                raise at.problem("request.postData.text", "base64 as its encoding says") from None
        return text.encode("utf-8", "surrogatepass"), mime, False
    params = _pairs(at, at.get(post, "params", list, "request.postData", []), "postData.params")
    if params and media_type(mime) == "application/x-www-form-urlencoded":
        return urlencode(params).encode(), mime, False
    return None, mime, bool(params) or bool(mime)


def _started(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def _elapsed(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e12:
        return value / 1000.0
    return None
