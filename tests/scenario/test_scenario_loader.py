"""What a valid scenario turns into: defaults, bodies, templates, ${ENV}, profiles."""

from __future__ import annotations

import json
from pathlib import Path

import msgpack
import pytest

from loadtui.scenario import ScenarioError, load_scenario, load_scenario_text
from loadtui.scenario.model import (
    Burst,
    Checks,
    Extract,
    HttpTask,
    Profile,
    Stage,
    Target,
    Threshold,
    Timeouts,
    Wait,
    WebSocketSpec,
    WsMessage,
)
from loadtui.scenario.template import render, render_value

MINIMAL = """\
name = "bench"
[targets.local]
url = "http://127.0.0.1:8080"
[[users]]
name = "u"
wait = "none"
[[users.tasks]]
name = "root"
method = "GET"
path = "/"
[profiles.flat]
stages = [{ duration = "8s", users = 32, spawn_rate = 1000 }]
[thresholds]
p99 = "< 500ms"
"""

HEAD = 'name = "s"\n[targets.t]\nurl = "http://127.0.0.1:1"\n[[users]]\nname = "u"\n'


def load(text: str, **env: str):  # type: ignore[no-untyped-def]
    return load_scenario_text(text, "s.toml", env=env)


def only_task(text: str) -> HttpTask:
    task = load(HEAD + "[[users.tasks]]\n" + text).users[0].tasks[0]
    assert isinstance(task, HttpTask)
    return task


def test_minimal_form_loads_as_is(tmp_path: Path) -> None:
    file = tmp_path / "bench.toml"
    file.write_text(MINIMAL)
    s = load_scenario(file, env={})
    assert s.name == "bench" and s.path == str(file)
    assert s.targets == (Target("local", "http://127.0.0.1:8080"),)
    (user,) = s.users
    assert user.name == "u" and user.wait == Wait("none") and user.weight == 1.0
    assert user.tasks == (HttpTask(name="root", method="GET", path="/"),)
    assert s.profiles == (Profile("flat", "closed", (Stage(8.0, users=32, spawn_rate=1000.0),)),)
    assert s.thresholds == (Threshold("p99", "<", 500.0, None, "< 500ms"),)
    assert s.thresholds[0].label == "p99 < 500ms"


def test_defaults() -> None:
    s = load(
        'name = "d"\n[targets.t]\nurl = "https://localhost/base/"\n'
        '[[users]]\n[[users.tasks]]\npath = "/x"\n[[users.tasks]]\nmethod = "post"\npath = "/y"\n'
        '[profiles.a]\nstages = [{ duration = "1m", users = 5 }, { duration = "1m", users = 0 }]\n'
        "[profiles.b]\nstages = [{ duration = 30, rate = 10 }]\n"
    )
    assert s.targets[0].url == "https://localhost/base"
    user = s.users[0]
    assert user.name == "user1" and user.wait == Wait("none")
    assert [t.name for t in user.tasks] == ["GET /x", "POST /y"]
    assert user.tasks[1].method == "POST"
    a, b = s.profiles
    assert [st.spawn_rate for st in a.stages] == [5.0, 5.0]  # all in ~1 s; down at the last level
    assert a.duration == 120.0
    assert b.model == "open" and b.stages == (Stage(30.0, rate=10.0),)  # inferred from rate


def test_name_defaults_to_file_stem(tmp_path: Path) -> None:
    file = tmp_path / "nightly.toml"
    file.write_text(MINIMAL.replace('name = "bench"\n', ""))
    assert load_scenario(file, env={}).name == "nightly"


def test_targets_full_form() -> None:
    s = load(
        'name = "s"\n'
        "[targets.a]\n"
        'url = "http://127.0.0.1:8080"\nheaders = { X-Api = "k", N = 3 }\ntimeout = "5s"\n'
        "verify_tls = false\nhttp2 = true\nmax_connections = 64\n"
        '[targets.b]\nurl = "wss://127.0.0.1:9443/"\ntimeout = { connect = "1s", total = "2m" }\n'
        '[[users]]\n[[users.tasks]]\npath = "/"\n'
    )
    a, b = s.targets
    assert a == Target("a", "http://127.0.0.1:8080", (("X-Api", "k"), ("N", "3")),
                       Timeouts(5.0, 5.0, 5.0), False, True, 64)  # fmt: skip
    assert b.url == "wss://127.0.0.1:9443"
    assert b.timeouts == Timeouts(connect=1.0, read=30.0, total=120.0)
    assert s.target("b") is b and s.target("zz") is None


def test_json_body_is_encoded_once() -> None:
    t = only_task('method = "POST"\npath = "/api/login"\njson = { user = "a", n = [1, 2] }')
    assert t.body == b'{"user":"a","n":[1,2]}'
    assert t.content_type == "application/json" and t.body_format == "json"
    assert not t.templated and t.body_template is None


