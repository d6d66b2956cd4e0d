"""A curl command line (as "Copy as cURL" gives it) -> one `Recorded` request.

The line is split the way a POSIX shell would (shlex), after two things shlex does not
know: backslash-newline continuations and bash's `$'...'` quoting, which browsers use
for bodies holding quotes or line breaks. Nothing is run and no file is read: `-d
@file` and cookie files are refused with a hint. An option curl has but a request does
not need (`-s`, `-L`, `-v`, ...) is accepted and ignored; any other is one line naming it.
"""

from __future__ import annotations

import base64
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from loadtui.scenario.recorded import ImportProblem, Recorded

MAX_COMMAND_CHARS = 4 * 1024 * 1024
# Options taking a value; the tuples name the request part each one sets.
_VALUED = {
    "-X": "method", "--request": "method",
    "-H": "header", "--header": "header",
    "-d": "data", "--data": "data", "--data-ascii": "data", "--data-binary": "data",
    "--data-raw": "raw", "--json": "json",
    "-u": "user", "--user": "user",
    "-b": "cookie", "--cookie": "cookie",
    "-A": "agent", "--user-agent": "agent",
    "-e": "referer", "--referer": "referer",
    "--url": "url",
    "-m": "ignored", "--max-time": "ignored", "--connect-timeout": "ignored",
    "-o": "ignored", "--output": "ignored", "-w": "ignored", "--write-out": "ignored",
}  # fmt: skip
_FLAGS = {
    "-k": "insecure", "--insecure": "insecure",
    "-G": "get", "--get": "get",
    "-I": "head", "--head": "head",
    "--compressed": "ignored", "-s": "ignored", "--silent": "ignored",
    "-S": "ignored", "--show-error": "ignored", "-L": "ignored", "--location": "ignored",
    "-v": "ignored", "--verbose": "ignored", "-i": "ignored", "--include": "ignored",
    "-f": "ignored", "--fail": "ignored", "--fail-with-body": "ignored",
    "-N": "ignored", "--no-buffer": "ignored", "-#": "ignored", "--progress-bar": "ignored",
    "--no-progress-meter": "ignored", "--http1.1": "ignored", "--http2": "ignored",
}  # fmt: skip
_SUPPORTED = "-X, -H, -d/--data/--data-raw/--data-binary, --json, -u, -b, -G, -I, -k, --url"
_ANSI_SIMPLE = {
    "a": b"\a", "b": b"\b", "e": b"\x1b", "E": b"\x1b", "f": b"\f", "n": b"\n", "r": b"\r",
    "t": b"\t", "v": b"\v", "\\": b"\\", "'": b"'", '"': b'"', "?": b"?",
}  # fmt: skip
_ANSI_NUMERIC = re.compile(
    r"([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{1,4})|U([0-9A-Fa-f]{1,8})"
)


@dataclass
class _Request:
    method: str | None = None
    url: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    json: bool = False
    get: bool = False
    head: bool = False
    insecure: bool = False


