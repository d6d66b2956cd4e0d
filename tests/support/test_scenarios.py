"""The tests' scenario builder writes TOML that reads back as the values it was given."""

from __future__ import annotations

import tomllib

from support.scenarios import api_delay, get, load, post, scenario, user


def test_values_read_back_as_given() -> None:
    login = post(
        "/login",
        "log in",
        json={"user": 'ann "\\" \r\n\t\x00\x7f é', "n": 3, "x": 1.5, "ok": True},
        extract=[{"var": "token", "json": "/token"}],
    )
    text = scenario(
        user(api_delay(5, weight=2), on_start=(login,), wait="constant(1s)"),
        user(name="chat", websocket={"path": "/ws", "send": {"every": "1s", "text": "{seq}"}}),
        profiles={"open one": {"model": "open", "stages": [{"duration": "1s", "rate": 1e9}]}},
        thresholds={"p99": "< 5s", "endpoints": {"GET /a b": {"p99.9": "< 1s"}}},
        http2=True,
    )
    data = tomllib.loads(text)
    first, chat = data["users"]
    assert first["on_start"][0]["json"]["user"] == 'ann "\\" \r\n\t\x00\x7f é'
    (delay,) = first["tasks"]
    assert delay == {"name": "delay", "path": "/api/delay", "query": {"ms": "5"}, "weight": 2}
    assert chat["websocket"]["send"] == {"every": "1s", "text": "{seq}"}
    assert data["profiles"]["open one"]["stages"] == [{"duration": "1s", "rate": 1e9}]
    assert data["thresholds"]["endpoints"]["GET /a b"] == {"p99.9": "< 1s"}
    assert data["targets"]["demo"] == {"url": "${LOADTUI_TARGET}", "http2": True}


def test_none_leaves_a_key_out_and_load_fills_in_the_target() -> None:
    text = scenario(user(get("/x", name=None, checks=None)))
    assert tomllib.loads(text)["users"] == [{"name": "u", "tasks": [{"path": "/x"}]}]
    plan = load(text, "http://127.0.0.1:8080")
    assert plan.targets[0].url == "http://127.0.0.1:8080"
    assert plan.users[0].tasks[0].name == "GET /x"