def test_msgpack_body_round_trips() -> None:
    t = only_task('method = "POST"\npath = "/p"\nmsgpack = { a = 1, b = ["x", 2.5], c = true }')
    assert t.content_type == "application/x-msgpack" and t.body_format == "msgpack"
    assert msgpack.unpackb(t.body) == {"a": 1, "b": ["x", 2.5], "c": True}


def test_raw_body_and_content_type() -> None:
    t = only_task('method = "PUT"\npath = "/p"\nbody = "a,b\\n1,2"\ncontent_type = "text/csv"')
    assert t.body == b"a,b\n1,2" and t.content_type == "text/csv" and t.body_format == "raw"
    t = only_task('method = "PUT"\npath = "/p"\nbody = "{\\"a\\": {\\"b\\": 1}}"')
    assert t.body == b'{"a": {"b": 1}}' and not t.templated  # plain braces are literal
    assert t.content_type is None
    t = only_task('path = "/p"\njson = [1]\ncontent_type = "application/vnd.x+json"')
    assert t.content_type == "application/vnd.x+json"


def test_placeholders_make_a_task_templated() -> None:
    t = only_task('path = "/items/{id}"\nquery = { q = "{term}", page = 2 }')
    assert t.templated and t.path == "/items/{id}" and t.query == (("q", "{term}"), ("page", "2"))
    assert render(t.path, {"id": "7"}) == "/items/7"
    t = only_task('path = "/me"\nheaders = { Authorization = "Bearer {token}" }')
    assert t.templated and t.body is None
    t = only_task('method = "POST"\npath = "/p"\njson = { user = "{name}", n = 1 }')
    assert t.templated and t.body is None and t.body_format == "json"
    assert t.body_template == {"user": "{name}", "n": 1}
    assert render_value(t.body_template, {"name": "ann"}) == {"user": "ann", "n": 1}
    t = only_task('method = "POST"\npath = "/p/{x}"\njson = { a = "b" }')
    assert t.templated and t.body == b'{"a":"b"}' and t.body_template is None
    t = only_task('method = "POST"\npath = "/p"\nbody = "id={id}"')
    assert t.templated and t.body_template == "id={id}" and t.body_format == "raw"


def test_double_brace_escapes() -> None:
    t = only_task('path = "/a{{b}"\njson = { k = "{{x}" }')
    assert not t.templated and t.path == "/a{b}" and t.body == b'{"k":"{x}"}'
    with pytest.raises(KeyError):
        render("/{missing}", {})


def test_query_lists_and_scalars() -> None:
    t = only_task('path = "/s"\nquery = { tag = ["a", "b"], on = true, x = 1.5 }')
    assert t.query == (("tag", "a"), ("tag", "b"), ("on", "true"), ("x", "1.5"))


def test_checks_extract_and_429() -> None:
    t = only_task(
        'path = "/api/login"\nmethod = "POST"\njson = {}\non_429 = "honour"\n'
        'checks = { status = [200, 201], body_contains = "tok", json = { "/status" = "ok",'
        ' "/items/0/id" = 3, "/a~1b" = true }, max_latency = "500ms" }\n'
        'extract = [{ var = "token", json = "/token" }, { var = "loc", header = "Location" }]'
    )
    assert t.checks == Checks(
        status=frozenset({200, 201}),
        body_contains="tok",
        json_equals=(("/status", "ok"), ("/items/0/id", 3), ("/a~1b", True)),
        max_latency=0.5,
    )
    assert t.extract == (Extract("token", json="/token"), Extract("loc", header="Location"))
    assert t.on_429 == "honor" and t.needs_body and t.needs_headers
    assert only_task('path = "/"\nchecks = { status = 204 }').checks.status == frozenset({204})


def test_user_classes() -> None:
    s = load(
        'name = "s"\n[targets.t]\nurl = "http://127.0.0.1"\n'
        '[[users]]\nname = "a"\nweight = 3\nwait = "uniform(1s, 2s)"\n'
        'variables = { id = "7", n = 2 }\n'
        '[[users.on_start]]\nname = "login"\npath = "/login"\n'
        '[[users.tasks]]\nname = "one"\npath = "/1"\nweight = 0.5\n'
        '[[users]]\nname = "ws"\n[users.websocket]\npath = "/ws/echo"\n'
        'send = { every = "1s", text = "ping" }\n'
        '[[users]]\nname = "b"\n[[users.tasks]]\nname = "one"\npath = "/1"\n'  # shared name ok
    )
    a, ws, b = s.users
    assert a.weight == 3.0 and a.wait == Wait("uniform", 1.0, 2.0)
    assert a.variables == (("id", "7"), ("n", "2"))
    assert [t.name for t in a.on_start] == ["login"] and a.tasks[0].weight == 0.5
    assert ws.tasks == () and ws.websocket == WebSocketSpec(
        name="ws", path="/ws/echo", send=WsMessage("text", "ping"), every=1.0
    )
    assert b.tasks[0].name == "one"


