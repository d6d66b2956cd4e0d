"""A URL's `user:password@`: never sent as written, never shown.

The engine sends a target's URL without it (`split_userinfo`) and turns it into
`Authorization: Basic` only when the target says `auth = "basic"`. Everything that shows
or stores a URL (session log, reports, progress, events, the console, error messages)
passes it through `redact_url`, the one function that hides it.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import unquote

HIDDEN = "***"  # the same mark session.codec puts in place of a hidden header value
# For a URL that does not parse because its password holds a reserved character raw.
PERCENT_HINT = "In user:password@ write '/', '?', '#' and '@' as %2F, %3F, %23 and %40"

# host[:port] as a URL writes it: a name or address, or [IPv6], then an optional port.
_HOST_PORT = re.compile(r"(?:\[[^\]]*\]|[^:@\[\]]*)(?::[0-9]*)?")


def _find_any(text: str, chars: str) -> int:
    """Index of the first of `chars` in `text`, or len(text)."""
    found = [i for i in (text.find(c) for c in chars) if i >= 0]
    return min(found, default=len(text))


def _userinfo_end(after: str) -> int:
    """Index of the '@' that closes the userinfo in `after` (a URL past its '://'), or -1.

    Wider than urllib's rule (the last '@' before the first '/', '?' or '#'), so that a
    password holding a raw '@', '?' or '#' ("http://u:pa#ss@host") shows no part of
    itself: the last '@' before the first '/'; and for a raw '/', where the authority
    left is no host[:port], the last '@' of all. The price: a URL with no path but an
    '@' in its query ("ws://h?mail=a@b") is hidden up to that '@'.
    """
    at = after.rfind("@", 0, _find_any(after, "/"))
    if at < 0 and not _HOST_PORT.fullmatch(after[: _find_any(after, "/?#")]):
        at = after.rfind("@")
    return at


def redact_url(text: str) -> str:
    """`text` with the password of its `user:password@` shown as `***`.

    A username alone (`https://TOKEN@host`, the way many APIs take a token) is hidden
    whole; before a password the username stays, so the URL still says who connected.
    Everything else stays byte for byte; text without '://' is returned as is.
    """
    scheme, sep, after = text.partition("://")
    if not sep:
        return text
    at = _userinfo_end(after)
    if at <= 0:
        return text
    user, colon, _password = after[:at].partition(":")
    shown = f"{user}:{HIDDEN}" if colon else HIDDEN
    return f"{scheme}{sep}{shown}{after[at:]}"


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """(the URL without `user:password@`, (user, password) percent-decoded or None).

    Parsed as urllib parses a netloc (up to the first '/', '?' or '#', userinfo before
    its last '@'), so the host left is the one the engine connects to. A username with
    no password gives an empty password, as Basic auth then sends it."""
    scheme, sep, after = url.partition("://")
    end = _find_any(after, "/?#")
    userinfo, at, hostport = after[:end].rpartition("@")
    if not sep or not at:
        return url, None
    user, _, password = userinfo.partition(":")
    return f"{scheme}{sep}{hostport}{after[end:]}", (unquote(user), unquote(password))


def basic_authorization(user: str, password: str) -> str:
    """The `Authorization` value for HTTP Basic auth (RFC 7617, UTF-8)."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"
