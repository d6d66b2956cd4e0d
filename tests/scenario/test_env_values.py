"""A value from the environment is a value, never scenario syntax: braces in a password
or a JSON text substituted by `${ENV}` are not read as `{var}` placeholders (which would
fail "missing variable", be refused by `validate`, or be filled in), wherever the
engine renders placeholders; and fields that are not rendered keep the value as is."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.scenarios import echo_stream, get, post, scenario, user

from loadtui.scenario import load_scenario_text
from loadtui.scenario.errors import ScenarioError
from loadtui.scenario.model import HttpTask, Scenario
from loadtui.scenario.placeholders import renders
from loadtui.scenario.template import render, render_value

# Every form of placeholder, an escape, a JSON text and lone braces: sent as written.
SECRET = 'p{a}ss {accounts.email} {random_int(9, 1)} {{x}} {"k": [1]} {'
ENV = {"LOADTUI_TARGET": "http://127.0.0.1:9", "SECRET": SECRET}
VARS = {"user_id": 7}


def load(text: str, **env: str) -> Scenario:
    return load_scenario_text(text, env={**ENV, **env})


def only_task(s: Scenario) -> HttpTask:
    task = s.users[0].tasks[0]
    assert isinstance(task, HttpTask)
    return task


def test_an_env_value_in_a_templated_task_is_sent_literally() -> None:
    task = post(
        "/u/{user_id}/${PATH}",
        "t",
        query={"q": "${SECRET}", "many": ["${SECRET}", "{user_id}"]},
        headers={"X-Pass": "${SECRET}", "X-User": "{user_id}-${SECRET}"},
        json={"pw": "${SECRET}", "who": "{user_id}", "nested": ["${SECRET}"]},
    )
    task = only_task(load(scenario(user(task)), PATH="a{b}"))
    assert task.templated  # by {user_id}, the scenario's own placeholder
    assert render(task.path, VARS) == "/u/7/a{b}"
    assert [(k, render(v, VARS)) for k, v in task.query] == [
        ("q", SECRET), ("many", SECRET), ("many", "7"),
    ]  # fmt: skip
    assert [(k, render(v, VARS)) for k, v in task.headers] == [
        ("X-Pass", SECRET), ("X-User", f"7-{SECRET}"),
    ]  # fmt: skip
    body = render_value(task.body_template, VARS)
    assert body == {"pw": SECRET, "who": "7", "nested": [SECRET]}


def test_an_env_value_in_a_literal_task_is_encoded_as_is() -> None:
    text = scenario(
        user(
            post("/p", "j", headers={"X-Pass": "${SECRET}"}, json={"pw": "${SECRET}"}),
            post("/p", "raw", body="pw=${SECRET}"),
        )
    )
    json_task, raw_task = load(text).users[0].tasks
    assert isinstance(json_task, HttpTask) and isinstance(raw_task, HttpTask)
    assert not json_task.templated and not raw_task.templated
    assert json_task.headers == (("X-Pass", SECRET),)
    assert json.loads(json_task.body or b"") == {"pw": SECRET}
    assert raw_task.body == f"pw={SECRET}".encode()


def test_an_env_value_in_a_stream_is_sent_literally() -> None:
    stream = echo_stream(
        path="/ws/${ROOM}",
        headers={"X-Pass": "${SECRET}"},
        on_connect=[{"json": {"pw": "${SECRET}", "who": "{user_id}"}}],
        send={"every": "1s", "text": "${SECRET}"},
    )
    ws = load(scenario(user(websocket=stream)), ROOM="r{1}").users[0].websocket
    assert ws is not None
    assert ws.path == "/ws/r{1}"
    assert [(k, render(v, VARS)) for k, v in ws.headers] == [("X-Pass", SECRET)]
    assert ws.on_connect[0].templated  # by {user_id}
    assert render_value(ws.on_connect[0].value, VARS) == {"pw": SECRET, "who": "7"}
    assert ws.send is not None and not ws.send.templated and ws.send.value == SECRET


def test_fields_that_are_not_rendered_keep_the_value_as_it_is() -> None:
    """Target headers, checks, names and variables are never read for placeholders:
    their braces are not doubled."""
    text = scenario(
        user(
            get("/c", "${SECRET}", checks={"body_contains": "${SECRET}"}),
            variables={"pw": "${SECRET}"},
        ),
        headers={"Authorization": "Bearer ${SECRET}"},
    )
    s = load(text)
    assert s.targets[0].headers == (("Authorization", f"Bearer {SECRET}"),)
    assert s.users[0].variables == (("pw", SECRET),)
    task = only_task(s)
    assert task.name == SECRET and task.checks.body_contains == SECRET


def test_the_files_own_placeholders_and_escapes_still_work() -> None:
    """Only what `${...}` brings is escaped: the file's `{var}`, `{{`, `$${{` (a literal
    `${` in a rendered field) and a default (the value of an unset variable, a value
    like any other) keep their meaning."""
    text = scenario(
        user(get("/e", "e", headers={"X-A": "{{lit} {user_id} $${{KEEP} ${UNSET:-d{x}}"}))
    )
    task = only_task(load(text))
    assert render(task.headers[0][1], VARS) == "{lit} 7 ${KEEP} d{x}"


def test_a_placeholder_of_the_file_still_fails_validation_when_wrong() -> None:
    text = scenario(user(get("/v", "v", headers={"X": "${SECRET}{acounts.email}"})))
    with pytest.raises(ScenarioError) as info:
        load(text)
    assert [p.message for p in info.value.problems] == [
        "{acounts.email}: there is no [data.acounts]"
    ]


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        (("users", 0, "tasks", 1, "path"), True),
        (("users", 0, "on_start", 0, "query", "q", 2), True),
        (("users", 2, "on_stop", 0, "json", "a", "b"), True),
        (("users", 0, "tasks", 0, "checks", "body_contains"), False),
        (("users", 0, "tasks", 0, "name"), False),
        (("users", 0, "variables", "pw"), False),
        (("users", 0, "websocket", "headers", "X"), True),
        (("users", 0, "websocket", "path"), True),
        (("users", 0, "websocket", "send", "text"), True),
        (("users", 0, "websocket", "send", "every"), False),
        (("users", 0, "websocket", "on_connect", 1, "msgpack", "k"), True),
        (("users", 0, "websocket", "on_connect", 1, "binary"), False),
        (("users", 0, "websocket", "expect", "reply_field"), False),
        (("targets", "demo", "headers", "Authorization"), False),
        (("users",), False),
    ],
)
def test_which_fields_render(path: tuple[Any, ...], rendered: bool) -> None:
    assert renders(path) is rendered
