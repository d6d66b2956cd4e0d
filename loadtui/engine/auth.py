"""The headers a request carries besides its own: the target's, and Basic auth.

A URL's `user:password@` never goes out as written (it is no part of a Host header);
with `auth = "basic"` on the target it becomes `Authorization: Basic ...`, unless a
header the scenario sets already says Authorization. One rule for every client: the
native pool, httpx (HTTP/2 and Python tasks) and WebSocket handshakes.
"""

from __future__ import annotations

from loadtui.scenario.model import Pairs, Target
from loadtui.scenario.userinfo import basic_authorization, split_userinfo


def target_headers(target: Target, url: str, own: Pairs = ()) -> Pairs:
    """The target's headers that `own` (a task's or a stream's) does not set again (the
    same name in any case: the task's value wins), then Basic auth from `url`'s
    user:password when the target asks for it and no header sets Authorization."""
    mine = {name.lower() for name, _ in own}
    out = tuple((k, v) for k, v in target.headers if k.lower() not in mine)
    if target.auth != "basic" or "authorization" in mine | {k.lower() for k, _ in out}:
        return out
    _, credentials = split_userinfo(url)
    if credentials is None:
        return out
    return (*out, ("Authorization", basic_authorization(*credentials)))
