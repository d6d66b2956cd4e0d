"""`[users.websocket]` and profile `streams`: what a valid table turns into, every error
with its place, and random tables that never raise anything but ScenarioError.

Error cases follow test_scenario_errors.py: the line a problem should point at carries a
`#<` comment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.trees import copy_to, paths_of

from loadtui.scenario import ScenarioError, bundled, load_scenario, load_scenario_text
from loadtui.scenario.loader import build_scenario
from loadtui.scenario.model import (
    Backoff,
    HttpTask,
    Reconnect,
    Scenario,
    Stage,
    WebSocketSpec,
    WsMessage,
)
from loadtui.scenario.template import render, render_value
from loadtui.scenario.units import parse_backoff, parse_size

NAME = 'name = "t"\n'
TARGET = '[targets.local]\nurl = "http://127.0.0.1:8080"\n'
HEAD = NAME + TARGET + '[[users]]\nname = "u"\n'
MINIMAL = """\
[[users]]
name = "streamer"
[users.websocket]
path = "/"
send = { every = "100ms", text = "ping" }
expect = "echo"
duration = "30s"
"""
ROOT = Path(__file__).resolve().parents[2]


def ws(*lines: str) -> str:
    """A scenario whose only user class streams with these `[users.websocket]` lines."""
    return HEAD + "[users.websocket]\n" + "\n".join(lines) + "\n"


def load(text: str) -> Scenario:
    return load_scenario_text(text, "ws.toml", env={})


def spec(*lines: str) -> WebSocketSpec:
    found = load(ws(*lines)).users[0].websocket
    assert found is not None
    return found


def test_the_minimal_form_loads_as_is() -> None:
    s = load(NAME + TARGET + MINIMAL)
    (user,) = s.users
    assert user.tasks == () and user.on_start == ()
    assert user.websocket == WebSocketSpec(
        name="streamer",
        path="/",
        send=WsMessage("text", "ping"),
        every=0.1,
        expect="echo",
        duration=30.0,
    )
    assert user.websocket.ping == 20.0 and user.websocket.max_message_size == 1 << 20
    assert user.websocket.reconnect == Reconnect(0, Backoff("exponential", 0.5, 10.0))
    assert not user.websocket.compression and s.profiles == ()


def test_every_field_is_read() -> None:
    got = spec(
        'name = "chat"',
        'path = "/ws/echo?room=1"',
        'subprotocols = ["chat.v2", "chat.v1"]',
        'headers = { Authorization = "Bearer {token}", X-Room = "lobby" }',
        'on_connect = [{ json = { type = "join", who = "{user_id}" } }, { text = "hello" }]',
        'send = { every = "250ms", json = { id = "{seq}", s = "{session}", n = [1, 2.5] } }',
        'expect = { reply_field = "id" }',
        'duration = "1m30s"',
        'ping = "5s"',
        'max_message_size = "64KiB"',
        "compression = true",
        'reconnect = { max = 5, backoff = "constant(2s)" }',
    )
    assert got == WebSocketSpec(
        name="chat",
        path="/ws/echo?room=1",
        subprotocols=("chat.v2", "chat.v1"),
        headers=(("Authorization", "Bearer {token}"), ("X-Room", "lobby")),
        on_connect=(
            WsMessage("json", {"type": "join", "who": "{user_id}"}, templated=True),
            WsMessage("text", "hello"),
        ),
        send=WsMessage("json", {"id": "{seq}", "s": "{session}", "n": [1, 2.5]}, True),
        every=0.25,
        expect="reply",
        reply_field="id",
        duration=90.0,
        ping=5.0,
        max_message_size=65536,
        compression=True,
        reconnect=Reconnect(5, Backoff("constant", 2.0, 2.0)),
    )


def test_messages_are_literal_unless_they_hold_placeholders() -> None:
    got = spec(
        "on_connect = [",
        '  { text = "{{literal}" },',
        '  { text = "n={seq}/{session}" },',
        '  { json = { "{{k}" = ["{{v}", 1, true] } },',
        '  { msgpack = { a = [1, 2], b = "x" } },',
        '  { msgpack = { who = "{name}" } },',
        '  { binary = "de ad BE ef" },',
        "  { binary = { size = 4 } },",
        '  { binary = "" },',
        '  { json = "just a string" },',
        "]",
    )
    assert got.on_connect == (
        WsMessage("text", "{literal}"),  # `{{` already undone: the engine sends it as is
        WsMessage("text", "n={seq}/{session}", templated=True),
        WsMessage("json", {"{k}": ["{v}", 1, True]}),
        WsMessage("msgpack", {"a": [1, 2], "b": "x"}),
        WsMessage("msgpack", {"who": "{name}"}, templated=True),
        WsMessage("binary", b"\xde\xad\xbe\xef"),
        WsMessage("binary", b"\x00" * 4),
        WsMessage("binary", b""),
        WsMessage("json", "just a string"),
    )
    assert got.expect == "none" and got.send is None and got.every == 0.0
    # What the engine does with a template: the user's variables plus seq and session.
    text, pack = got.on_connect[1], got.on_connect[4]
    assert render(text.value, {"seq": 7, "session": 2}) == "n=7/2"
    assert msgpack.unpackb(msgpack.packb(render_value(pack.value, {"name": "ann"}))) == {
        "who": "ann"
    }


@pytest.mark.parametrize(
    ("line", "expect", "field"),
    [
        ("", "none", None),
        ('expect = "none"', "none", None),
        ('expect = "stream"', "stream", None),
        ('expect = "echo"\nsend = { every = 1, binary = { size = 8 } }', "echo", None),
        ('expect = { reply_field = "id" }\nsend = { every = 1, json = { id = "{seq}" } }',
         "reply", "id"),
        ('expect = { reply_field = "/meta/0/n" }\n'
         'send = { every = 1, json = { meta = [{ n = "s{session}-{seq}" }] } }',
         "reply", "/meta/0/n"),
        ('expect = { reply_field = "/a~1b" }\nsend = { every = 1, json = { "a/b" = "{seq}" } }',
         "reply", "/a~1b"),
    ],
)  # fmt: skip
def test_expect(line: str, expect: str, field: str | None) -> None:
    got = spec('path = "/ws"', *([line] if line else []))
    assert (got.expect, got.reply_field) == (expect, field)


def test_the_reply_field_of_the_sent_json_is_the_sequence_number() -> None:
    got = spec(
        'send = { every = "1s", json = { seq = "{seq}", text = "hi" } }',
        'expect = { reply_field = "seq" }',
    )
    assert got.send is not None and got.send.templated
    sent = json.dumps(render_value(got.send.value, {"seq": 12}))
    assert json.loads(sent) == {"seq": "12", "text": "hi"}  # the echo carries it back


@pytest.mark.parametrize(
    ("line", "seconds"),
    [("", 20.0), ("ping = false", None), ('ping = "off"', None), ('ping = "none"', None),
     ("ping = true", 20.0), ('ping = "500ms"', 0.5), ("ping = 3", 3.0)],
)  # fmt: skip
def test_ping(line: str, seconds: float | None) -> None:
    assert spec(line).ping == seconds


@pytest.mark.parametrize(
    ("value", "size"),
    [("1", 1), ("65536", 65536), ('"64KiB"', 65536), ('"1MiB"', 1 << 20), ('"2MB"', 2_000_000),
     ('"1 kb"', 1000), ('"512B"', 512), ('"1GiB"', 1 << 30), ('"0.5KiB"', 512)],
)  # fmt: skip
def test_max_message_size(value: str, size: int) -> None:
    assert spec(f"max_message_size = {value}").max_message_size == size


@pytest.mark.parametrize(
    ("value", "backoff"),
    [
        ('"exponential(0.5s, 10s)"', Backoff("exponential", 0.5, 10.0)),
        ('"Exponential(1s,1s)"', Backoff("exponential", 1.0, 1.0)),
        ('"constant(1s)"', Backoff("constant", 1.0, 1.0)),
        ('"constant(0s)"', Backoff("constant", 0.0, 0.0)),
        ('"250ms"', Backoff("constant", 0.25, 0.25)),
        ("2", Backoff("constant", 2.0, 2.0)),
    ],
)
def test_reconnect(value: str, backoff: Backoff) -> None:
    assert spec(f"reconnect = {{ max = 3, backoff = {value} }}").reconnect == Reconnect(3, backoff)
    assert spec("reconnect = { max = 0 }").reconnect == Reconnect(0, Backoff())


def test_backoff_delays() -> None:
    exp = parse_backoff("exponential(0.5s, 10s)")
    assert [exp.delay(n) for n in range(1, 8)] == [0.5, 1, 2, 4, 8, 10, 10]
    assert parse_backoff("constant(1s)").delay(9) == 1.0


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("linear(1s)", "unknown backoff kind"), ("constant(1s, 2s)", "takes 1 argument"),
     ("exponential(1s)", "takes 2 argument"), ("exponential(0s, 1s)", "positive base"),
     ("exponential(2s, 1s)", "cap is below"), ("soon", "cannot read"), (True, "expected a"),
     ("constant(-1s)", "negative"), (None, "expected a backoff"), ("constant()", "duration")],
)  # fmt: skip
def test_backoff_errors(value: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_backoff(value)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("1TB", "cannot read"), ("KiB", "cannot read"), ("", "cannot read"), (-1, "negative"),
     (1.5, "expected a size"), (True, "expected a size"), ("0.3B", "whole number"),
     ("9" * 30, "too large")],
)  # fmt: skip
def test_size_errors(value: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_size(value)


@pytest.mark.parametrize(
    "url", ["ws://127.0.0.1:9000/feed", "wss://example.test/ws?x=1", "WS://[::1]:80/"]
)
def test_absolute_ws_urls_are_kept(url: str) -> None:
    assert spec(f'path = "{url}"').path == url


def test_path_escapes_are_undone() -> None:
    assert spec('path = "/ws/{{x}"').path == "/ws/{x}"


def test_http_tasks_and_a_stream_in_one_class() -> None:
    s = load(
        NAME + TARGET + '[[users]]\nname = "chat"\n'
        '[[users.on_start]]\nname = "login"\nmethod = "POST"\npath = "/api/login"\n'
        'json = { user = "a", password = "b" }\nextract = [{ var = "token", json = "/token" }]\n'
        '[[users.tasks]]\nname = "me"\npath = "/api/me"\n'
        'headers = { Authorization = "Bearer {token}" }\n'
        '[users.websocket]\npath = "/ws/echo"\nheaders = { Authorization = "Bearer {token}" }\n'
        'send = { every = "1s", text = "{token}:{seq}" }\nexpect = "echo"\n'
    )
    (user,) = s.users
    assert [t.name for t in user.on_start] == ["login"] and isinstance(user.tasks[0], HttpTask)
    assert user.websocket is not None and user.websocket.name == "chat"
    assert user.websocket.headers == (("Authorization", "Bearer {token}"),)
    assert user.websocket.send == WsMessage("text", "{token}:{seq}", templated=True)
    # A class with only on_start and a stream is valid too (log in, then stream).
    alone = load(NAME + TARGET + '[[users]]\n[[users.on_start]]\npath = "/l"\n[users.websocket]\n')
    assert alone.users[0].websocket == WebSocketSpec(name="user1")


def test_stream_names_default_to_the_class_and_must_differ() -> None:
    s = load(
        NAME + TARGET + '[[users]]\nname = "a"\n[users.websocket]\n'
        '[[users]]\nname = "b"\n[users.websocket]\nname = "feed"\n'
    )
    assert [u.websocket.name for u in s.users if u.websocket] == ["a", "feed"]


def test_profile_streams() -> None:
    s = load(
        ws('path = "/ws"')
        + '[profiles.mixed]\nstages = [{ duration = "1m", users = 5, streams = 100 },'
        ' { duration = "1m", streams = 300 }, { duration = "10s", users = 2 }]\n'
        '[profiles.open]\nmodel = "open"\nstages = [{ duration = "1m", rate = 5, streams = 7 }]\n'
        '[profiles.guess]\nstages = [{ duration = "1m", rate = 5, streams = 7 }]\n'
    )
    mixed, opened, guessed = s.profiles
    assert mixed.model == "closed"
    assert mixed.stages == (
        Stage(60.0, users=5, spawn_rate=5.0, streams=100),
        Stage(60.0, users=0, spawn_rate=5.0, streams=300),  # stream-only: no users
        Stage(10.0, users=2, spawn_rate=2.0),
    )
    assert opened.stages == guessed.stages == (Stage(60.0, rate=5.0, streams=7),)
    assert guessed.model == "open"


def test_the_bundled_streaming_scenario() -> None:
    s = load_scenario(bundled.directory() / "streaming.toml", env={})
    chatter, watcher, poller = s.users
    chat, feed = chatter.websocket, watcher.websocket
    assert chat is not None and feed is not None and poller.websocket is None
    assert chatter.on_start[0].name == "chat login" and chatter.tasks == ()
    assert isinstance(chatter.on_start[0], HttpTask) and chatter.on_start[0].extract
    assert (chat.name, chat.path) == ("chat", "/ws/echo")
    assert (chat.expect, chat.reply_field) == ("reply", "seq")
    assert chat.send == WsMessage("json", {"seq": "{seq}", "text": "hi"}, templated=True)
    assert chat.every == 0.5 and chat.headers == (("Authorization", "Bearer {token}"),)
    assert chat.reconnect == Reconnect(5, Backoff("exponential", 0.5, 10.0))
    assert (feed.path, feed.expect, feed.send) == ("/ws/push?rate=10&size=64", "stream", None)
    assert poller.tasks and poller.wait.kind == "pacing"
    ramp, many = s.profile("ramp"), s.profile("many-streams")
    assert ramp is not None and many is not None
    assert (ramp.stages[0].users, ramp.stages[0].streams) == (50, 200)
    assert all(st.users == 0 for st in many.stages)
    assert max(st.streams or 0 for st in many.stages) == 10_000
    assert s.thresholds and {t.endpoint for t in s.thresholds} == {None, "chat login"}


# -- errors ------------------------------------------------------------------------------

SEND = 'send = { every = "1s", text = "x" }'
JSEND = 'send = { every = "1s", json = { id = "{seq}", n = 1 } }'
W = "users[0].websocket"

CASES: list[tuple[str, str, str, str]] = [
    # (id, text, path, message fragment)
    ("typo", ws('pth = "/" #<'), f"{W}.pth", 'unknown key. Did you mean "path"?'),
    ("name-empty", ws('name = " " #<'), f"{W}.name", "must not be empty"),
    ("name-type", ws("name = 3 #<"), f"{W}.name", "expected a string"),
    ("path-type", ws("path = 3 #<"), f"{W}.path", "expected a string"),
    ("path-http", ws('path = "http://h:1/ws?a=1" #<'), f"{W}.path",
     'HTTP URL. Use "ws://h:1/ws?a=1", or "/ws?a=1" under the target'),
    ("path-https", ws('path = "https://h/ws" #<'), f"{W}.path", 'Use "wss://h/ws"'),
    ("path-scheme", ws('path = "ftp://h/ws" #<'), f"{W}.path", "scheme must be ws or wss"),
    ("path-relative", ws('path = "ws/echo" #<'), f"{W}.path", "must start with /"),
    ("path-space", ws('path = "/a b" #<'), f"{W}.path", "whitespace"),
    ("path-host", ws('path = "ws:///x" #<'), f"{W}.path", "has no host"),
    ("path-port", ws('path = "ws://h:99999/" #<'), f"{W}.path", "is not a URL"),
    ("path-port0", ws('path = "ws://h:0/" #<'), f"{W}.path", "port 0"),
    ("path-fragment", ws('path = "/ws#top" #<'), f"{W}.path", "no #fragment"),
    ("url-fragment", ws('path = "ws://h/ws#top" #<'), f"{W}.path", "no #fragment"),
    ("path-var", ws('path = "/ws/{room}" #<'), f"{W}.path", "takes no {var}"),
    ("url-var", ws('path = "ws://h/{room}" #<'), f"{W}.path", "takes no {var}"),
    ("protocols-type", ws('subprotocols = "chat" #<'), f"{W}.subprotocols", "expected an array"),
    ("protocol-name", ws('subprotocols = ["a b"] #<'), f"{W}.subprotocols[0]",
     "not a subprotocol name"),
    ("protocol-type", ws('subprotocols = ["a", 2] #<'), f"{W}.subprotocols[1]",
     "expected a string, got integer"),
    ("protocol-twice", ws('subprotocols = ["a", "a"] #<'), f"{W}.subprotocols[1]",
     "listed twice"),
    ("header-own", ws('headers = { Sec-WebSocket-Protocol = "x" } #<'),
     f"{W}.headers.Sec-WebSocket-Protocol", "set by the WebSocket handshake. Use subprotocols"),
    ("header-ext", ws('headers = { sec-websocket-extensions = "x" } #<'),
     f"{W}.headers.sec-websocket-extensions", "Use compression = true"),
    ("header-seq", ws('headers = { X = "{seq}" } #<'), f"{W}.headers.X",
     "once per connection"),
    ("header-name", ws('headers = { "A B" = "x" } #<'), f'{W}.headers."A B"',
     "not a valid header name"),
    ("header-value", ws("headers = { X = 1.5 }", "headers2 = 1 #<"), f"{W}.headers2",
     "unknown key"),
    ("on-connect-type", ws('on_connect = { text = "x" } #<'), f"{W}.on_connect",
     "expected an array of message tables"),
    ("on-connect-item", ws("on_connect = [1] #<"), f"{W}.on_connect[0]",
     "expected a message table"),
    ("on-connect-empty", ws("on_connect = [{}] #<"), f"{W}.on_connect[0]",
     "needs one of text, json, msgpack or binary"),
    ("on-connect-two", ws('on_connect = [{ text = "a", binary = "00" }] #<'),
     f"{W}.on_connect[0].binary", "one body; text is already set"),
    ("on-connect-typo", ws('on_connect = [{ txt = "a" }] #<'), f"{W}.on_connect[0].txt",
     'Did you mean "text"?'),
    ("on-connect-every", ws('on_connect = [{ text = "a", every = "1s" }] #<'),
     f"{W}.on_connect[0].every", "unknown key"),
    ("send-type", ws('send = "ping" #<'), f"{W}.send", "expected a table"),
    ("send-every", ws('send = { text = "ping" } #<'), f"{W}.send.every",
     'missing every (how often to send). Like send = { every = "100ms", text = "ping" }'),
    ("send-every-zero", ws('send = { every = 0, text = "x" } #<'), f"{W}.send.every",
     "positive duration"),
    ("send-every-bad", ws('send = { every = "often", text = "x" } #<'), f"{W}.send.every",
     "cannot read 'often'"),
    ("send-body", ws('send = { every = "1s" } #<'), f"{W}.send", "a message needs one of"),
    ("send-typo", ws('send = { every = "1s", jsn = {} } #<'), f"{W}.send.jsn",
     'Did you mean "json"?'),
    ("text-type", ws("send = { every = 1, text = 5 } #<"), f"{W}.send.text", "expected a string"),
    ("json-date", ws("send = { every = 1, json = { at = 1979-05-27 } } #<"), f"{W}.send.json",
     "cannot encode"),
    ("json-nan", ws("send = { every = 1, json = [nan] } #<"), f"{W}.send.json", "inf or nan"),
    ("msgpack-big", ws("send = { every = 1, msgpack = 18446744073709551616 } #<"),
     f"{W}.send.msgpack", "cannot encode as msgpack"),
    ("binary-hex", ws('send = { every = 1, binary = "0xzz" } #<'), f"{W}.send.binary",
     "not hex bytes"),
    ("binary-type", ws("send = { every = 1, binary = 5 } #<"), f"{W}.send.binary",
     "expected hex bytes or a table, got integer"),
    ("binary-size-missing", ws("send = { every = 1, binary = {} } #<"), f"{W}.send.binary.size",
     "missing size"),
    ("binary-size-negative", ws("send = { every = 1, binary = { size = -1 } } #<"),
     f"{W}.send.binary.size", "at least 0"),
    ("binary-size-float", ws("send = { every = 1, binary = { size = 1.5 } } #<"),
     f"{W}.send.binary.size", "expected an integer"),
    ("binary-size-huge", ws("send = { every = 1, binary = { size = 100000000000 } } #<"),
     f"{W}.send.binary.size", "at most"),
    ("binary-typo", ws("send = { every = 1, binary = { sise = 3 } } #<"),
     f"{W}.send.binary.sise", 'Did you mean "size"?'),
    ("expect-typo", ws('expect = "echos" #<', SEND), f"{W}.expect", 'Did you mean "echo"?'),
    ("expect-reply", ws('expect = "reply" #<', JSEND), f"{W}.expect",
     'Use expect = { reply_field = "id" }'),
    ("expect-type", ws("expect = 5 #<"), f"{W}.expect", "or a table, got integer"),
    ("echo-no-send", ws('expect = "echo" #<'), f"{W}.expect", "nothing is sent"),
    ("reply-missing", ws(JSEND, "expect = {} #<"), f"{W}.expect.reply_field",
     "missing reply_field"),
    ("reply-typo", ws(JSEND, 'expect = { reply_feld = "id" } #<'), f"{W}.expect.reply_feld",
     'Did you mean "reply_field"?'),
    ("reply-empty", ws(JSEND, 'expect = { reply_field = "" } #<'), f"{W}.expect.reply_field",
     "must not be empty"),
    ("reply-type", ws(JSEND, "expect = { reply_field = 1 } #<"), f"{W}.expect.reply_field",
     "expected a string"),
    ("reply-pointer", ws(JSEND, 'expect = { reply_field = "/a~2" } #<'),
     f"{W}.expect.reply_field", "not a JSON pointer"),
    ("reply-no-send", ws('expect = { reply_field = "id" } #<'), f"{W}.expect.reply_field",
     'nothing is sent. Like send = { every = "1s", json = { id = "{seq}" } }'),
    ("reply-text", ws(SEND, 'expect = { reply_field = "id" } #<'), f"{W}.expect.reply_field",
     "but send is text"),
    ("reply-absent", ws(JSEND, 'expect = { reply_field = "seq" } #<'),
     f"{W}.expect.reply_field", "the sent JSON has no field 'seq'"),
    ("reply-pointer-absent", ws(JSEND, 'expect = { reply_field = "/id/x" } #<'),
     f"{W}.expect.reply_field", "has no field"),
    ("reply-constant", ws(JSEND, 'expect = { reply_field = "n" } #<'),
     f"{W}.expect.reply_field", 'cannot be told apart. Set it to "{seq}"'),
    ("reply-session", ws('send = { every = 1, json = { id = "{session}" } }',
                         'expect = { reply_field = "id" } #<'),
     f"{W}.expect.reply_field", "cannot be told apart"),
    ("duration-zero", ws("duration = 0 #<"), f"{W}.duration", "positive duration"),
    ("duration-negative", ws('duration = "-1m" #<'), f"{W}.duration", "negative"),
    ("duration-text", ws('duration = "forever" #<'), f"{W}.duration", "cannot read"),
    ("ping-zero", ws('ping = "0s" #<'), f"{W}.ping", 'positive duration. Use ping = false'),
    ("ping-text", ws('ping = "often" #<'), f"{W}.ping", "cannot read 'often'"),
    ("ping-type", ws("ping = [1] #<"), f"{W}.ping", "expected a duration"),
    ("size-zero", ws("max_message_size = 0 #<"), f"{W}.max_message_size", "at least 1 byte"),
    ("size-huge", ws('max_message_size = "2GiB" #<'), f"{W}.max_message_size", "at most 1GiB"),
    ("size-text", ws('max_message_size = "big" #<'), f"{W}.max_message_size", "cannot read"),
    ("size-float", ws("max_message_size = 1.5 #<"), f"{W}.max_message_size", "expected a size"),
    ("compression", ws('compression = "yes" #<'), f"{W}.compression", "expected true or false"),
    ("reconnect-type", ws("reconnect = 5 #<"), f"{W}.reconnect", "expected a table"),
    ("reconnect-max", ws('reconnect = { backoff = "constant(1s)" } #<'), f"{W}.reconnect.max",
     "missing max"),
    ("reconnect-negative", ws("reconnect = { max = -1 } #<"), f"{W}.reconnect.max",
     "at least 0"),
    ("reconnect-float", ws("reconnect = { max = 1.5 } #<"), f"{W}.reconnect.max",
     "expected an integer"),
    ("reconnect-typo", ws("reconnect = { max = 1, backof = 1 } #<"), f"{W}.reconnect.backof",
     'Did you mean "backoff"?'),
    ("backoff", ws('reconnect = { max = 1, backoff = "linear(1s)" } #<'),
     f"{W}.reconnect.backoff", "unknown backoff kind 'linear'"),
    ("websocket-type", HEAD + "websocket = [] #<\n", "users[0].websocket", "expected a table"),
    ("stream-dup", NAME + TARGET + '[[users]]\nname = "a"\n[users.websocket]\n'
     '[[users]]\nname = "b"\n[users.websocket]\nname = "a" #<\n', "users[1].websocket.name",
     "duplicate stream name 'a' (also users[0])"),
    ("streams-no-ws", NAME + TARGET + '[[users]]\n[[users.tasks]]\npath = "/"\n[profiles.p]\n'
     'stages = [{ duration = "1m", users = 1 }, { duration = "1m", streams = 5 }] #<\n',
     "profiles.p.stages[1].streams", "no user class has a [users.websocket]"),
    ("streams-negative", ws() + '[profiles.p]\nstages = [{ duration = "1m", streams = -5 }] #<\n',
     "profiles.p.stages[0].streams", "at least 0"),
    ("streams-float", ws() + '[profiles.p]\nstages = [{ duration = "1m", streams = 1.5 }] #<\n',
     "profiles.p.stages[0].streams", "expected an integer"),
    ("stage-empty", ws() + '[profiles.p]\nstages = [{ duration = "1m" }] #<\n',
     "profiles.p.stages[0].users", "missing users for a closed-model stage. Add users = N "
     "(or streams = N)"),
    ("open-streams-rate", ws() + '[profiles.p]\nmodel = "open"\n'
     'stages = [{ duration = "1m", streams = 3 }] #<\n', "profiles.p.stages[0].rate",
     "missing rate"),
]  # fmt: skip


def marked_line(text: str) -> int | None:
    return next((i for i, line in enumerate(text.splitlines(), 1) if "#<" in line), None)


@pytest.mark.parametrize(
    ("text", "path", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_error_path(text: str, path: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "case.toml", env={})
    match = [p for p in info.value.problems if p.path == path]
    assert match, f"no problem at {path}: {info.value}"
    problem = match[0]
    assert fragment in problem.format(), problem.format()
    assert problem.file == "case.toml"
    assert problem.line == marked_line(text), info.value.format()


def test_the_case_ids_are_unique() -> None:
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


def test_every_problem_of_a_stream_at_once_in_line_order() -> None:
    text = (
        ws(
            'path = "http://h/ws"',  # 7
            "send = { json = { a = 1 } }",  # 8
            'expect = { reply_field = "a" }',  # 9
            "ping = 0",  # 10
            'reconnect = { max = -2, backoff = "never" }',  # 11
        )
        + '[profiles.p]\nstages = [{ duration = "1m", streams = -1 }]\n'  # 12-13
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "multi.toml", env={})
    got = [(p.line, p.path) for p in info.value.problems]
    assert got == [
        (7, f"{W}.path"),
        (8, f"{W}.send.every"),
        (9, f"{W}.expect.reply_field"),
        (10, f"{W}.ping"),
        (11, f"{W}.reconnect.max"),
        (11, f"{W}.reconnect.backoff"),
        (13, "profiles.p.stages[0].streams"),
    ]
    assert str(info.value).splitlines()[0] == (
        "multi.toml:7: users[0].websocket.path: 'http://h/ws' is an HTTP URL. Use \"ws://h/ws\","
        ' or "/ws" under the target (its http becomes ws, https wss)'
    )


# -- property tests ----------------------------------------------------------------------

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WS_KEYS = [
    "name", "path", "subprotocols", "headers", "on_connect", "send", "expect", "duration",
    "ping", "max_message_size", "compression", "reconnect", "text", "json", "msgpack",
    "binary", "size", "every", "reply_field", "max", "backoff",
]  # fmt: skip
STRINGS = [
    "/", "/ws", "ws://127.0.0.1:1/x", "wss://h", "http://h/", "ws://", "ws://h:0", "{seq}",
    "{session}", "{token}", "{{", "none", "echo", "stream", "reply", "off", "100ms", "0s",
    "-1s", "64KiB", "1MiB", "2GiB", "exponential(0.5s, 10s)", "constant(1s)", "deadbeef",
    "zz", "id", "/id", "/a~2", "Bearer {token}", "",
]  # fmt: skip
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
scalars = st.one_of(
    st.sampled_from(STRINGS),
    text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.booleans(),
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(WS_KEYS), text), inner, max_size=4),
    ),
    max_leaves=20,
)
tables = st.dictionaries(st.one_of(st.sampled_from(WS_KEYS), text), trees, max_size=8)


# Closer to real tables: known keys, mostly valid values, so that many of them load.
def pick(*values: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(values)


message = st.one_of(
    pick({"text": "ping"}, {"text": "{seq} {{"}, {"binary": "cafe"}, {"binary": {"size": 9}}),
    pick({"json": {"id": "{seq}"}}, {"msgpack": [1, "{session}"]}, {"json": 3}),
    pick({}, {"text": 3}, {"binary": "zz"}, {"text": "a", "json": 1}),
)
every = st.fixed_dictionaries({"every": pick("100ms", "1s", 2, 0, "x")})
near_valid = st.fixed_dictionaries(
    {},
    optional={
        "name": pick("chat", "", 3),
        "path": pick("/", "/ws?x=1", "ws://h:1/x", "wss://h", "http://h/", "ws://", "x"),
        "subprotocols": pick([], ["v1", "v2"], ["v1", "v1"], "v1"),
        "headers": pick({}, {"X": "{token}"}, {"Host": "h"}, {"X": "{seq}"}),
        "on_connect": st.lists(message, max_size=2),
        "send": st.builds(lambda m, e: {**m, **e}, message, every),
        "expect": pick("none", "echo", "stream", "reply", {"reply_field": "id"},
                       {"reply_field": "/id"}, {"reply_field": "x"}, {}),
        "duration": pick("30s", 1, 0, "-1s"),
        "ping": pick("20s", False, "off", True, 0, "x"),
        "max_message_size": pick("64KiB", 1024, 0, "2GiB", "x"),
        "compression": pick(True, False, "yes"),
        "reconnect": pick({"max": 3}, {"max": 1, "backoff": "constant(1s)"}, {}, {"max": -1},
                          {"max": 2, "backoff": "exponential(1s, 5s)"}, {"max": 1, "backoff": 0}),
    },
)  # fmt: skip


def scenario_with(table: Any, streams: Any = None) -> dict[str, Any]:
    stage: dict[str, Any] = {"duration": "1m"}
    if streams is not None:
        stage["streams"] = streams
    else:
        stage["users"] = 1
    return {
        "targets": {"t": {"url": "http://127.0.0.1:1"}},
        "users": [{"name": "u", "websocket": table}],
        "profiles": {"p": {"stages": [stage]}},
    }


def check(data: dict[str, Any]) -> None:
    try:
        s = build_scenario(data, "p.toml", "", {})
    except ScenarioError as exc:
        assert exc.problems and all(p.path for p in exc.problems)
        return
    spec = s.users[0].websocket
    assert isinstance(spec, WebSocketSpec) and spec.name
    assert spec.expect in ("none", "echo", "reply", "stream")
    assert (spec.expect == "reply") == (spec.reply_field is not None)
    assert spec.send is None or spec.every > 0
    assert spec.ping is None or spec.ping > 0
    assert 1 <= spec.max_message_size <= 1 << 30 and spec.reconnect.max >= 0
    for msg in (*spec.on_connect, *([spec.send] if spec.send else [])):
        assert isinstance(msg.value, bytes) == (msg.kind == "binary")


@FAST
@given(st.one_of(tables, near_valid), st.one_of(st.none(), scalars))
def test_random_websocket_tables_raise_only_scenario_error(table: Any, streams: Any) -> None:
    check(scenario_with(table, streams))


FULL: dict[str, Any] = {
    "name": "chat",
    "path": "/ws/echo",
    "subprotocols": ["v1"],
    "headers": {"Authorization": "Bearer {token}"},
    "on_connect": [{"text": "hi"}, {"binary": {"size": 3}}, {"msgpack": {"a": 1}}],
    "send": {"every": "1s", "json": {"id": "{seq}"}},
    "expect": {"reply_field": "id"},
    "duration": "1m",
    "ping": "10s",
    "max_message_size": "64KiB",
    "compression": False,
    "reconnect": {"max": 3, "backoff": "exponential(1s, 5s)"},
}


def test_the_mutation_base_is_valid() -> None:
    s = build_scenario(scenario_with(FULL, 10), "p.toml", "", {})
    assert s.users[0].websocket is not None and s.profiles[0].stages[0].streams == 10


@FAST
@given(st.sampled_from(paths_of(FULL)[1:]), trees, st.booleans())
def test_mutations_of_a_full_table_raise_only_scenario_error(
    path: tuple[Any, ...], value: Any, delete: bool
) -> None:
    table, parent = copy_to(FULL, path)
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    check(scenario_with(table))
