"""`${ENV}` values reach the server as they are, braces and all, in `loadtui run` as a
user runs it: a password with `{a}` in it, a JSON text, a token shaped like a
placeholder go out in the target's and the task's headers, the query and a JSON body of
a task that also has placeholders of its own (so every field is rendered per request)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from support.cli import loadtui
from support.recording import RecordingTarget

SECRET = 'p{a}ss {user_id} {accounts.email} {{x}} {"k": [1]} {'
TOKEN = "t{o}k{uuid}"
SCENARIO = """\
[targets.t]
url = "${LOADTUI_TARGET}"
headers = { Authorization = "Bearer ${TOKEN}" }

[[users]]
[[users.tasks]]
name = "send"
method = "POST"
path = "/api/echo"
query = { q = "${SECRET}", u = "{user_id}" }
headers = { X-Pass = "${SECRET}" }
json = { pw = "${SECRET}", who = "{user_id}" }
"""
# The demo target echoes the body it got: these checks hold only if it got the secret.
CHECKS = 'checks = { json = { "/pw" = "${SECRET}", "/who" = "1" } }\n'


def run(folder: Path, text: str, url: str) -> dict[str, object]:
    (folder / "s.toml").write_text(text)
    proc = loadtui(
        "run", "s.toml", "-u", "1", "-i", "2", "--report-json", "r.json",
        cwd=folder, env={"LOADTUI_TARGET": url, "SECRET": SECRET, "TOKEN": TOKEN},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report: dict[str, object] = json.loads((folder / "r.json").read_text())
    return report


def test_the_demo_target_gets_the_env_value_in_the_body(demo_url: str, tmp_path: Path) -> None:
    report = run(tmp_path, SCENARIO + CHECKS, demo_url)
    assert report["requests"] == 2 and report["failures"] == 0, report["errors"]


def test_headers_query_and_body_carry_the_env_value_as_is(tmp_path: Path) -> None:
    with RecordingTarget() as server:
        report = run(tmp_path, SCENARIO, server.url)
        seen = server.seen("/api/echo")
    assert report["failures"] == 0, report["errors"]
    assert len(seen) == 2
    for got in seen:
        assert got.values("Authorization") == [f"Bearer {TOKEN}"]
        assert got.values("X-Pass") == [SECRET]
        assert parse_qs(urlsplit(got.target).query) == {"q": [SECRET], "u": ["1"]}
        assert json.loads(got.body) == {"pw": SECRET, "who": "1"}
