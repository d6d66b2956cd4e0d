"""Secrets in request bodies never reach the session or the reports made from it.

A run sends a login whose JSON body holds a password (and deeper, a client secret and a
token), a templated JSON body, a form body, a msgpack body and a body key named with
`--redact`; the loopback target records what it got. The session header, base64 bodies
decoded, and the JSON and HTML reports of `run` and of `report` hold none of the
secrets, while the wire got every one of them: only the record is hidden.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from pathlib import Path

import msgpack
import pytest
from support.cli import loadtui
from support.recording import RecordingTarget

SECRET = {
    name: f"{name}{secrets.token_hex(6)}"
    for name in ("Pw", "Deep", "Tok", "Tpl", "Form", "Mp", "Pin")
}

SCENARIO = f"""
name = "bodies"

[targets.api]
url = "${{SECRET_TARGET}}"

[[users]]
name = "u"
order = "sequence"
variables = {{ uid = "u1" }}

[[users.tasks]]
name = "login"
method = "POST"
path = "/api/login"

[users.tasks.json]
user = "alice"
password = "{SECRET["Pw"]}"

[users.tasks.json.client]
client_secret = "{SECRET["Deep"]}"
grants = [{{ access_token = "{SECRET["Tok"]}", scope = "read" }}]

[[users.tasks]]
name = "templated"
method = "POST"
path = "/api/templated"
json = {{ user = "{{uid}}", passwd = "{SECRET["Tpl"]}" }}

[[users.tasks]]
name = "form"
method = "POST"
path = "/api/form"
body = "user=alice&password={SECRET["Form"]}&remember=1"
content_type = "application/x-www-form-urlencoded"

[[users.tasks]]
name = "packed"
method = "POST"
path = "/api/packed"
msgpack = {{ api_key = "{SECRET["Mp"]}", n = 1 }}

[[users.tasks]]
name = "custom"
method = "POST"
path = "/api/custom"
json = {{ pin_code = "{SECRET["Pin"]}", user = "alice" }}

[profiles.once]
stages = [{{ duration = "30s", users = 1, spawn_rate = 10 }}]
"""


def decoded(text: str) -> str:
    """`text` with every base64 body of a session header added, decoded."""
    bodies = re.findall(r'"b64":"([A-Za-z0-9+/=]*)"', text)
    return text + "".join(base64.b64decode(b).decode("latin-1") for b in bodies)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RecordingTarget]:
    given = tmp_path_factory.mktemp("given")  # the scenario holds the secrets: apart
    (given / "s.toml").write_text(SCENARIO)
    out = tmp_path_factory.mktemp("out")
    with RecordingTarget() as server:
        run = loadtui(
            "run", str(given / "s.toml"), "-i", "1", "-q",
            "--session", "s.json", "--report-json", "r.json", "--report-html", "r.html",
            "--redact", "pin_code",
            cwd=out, env={"SECRET_TARGET": server.url},
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
    report = loadtui(
        "report", "s.json", "-q", "--report-json", "r2.json", "--report-html", "r2.html", cwd=out
    )
    assert report.returncode == 0, report.stderr
    return out, server


def test_no_body_secret_in_the_session_or_its_reports(
    folder: tuple[Path, RecordingTarget],
) -> None:
    out, _ = folder
    texts = {p.name: p.read_text() for p in out.iterdir()}
    assert set(texts) == {"s.json", "r.json", "r.html", "r2.json", "r2.html"}
    texts["s.json"] = decoded(texts["s.json"])
    leaks = [
        f"{k} in {name}" for name, text in texts.items() for k, v in SECRET.items() if v in text
    ]
    assert leaks == []


def test_the_header_keeps_every_body_shape_and_other_value(
    folder: tuple[Path, RecordingTarget],
) -> None:
    out, _ = folder
    header = json.loads((out / "s.json").read_text().splitlines()[0])
    tasks = {t["name"]: t for t in header["scenario"]["users"][0]["tasks"]}
    body = json.loads(base64.b64decode(tasks["login"]["body"]["b64"]))
    assert body == {
        "user": "alice",
        "password": "***",
        "client": {"client_secret": "***", "grants": [{"access_token": "***", "scope": "read"}]},
    }
    assert tasks["templated"]["body_template"] == {"user": "{uid}", "passwd": "***"}
    form = base64.b64decode(tasks["form"]["body"]["b64"]).decode()
    assert form == "user=alice&password=***&remember=1"
    assert msgpack.unpackb(base64.b64decode(tasks["packed"]["body"]["b64"])) == {
        "api_key": "***",
        "n": 1,
    }
    custom = json.loads(base64.b64decode(tasks["custom"]["body"]["b64"]))
    assert custom == {"pin_code": "***", "user": "alice"}  # named with --redact


def test_the_wire_got_the_real_bodies(folder: tuple[Path, RecordingTarget]) -> None:
    _, server = folder
    login = json.loads(server.seen("/api/login")[0].body)
    assert login["password"] == SECRET["Pw"]
    assert login["client"]["grants"][0]["access_token"] == SECRET["Tok"]
    assert json.loads(server.seen("/api/templated")[0].body)["passwd"] == SECRET["Tpl"]
    assert f"password={SECRET['Form']}".encode() in server.seen("/api/form")[0].body
    assert msgpack.unpackb(server.seen("/api/packed")[0].body)["api_key"] == SECRET["Mp"]
    assert json.loads(server.seen("/api/custom")[0].body)["pin_code"] == SECRET["Pin"]