def parse_curl(command: str) -> Recorded:
    """The request `command` would send."""
    if len(command) > MAX_COMMAND_CHARS:
        raise ImportProblem(f"the curl command is longer than {MAX_COMMAND_CHARS:,} characters")
    prepared = _shell_prepass(command)
    try:
        words = shlex.split(prepared)
    except ValueError as exc:  # unbalanced quotes
        raise ImportProblem(f"cannot split the curl command: {exc}") from None
    if not words:
        raise ImportProblem('the curl command is empty: give it like --curl "curl https://..."')
    program = words[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
    if program not in ("curl", "curl.exe"):
        raise ImportProblem(
            f"not a curl command: it starts with {words[0][:40]!r} "
            '(give the whole command: --curl "curl https://host/path -H ...")'
        )
    request = _Request()
    rest = iter(words[1:])
    for word in rest:
        if word.startswith("--"):
            _option(request, word, rest)
        elif word.startswith("-") and len(word) > 1:
            _short_options(request, word, rest)
        else:
            _set_url(request, word)
    return _recorded(request)


def _short_options(request: _Request, word: str, rest: Iterator[str]) -> None:
    """`-sSL`, `-XPOST`, `-HAccept: x`: flags cluster; a valued option takes the rest of
    the word, or the next word."""
    for i, letter in enumerate(word[1:], start=1):
        option = "-" + letter
        if option in _VALUED:
            attached = word[i + 1 :]
            _option(request, option, rest, attached or None)
            return
        if option not in _FLAGS:
            raise _unknown(option if len(word) == 2 else f"{option} (in {word})")
        _option(request, option, rest)


def _option(request: _Request, option: str, rest: Iterator[str], value: str | None = None) -> None:
    if option in _FLAGS:
        what = _FLAGS[option]
        if what != "ignored":
            setattr(request, what, True)
        return
    valued = _VALUED.get(option)
    if valued is None:
        raise _unknown(option)
    if value is None:
        value = next(rest, None)
        if value is None:
            raise ImportProblem(f"curl option {option} needs a value")
    _valued(request, option, valued, value)


def _valued(request: _Request, option: str, what: str, value: str) -> None:
    if what in ("data", "json") and value.startswith("@"):
        raise ImportProblem(
            f"{option} {value[:40]}: reading a body from a file is not supported; "
            "put the body itself on the command line (or use --data-raw)"
        )
    if what == "method":
        request.method = value
    elif what == "header":
        request.headers.extend(_header(value))
    elif what in ("data", "raw", "json"):
        request.data.append(value)
        request.json = request.json or what == "json"
    elif what == "user":
        if ":" not in value:
            raise ImportProblem(f"{option} {value[:40]!r}: give user:password (curl would ask)")
        basic = base64.b64encode(_utf8(value)).decode()
        request.headers.append(("Authorization", f"Basic {basic}"))
    elif what == "cookie":
        if "=" not in value:
            raise ImportProblem(
                f"{option} {value[:40]!r}: reading cookies from a file is not supported; "
                "give them as name=value; name2=value2"
            )
        request.headers.append(("Cookie", value))
    elif what == "agent":
        request.headers.append(("User-Agent", value))
    elif what == "referer":
        request.headers.append(("Referer", value))
    elif what == "url":
        _set_url(request, value)


def _header(value: str) -> list[tuple[str, str]]:
    """curl's `-H` forms: `Name: value`; `Name;` for an empty value; `Name:` removes a
    header curl would add (none here)."""
    if value.startswith("@"):
        raise ImportProblem(f"-H {value[:40]}: reading headers from a file is not supported")
    name, colon, rest = value.partition(":")
    if colon:
        return [(name.strip(), rest.strip())] if rest.strip() else []
    if value.endswith(";") and value[:-1].strip():
        return [(value[:-1].strip(), "")]
    raise ImportProblem(f"-H {value[:60]!r} is not a header: write it as 'Name: value'")


def _set_url(request: _Request, url: str) -> None:
    if request.url is not None:
        raise ImportProblem(
            "the curl command names more than one URL: import one request at a time"
        )
    request.url = url


def _unknown(option: str) -> ImportProblem:
    return ImportProblem(f"curl option {option} is not supported (supported: {_SUPPORTED})")


def _recorded(request: _Request) -> Recorded:
    if request.url is None:
        raise ImportProblem("the curl command has no URL")
    url = request.url if "://" in request.url else "http://" + request.url  # as curl does
    scheme = urlsplit(url).scheme.lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        raise ImportProblem(f"the curl URL must be http:// or https://, got {url[:60]!r}")
    data = "&".join(request.data) if request.data else None
    if request.get and data is not None:
        url += ("&" if "?" in url else "?") + data
        data = None
    default = "HEAD" if request.head else ("POST" if data is not None else "GET")
    headers = list(request.headers)
    names = {name.lower() for name, _ in headers}
    body_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    if data is not None and not body_type:
        body_type = "application/json" if request.json else "application/x-www-form-urlencoded"
    if request.json and "accept" not in names:
        headers.append(("Accept", "application/json"))
    return Recorded(
        method=request.method or default,
        url=url,
        headers=tuple(headers),
        body=None if data is None else _utf8(data),
        body_type=body_type,
        json_body=request.json,
        verify_tls=not request.insecure,
    )


def _shell_prepass(command: str) -> str:
    """`command` with backslash-newline continuations removed and every `$'...'` word
    part turned into plain single quotes, so shlex reads it as bash would."""
    out: list[str] = []
    i, n, quote = 0, len(command), ""
    while i < n:
        ch = command[i]
        if quote == "'":
            quote = "" if ch == "'" else quote
        elif ch == "\\" and command.startswith("\n", i + 1):
            i += 2  # a continuation, in or out of double quotes
            continue
        elif ch == "\\" and command.startswith("\r\n", i + 1):
            i += 3
            continue
        elif ch == "\\":
            out.append(command[i : i + 2])
            i += 2
            continue
        elif quote == '"':
            quote = "" if ch == '"' else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "$" and command.startswith("'", i + 1):
            text, i = _ansi_c(command, i + 2)
            out.append(shlex.quote(text))
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _ansi_c(command: str, i: int) -> tuple[str, int]:
    """The text of a `$'...'` string whose body starts at `i`, and the index after it.
    Escapes give bytes (`\\xc3\\xa9` is one UTF-8 character); bytes that are not UTF-8
    survive as surrogate escapes, so the body's bytes are kept exactly."""
    out = bytearray()
    n = len(command)
    while i < n:
        ch = command[i]
        if ch == "'":
            return out.decode("utf-8", "surrogateescape"), i + 1
        if ch != "\\" or i + 1 >= n:
            out += _utf8(ch)
            i += 1
            continue
        nxt = command[i + 1]
        if nxt in _ANSI_SIMPLE:
            out += _ANSI_SIMPLE[nxt]
            i += 2
        elif nxt == "c" and i + 2 < n:
            out.append(ord(command[i + 2]) & 0x1F)
            i += 3
        elif m := _ANSI_NUMERIC.match(command, i + 1):
            octal, hex2, u4, u8 = m.groups()
            if octal or hex2:
                out.append(int(octal, 8) & 0xFF if octal else int(hex2, 16))
            else:
                code = int(u4 or u8, 16)
                out += chr(code).encode("utf-8", "surrogatepass") if code <= 0x10FFFF else b"?"
            i = m.end()
        else:
            out += b"\\" + _utf8(nxt)
            i += 2
    raise ImportProblem("cannot split the curl command: a $'...' string is not closed")


def _utf8(text: str) -> bytes:
    """Text's bytes; an undecodable byte of the command line (a surrogate escape, as
    Python reads argv) is that byte again."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")