def test_profiles_and_bursts() -> None:
    s = load(
        HEAD + '[[users.tasks]]\npath = "/"\n'
        '[profiles.incident]\ndescription = "x"\nmodel = "open"\nstart_rate = 0.9\n'
        'max_inflight = 100\nrepeat = 2\nstages = [{ duration = "24m", rate = 0.9 }]\n'
        'burst = { every = "60s", length = "10s", rate = 22.5, offset = "30s" }\n'
        '[profiles.heavy]\nstages = [{ duration = "5m", users = 20, spawn_rate = 20 }]\n'
        'burst = { every = "30s", length = "5s", users = 100 }\n'
    )
    incident, heavy = s.profiles
    assert incident == Profile(
        "incident", "open", (Stage(1440.0, rate=0.9),), 2,
        Burst(60.0, 10.0, rate=22.5, offset=30.0), 0.9, 100, "x",
    )  # fmt: skip
    assert incident.duration == 2880.0
    assert heavy.burst == Burst(30.0, 5.0, users=100)
    assert s.profile("heavy") is heavy


def test_endpoint_thresholds() -> None:
    s = load(
        HEAD + '[[users.tasks]]\nname = "root"\npath = "/"\n'
        '[thresholds]\np95 = "<= 2s"\n"p99.9" = "< 3s"\nerror_rate = "< 1%"\n'
        'status_5xx = "== 0"\nrps = "> 100"\n'
        '[thresholds.endpoints.root]\np50 = "< 20ms"\nmax = "< 1s"\n'
    )
    assert [(t.metric, t.op, t.value, t.endpoint) for t in s.thresholds] == [
        ("p95", "<=", 2000.0, None),
        ("p99.9", "<", 3000.0, None),
        ("error_rate", "<", 0.01, None),
        ("status_5xx", "==", 0.0, None),
        ("rps", ">", 100.0, None),
        ("p50", "<", 20.0, "root"),
        ("max", "<", 1000.0, "root"),
    ]
    assert s.thresholds[-1].label == "root: max < 1s"


def test_env_substitution_everywhere() -> None:
    s = load(
        'name = "${NAME}"\n[targets.t]\nurl = "${URL:-http://127.0.0.1:9}"\n'
        'headers = { Authorization = "Bearer ${TOKEN}" }\n'
        '[[users]]\nvariables = { who = "${WHO:-anon}" }\n'
        '[[users.tasks]]\npath = "/x/${SEG}"\njson = { pw = "${PW}", lit = "$${{NOT}" }\n',
        NAME="env", TOKEN="t0k", SEG="seg", PW="p", WHO="",
    )  # fmt: skip
    assert s.name == "env"
    assert s.targets[0].url == "http://127.0.0.1:9"  # default when unset
    assert s.targets[0].headers == (("Authorization", "Bearer t0k"),)
    assert s.users[0].variables == (("who", "anon"),)  # default when empty too
    task = s.users[0].tasks[0]
    assert task.path == "/x/seg" and json.loads(task.body) == {"pw": "p", "lit": "${NOT}"}
    s = load('name = "s"\n[targets.t]\nurl = "${URL:-http://127.0.0.1}"\n[[users]]\n[[users.tasks]]\n'
             'path = "/"\n', URL="https://[::1]:8443/")  # fmt: skip
    assert s.targets[0].url == "https://[::1]:8443"


def test_env_defaults_to_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOADTUI_TEST_URL", "http://127.0.0.1:4321")
    text = MINIMAL.replace("http://127.0.0.1:8080", "${LOADTUI_TEST_URL}")
    assert load_scenario_text(text).targets[0].url == "http://127.0.0.1:4321"
    monkeypatch.delenv("LOADTUI_TEST_URL")
    with pytest.raises(ScenarioError, match="LOADTUI_TEST_URL is not set"):
        load_scenario_text(text)


def test_missing_variables_are_all_named() -> None:
    text = MINIMAL.replace("http://127.0.0.1:8080", "${A_MISSING}").replace(
        '"/"', '"/${B_MISSING}"'
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, env={})
    assert [(p.path, p.line) for p in info.value.problems] == [
        ("targets.local.url", 3),
        ("users[0].tasks[0].path", 10),
    ]
    assert "A_MISSING" in str(info.value) and "B_MISSING" in str(info.value)


def test_websocket_only_user_is_valid_and_bare_user_is_not() -> None:
    s = load(HEAD + '[users.websocket]\npath = "/ws/echo"\n')
    assert s.users[0].websocket == WebSocketSpec(name="u", path="/ws/echo")
    with pytest.raises(ScenarioError, match="has no tasks"):
        load(HEAD)


def test_error_is_an_exception_with_problems() -> None:
    with pytest.raises(ScenarioError) as info:
        load("")
    assert {p.path for p in info.value.problems} == {"targets", "users"}
    assert info.value.format() == str(info.value)
    assert all(p.line is None for p in info.value.problems)
    assert str(info.value).splitlines()[0].startswith("s.toml: ")
