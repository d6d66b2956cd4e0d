"""What the session header keeps of bodies and WebSocket messages: the values of
credential-like keys (import's rule) and of `--redact` names hidden at any depth, every
other value and the shape kept, and a body with nothing to hide kept byte for byte."""

from __future__ import annotations

import base64
import json
from typing import Any

import msgpack
import pytest

from loadtui.scenario import load_scenario_text
from loadtui.scenario.model import HttpTask, WebSocketSpec, WsMessage
from loadtui.session.codec import HIDDEN
from loadtui.session.redact import Redaction
from loadtui.session.redact_bodies import SecretKeys, hide_body, hide_text, hide_value

KEYS = SecretKeys(frozenset({"pin"}))


def header_task(task: object, redaction: Redaction | None = None) -> dict[str, Any]:
    """The task as the session header writes it."""
    assert isinstance(task, HttpTask)
    out: dict[str, Any] = (redaction or Redaction()).jsonable(task)
    return out


def body_of(task: dict[str, Any]) -> bytes:
    return base64.b64decode(task["body"]["b64"])


def test_values_under_secret_keys_are_hidden_at_any_depth_with_their_shape() -> None:
    value = {
        "user": "u1",
        "Password": "pw",
        "profile": {"age": 7, "apiKey": "k", "pin": 1234, "none": None},
        "items": [{"token": "t", "id": 1}],
        "credentials": {"user": "u", "list": ["a", 2, None]},
    }
    assert hide_value(value, KEYS) == {
        "user": "u1",
        "Password": HIDDEN,
        "profile": {"age": 7, "apiKey": HIDDEN, "pin": HIDDEN, "none": None},
        "items": [{"token": HIDDEN, "id": 1}],
        "credentials": {"user": HIDDEN, "list": [HIDDEN, HIDDEN, None]},  # all below it
    }


@pytest.mark.parametrize(
    ("text", "content_type", "shown"),
    [
        ('{"password": "pw", "a": [1]}', None, '{"password":"***","a":[1]}'),
        ('  {"a": 1}  ', "application/json", '  {"a": 1}  '),  # nothing hidden: as written
        ("user=u&password=p%20w&x", None, "user=u&password=***&x"),
        ("user=u&pass%77ord=pw", None, "user=u&pass%77ord=***"),  # the name percent-decoded
        ("a b&secret=1", "application/x-www-form-urlencoded", "a b&secret=***"),
        ("<login><password>pw</password></login>", "text/xml", HIDDEN),  # cannot tell apart
        ("my pin is 1234", None, HIDDEN),  # a --redact name, mentioned
        ("hello from loadtui", None, "hello from loadtui"),
        ("password", None, HIDDEN),  # a bare word is no form
        ('{"password": "{pw}"', None, HIDDEN),  # not JSON after all, but it mentions one
    ],
)
def test_raw_text_is_read_as_json_then_as_a_form(
    text: str, content_type: str | None, shown: str
) -> None:
    assert hide_text(text, KEYS, content_type) == shown


def test_encoded_bodies_are_hidden_and_encoded_the_same_way() -> None:
    packed = msgpack.packb({"api_key": b"\x00raw", "n": [1, 2.5], 7: "int key"})
    shown = msgpack.unpackb(hide_body(packed, "msgpack", None, KEYS), strict_map_key=False)
    assert shown == {"api_key": HIDDEN, "n": [1, 2.5], 7: "int key"}
    plain = msgpack.packb({"n": 1})
    assert hide_body(plain, "msgpack", None, KEYS) is plain
    assert hide_body(b"\xc1", "msgpack", None, KEYS) == b"\xc1"  # not msgpack: as it was
    assert hide_body(b"{nope", "json", None, KEYS) == b"{nope"
    assert hide_body("ü password".encode("latin-1"), None, None, KEYS) == HIDDEN.encode()


def test_a_loaded_scenario_hides_json_templates_and_raw_bodies() -> None:
    scen = load_scenario_text(
        """
        name = "s"
        [targets.t]
        url = "http://127.0.0.1:9"
        [[users]]
        name = "u"
        variables = { uid = "1" }
        [[users.tasks]]
        name = "json"
        method = "POST"
        path = "/a"
        json = { user = "{uid}", secret = "s3", deep = [{ refresh_token = "r" }] }
        [[users.tasks]]
        name = "raw"
        method = "POST"
        path = "/b"
        body = "password={uid}-x&keep=1"
        [[users.tasks]]
        name = "plain"
        method = "POST"
        path = "/c"
        json = { keep = "me", n = 2 }
        [profiles.p]
        stages = [{ duration = "1s", users = 1 }]
        """,
        env={},
    )
    tasks = {t.name: t for t in scen.users[0].tasks}
    templated = header_task(tasks["json"])
    assert templated["body_template"] == {
        "user": "{uid}",
        "secret": HIDDEN,
        "deep": [{"refresh_token": HIDDEN}],
    }
    raw = header_task(tasks["raw"])
    assert raw["body_template"] == "password=***&keep=1"
    plain = header_task(tasks["plain"])
    assert body_of(plain) == tasks["plain"].body  # byte for byte
    named = header_task(tasks["plain"], Redaction.extra(variables=["KEEP"]))
    assert json.loads(body_of(named)) == {"keep": HIDDEN, "n": 2}  # any --redact name


def test_websocket_messages_are_hidden_like_bodies() -> None:
    spec = WebSocketSpec(
        name="chat",
        on_connect=(
            WsMessage("json", {"type": "auth", "token": "t0k"}),
            WsMessage("text", '{"password": "pw"}'),
            WsMessage("msgpack", {"secret": [1, 2]}, templated=True),
            WsMessage("binary", b"password"),  # bytes: not judged
        ),
        send=WsMessage("text", "ping"),
    )
    out = Redaction().jsonable(spec)
    values = [m["value"] for m in out["on_connect"]]
    assert values[:3] == [
        {"type": "auth", "token": HIDDEN},
        '{"password":"***"}',
        {"secret": [HIDDEN, HIDDEN]},
    ]
    assert base64.b64decode(values[3]["b64"]) == b"password"
    assert out["send"]["value"] == "ping"
