r"""A body or header a target chose cannot stall a check's regex.

Python's `re` took 11 s for `\w+!` on 100 KB of "a" here, and `(a+)+$` doubles its time
with each "a": on the bodies below one check would hold the engine (and the GIL) for
hours. Checks use RE2 (scenario/regexes.py), linear in the text, so the run ends by
itself with every check failed and counted. The hang guard is a correctness bound: the
run has 4 passes of 2 requests to make.
"""

from __future__ import annotations

import asyncio

from support.loopback import Counters, LoopbackServer
from support.runs import GUARD_S, run
from support.scenarios import get, scenario, user

from loadtui.engine.checks import ResponseChecks
from loadtui.scenario.model import Checks, HeaderCheck

BODY = b"a" * (1 << 20)  # 1 MiB of word characters, no "!"
WORD = b"a" * 64 + b"!"  # (a+)+$ backtracks through every split of the 64 a's


def _reply() -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(BODY)}\r\nX-Word: ".encode()
    return head + WORD + b"\r\n\r\n" + BODY


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Counters) -> None:
    """Answer every request with the same hostile response, keeping the connection."""
    reply = _reply()
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        if not head:
            return
        writer.write(reply)
        await writer.drain()


def test_the_patterns_that_stall_re_are_quick_and_judged_the_same() -> None:
    body = ResponseChecks(Checks(body_regex=r"\w+!"))
    assert body.failed_content(None, BODY) == "check: body_regex"
    assert body.failed_content(None, BODY[:1000] + b"!") is None
    nested = ResponseChecks(Checks(headers=(HeaderCheck("x-word", "regex", "^(a+)+$"),)))
    assert nested.failed_content([(b"X-Word", WORD)], None) == "check: header x-word"
    assert nested.failed_content([(b"X-Word", b" aaa ")], None) is None  # value stripped


async def test_a_run_against_hostile_bodies_ends_with_every_check_counted() -> None:
    tasks = (
        get("/", "body", checks={"body_regex": r"\w+!"}),
        get("/", "header", checks={"headers": {"x-word": "regex:^(a+)+$"}}),
    )
    text = scenario(user(*tasks, order="sequence"))
    with LoopbackServer(_serve, GUARD_S * 2, "hostile-regex") as server:
        final, _, _ = await asyncio.wait_for(
            run(text, server.url, users=1, spawn_rate=100, iterations=4, grace=1), GUARD_S
        )
    body, header = final.endpoint("body"), final.endpoint("header")
    assert body is not None and body.errors == {"check: body_regex": 4}, body
    assert header is not None and header.errors == {"check: header x-word": 4}, header
