"""HAR files made in the test, never downloaded: `HarRecorder` sends real requests with
httpx and keeps each exchange as a browser's network panel would export it (HAR 1.2);
`entry` builds an entry by hand, for what a test cannot or should not send (a CDN, a
stylesheet, a hostile recording)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

START = datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)


def entry(
    method: str,
    url: str,
    *,
    headers: list[tuple[str, str]] | None = None,
    body: str | None = None,
    mime: str = "",
    status: int = 200,
    response_type: str = "application/json",
    started: datetime = START,
    time_ms: float = 10.0,
) -> dict[str, Any]:
    """One HAR entry, shaped as Chrome and Firefox write them."""
    request: dict[str, Any] = {
        "method": method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "headers": [{"name": n, "value": v} for n, v in headers or []],
        "queryString": [],
        "cookies": [],
        "headersSize": -1,
        "bodySize": -1 if body is None else len(body.encode()),
    }
    if body is not None:
        request["postData"] = {"mimeType": mime, "text": body}
    return {
        "startedDateTime": started.isoformat().replace("+00:00", "Z"),
        "time": time_ms,
        "request": request,
        "response": {
            "status": status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "headers": [],
            "cookies": [],
            "content": {"size": 0, "mimeType": response_type, "text": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": time_ms, "receive": 0},
    }


def har(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "loadtui tests", "version": "1"},
            "pages": [],
            "entries": entries,
        }
    }


def write_har(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(har(entries), indent=1), encoding="utf-8")
    return path


class HarRecorder:
    """Sends requests through an httpx client and records each exchange as an entry,
    with the headers httpx really sent (Host, Accept-Encoding, User-Agent...)."""

    def __init__(self, client: httpx.Client, pause: float = 0.25) -> None:
        self.client = client
        self.pause = pause  # the think time recorded after each response
        self.entries: list[dict[str, Any]] = []
        self._clock = START

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request and record it, started `pause` after the previous response."""
        began = time.perf_counter()
        response = self.client.request(method, url, **kwargs)
        took_ms = (time.perf_counter() - began) * 1000
        sent = response.request
        body = sent.content.decode() if sent.content else None
        recorded = entry(
            method,
            str(sent.url),
            headers=[(k.decode(), v.decode()) for k, v in sent.headers.raw],
            body=body,
            mime=sent.headers.get("content-type", ""),
            status=response.status_code,
            response_type=response.headers.get("content-type", ""),
            started=self._clock,
            time_ms=took_ms,
        )
        recorded["response"]["content"]["text"] = response.text
        self.entries.append(recorded)
        self._clock += timedelta(milliseconds=took_ms, seconds=self.pause)
        return response
