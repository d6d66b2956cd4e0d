"""A request as a recording holds it, and the rules `loadtui import` applies to it.

Both importers (a HAR file, a curl command) produce `Recorded` requests; `draft` turns
them into a scenario. The rules live here, in one place: which requests are static
assets, which headers are transport or browser noise, and which carry credentials that
become `${ENV}` references instead of being copied.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

MAX_BODY_BYTES = 1024 * 1024  # a recorded body past this is left out, with a note
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token (RFC 9110)
BAD_HEADER_VALUE = re.compile(r"[\x00\r\n]")  # nothing the wire can carry in a header

# Set by the engine from the request itself, or meaningless on a new connection.
HOP_BY_HOP = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
    }
)
# A browser's own state and fingerprints: they vary per machine and run, and some
# (If-None-Match, Cache-Control from a disabled cache) change what the server does.
# Accept-Encoding goes too: the engine does not decompress, and keeping bodies plain
# keeps checks on them readable. User-Agent: the engine's own names the load test.
BROWSER_NOISE = frozenset(
    {
        "accept-encoding",
        "user-agent",
        "referer",
        "dnt",
        "sec-gpc",
        "upgrade-insecure-requests",
        "priority",
        "purpose",
        "pragma",
        "cache-control",
        "if-none-match",
        "if-modified-since",
        "x-client-data",
    }
)
NOISE_PREFIXES = ("sec-ch-", "sec-fetch-", "sec-purpose", ":")  # ":" = HTTP/2 pseudo-headers
# Always credentials, whatever their value looks like.
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "apikey"}
)
# A header, query or JSON field whose name holds one of these is taken for a credential:
# guessing wrong costs an environment variable to set, guessing the other way a leak.
_SECRET_WORDS = re.compile(
    r"auth|token|secret|passw|passwd|apikey|api[-_]key|session|sessid|signature|credential|"
    r"csrf|xsrf|jwt|cookie|private[-_]?key|access[-_]?key",
    re.IGNORECASE,
)

STATIC_TYPES = ("image/", "font/", "audio/", "video/", "text/css", "application/font")
STATIC_SCRIPTS = frozenset(
    {
        "application/javascript",
        "application/x-javascript",
        "text/javascript",
        "application/ecmascript",
        "text/ecmascript",
        "application/wasm",
        "application/vnd.ms-fontobject",
    }
)
STATIC_EXTENSIONS = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp", ".tif", ".tiff",
    ".css", ".js", ".mjs", ".map", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".wasm",
    ".mp4", ".webm", ".ogg", ".ogv", ".mp3", ".wav", ".m4a", ".aac", ".flac", ".mov", ".avi",
})  # fmt: skip
STATIC_RESOURCE_TYPES = frozenset({"image", "stylesheet", "script", "font", "media"})


class LeftOut:
    """What a draft leaves out, counted by reason in order of first sight: each reason a
    noun ("request") and why ("to https://cdn.example ..."), shown as "2 requests to ..."."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def add(self, noun: str, why: str, n: int = 1) -> None:
        self.counts[(noun, why)] += n

    def lines(self) -> list[str]:
        return [
            f"{n} {noun}{'' if n == 1 else 's'} {why}" for (noun, why), n in self.counts.items()
        ]

    def __bool__(self) -> bool:
        return bool(self.counts)


class ImportProblem(ValueError):
    """Input `loadtui import` cannot turn into a scenario: one line, exit 2."""


@dataclass(frozen=True)
class Recorded:
    """One recorded request, with what was seen of its response.

    `headers` are as recorded (names in their case, duplicates kept); `body` is None when
    the request had none; `started` is epoch seconds and `elapsed` the seconds until its
    response ended, when the recording has them.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    body_type: str = ""  # the request body's media type, parameters kept
    body_unknown: bool = False  # a body was sent that the recording does not hold
    json_body: bool = False  # said to be JSON even without a JSON media type (curl --json)
    status: int | None = None
    response_type: str = ""
    resource_type: str = ""  # Chrome's `_resourceType`, when recorded
    started: float | None = None
    elapsed: float | None = None
    verify_tls: bool = True

    def header(self, name: str) -> str | None:
        """The first value recorded under `name` (any case)."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


def media_type(value: str) -> str:
    """The media type of a Content-Type: `Text/HTML; charset=utf-8` -> `text/html`."""
    return value.split(";", 1)[0].strip().lower()


def is_static(request: Recorded) -> bool:
    """An image, stylesheet, script, font or media file: by the recorder's resource
    type, the response's media type, or the path's extension."""
    if request.resource_type.lower() in STATIC_RESOURCE_TYPES:
        return True
    kind = media_type(request.response_type)
    if kind.startswith(STATIC_TYPES) or kind in STATIC_SCRIPTS:
        return True
    try:
        path = urlsplit(request.url).path
    except ValueError:
        return False
    return PurePosixPath(path).suffix.lower() in STATIC_EXTENSIONS


def is_noise(name: str) -> bool:
    """A header the drafted scenario leaves out (transport or browser state)."""
    lower = name.lower()
    return lower in HOP_BY_HOP or lower in BROWSER_NOISE or lower.startswith(NOISE_PREFIXES)


def is_secret_header(name: str) -> bool:
    return name.lower() in SECRET_HEADERS or bool(_SECRET_WORDS.search(name))


def is_secret_name(name: str) -> bool:
    """A query or JSON field name that looks like it holds a credential."""
    return bool(_SECRET_WORDS.search(name))


def is_text(text: str) -> bool:
    """Unicode text: no lone surrogate (JSON's `\\ud800` can make one), so TOML holds it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
