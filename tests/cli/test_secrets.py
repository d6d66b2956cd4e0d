"""Secrets never leave: a run whose secrets sit in the URL's password, headers, a query
parameter, a cookie, a user variable and a token extracted from the login, then every
output of `run`, `report` and `compare`, files and streams, grepped for each of them.

The target is a loopback server that records what it received, so the same run also
shows the wire side: a clean Host header, and Basic auth from the URL (the target says
`auth = "basic"`) only where no header of the scenario sets Authorization. Then the
errors that print a URL: an unreachable target, a malformed URL in the file or --target.
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.cli import loadtui
from support.loopback import refusing_port
from support.recording import RecordingTarget

# User names in URLs (user:password@host); the host is always 127.0.0.1.
ALICE, BOB = "alice", "bob"
SECRET = {
    name: f"{name}{secrets.token_hex(8)}"
    for name in (
        "UrlPw",
        "ApiKey",
        "Custom",
        "Query",
        "Cookie",
        "Static",
        "Var",
        "Token",
        "OldPw",
        "Check",
    )
}
BASIC = "Basic " + base64.b64encode(f"alice:{SECRET['UrlPw']}".encode()).decode()

SCENARIO = f"""
name = "secrets"

[targets.api]
url = "${{SECRET_TARGET}}"
auth = "basic"
headers = {{ X-Api-Key = "{SECRET["ApiKey"]}", X-Custom-Secret = "{SECRET["Custom"]}" }}

[[users]]
name = "shopper"
wait = "constant(0.1s)"
order = "sequence"  # every task reaches the server (picked at random: 1 run in 800 did not)
variables = {{ signing = "{SECRET["Var"]}" }}

[[users.on_start]]
name = "login"
method = "POST"
path = "/api/login"
json = {{ user = "alice", password = "not-a-secret-here" }}
extract = [{{ var = "token", json = "/token" }}]

[[users.tasks]]
name = "me"
path = "/api/me"
headers = {{ Authorization = "Bearer {{token}}" }}

[[users.tasks]]
name = "search"
path = "/api/search"
query = {{ sig = "{SECRET["Query"]}", page = "1" }}
headers = {{ Cookie = "sid={SECRET["Cookie"]}", X-Sign = "{{signing}}" }}

[[users.tasks]]
name = "admin"
path = "/api/admin"
headers = {{ Authorization = "Bearer {SECRET["Static"]}" }}

[[users.tasks]]
name = "plain"
path = "/api/plain"
# a check's expected value for a credential header is as secret as the header
checks = {{ on_rate_limited = {{ headers = {{ authorization = "equals:{SECRET["Check"]}" }} }} }}

[profiles.short]
stages = [{{ iterations = 4, users = 2, spawn_rate = 100 }}]
"""


@dataclass
class Outputs:
    folder: Path  # every file the commands wrote
    streams: dict[str, str]  # "run stdout", "report stderr", ...
    server: RecordingTarget
    url: str  # the target URL as given, password and all


def keep(streams: dict[str, str], name: str, proc: subprocess.CompletedProcess[str]) -> None:
    streams[f"{name} stdout"] = proc.stdout
    streams[f"{name} stderr"] = proc.stderr


def as_old_session(session: Path, old: Path, url: str) -> None:
    """`session` as a loadtui from before redaction would have left it: the header's
    target URL with its password in clear (reading old sessions must hide it too)."""
    header, *rest = session.read_text().splitlines()
    data = json.loads(header)
    data["target"]["url"] = url
    old.write_text("\n".join([json.dumps(data), *rest]) + "\n")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    given = tmp_path_factory.mktemp("given")  # the scenario holds its secrets: apart
    (given / "s.toml").write_text(SCENARIO)
    out = tmp_path_factory.mktemp("out")
    streams: dict[str, str] = {}
    server = RecordingTarget(token=SECRET["Token"])
    with server:
        url = server.url.replace("http://", f"http://{ALICE}:{SECRET['UrlPw']}@")
        run = loadtui(
            "run",
            str(given / "s.toml"),
            "--session",
            "s.json",
            "--report-json",
            "r.json",
            "--report-md",
            "r.md",
            "--csv",
            "csv/c",
            "--junit",
            "j.xml",
            "--redact",
            "X-Custom-Secret",
            "--redact",
            "sig",
            "--redact",
            "signing",
            cwd=out,
            env={"SECRET_TARGET": url},
        )
        keep(streams, "run", run)
        assert run.returncode == 0, run.stderr
    report = loadtui(
        "report",
        "s.json",
        "--report-json",
        "r2.json",
        "--report-md",
        "r2.md",
        "--csv",
        "csv/r2",
        "--junit",
        "j2.xml",
        "--svg",
        "r.svg",
        cwd=out,
    )
    keep(streams, "report", report)
    assert report.returncode == 0, report.stderr
    old_url = url.replace(SECRET["UrlPw"], SECRET["OldPw"]).replace("alice", "bob")
    as_old_session(out / "s.json", given / "old.json", old_url)
    old = loadtui(
        "report", str(given / "old.json"), "--report-json", "old.json", "--svg", "old.svg", cwd=out
    )
    keep(streams, "old report", old)
    assert old.returncode == 0, old.stderr
    compare = loadtui("compare", "s.json", str(given / "old.json"), "--report-md", "c.md", cwd=out)
    keep(streams, "compare", compare)
    assert compare.returncode == 2, compare.stderr  # another target: not comparable
    return Outputs(out, streams, server, url)


def test_no_secret_in_any_output_file_or_stream(outputs: Outputs) -> None:
    files = sorted(p for p in outputs.folder.rglob("*") if p.is_file())
    names = {p.name for p in files}
    expected = {"s.json", "r.json", "r.md", "j.xml", "r2.json", "r2.md", "j2.xml", "r.svg"}
    assert expected | {"old.json", "old.svg", "c.md"} <= names
    assert any(n.startswith("c_") and n.endswith(".csv") for n in names)
    texts = {str(p.relative_to(outputs.folder)): p.read_text() for p in files}
    texts.update(outputs.streams)
    assert all(texts[s] for s in ("run stdout", "run stderr", "compare stdout"))
    leaks = [
        f"{secret_name} in {where}"
        for where, text in texts.items()
        for secret_name, value in {**SECRET, "Basic": BASIC.split()[1]}.items()
        if value in text
    ]
    assert leaks == []


def test_outputs_show_the_url_with_its_password_hidden(outputs: Outputs) -> None:
    shown = outputs.url.replace(SECRET["UrlPw"], "***")
    report = json.loads((outputs.folder / "r.json").read_text())
    assert report["target"] == shown
    assert report["requests"] > 0 and report["failures"] == 0  # the run did send them all
    assert json.loads((outputs.folder / "r2.json").read_text())["target"] == shown
    assert json.loads((outputs.folder / "old.json").read_text())["target"].startswith(
        f"http://{BOB}:***@"
    )
    assert f"against {shown}" in outputs.streams["run stderr"]  # the run's first event
    assert shown in outputs.streams["run stdout"]  # the summary table
    assert f"http://{BOB}:***@" in outputs.streams["compare stdout"]  # "not comparable: target"
    header = json.loads((outputs.folder / "s.json").read_text().splitlines()[0])
    assert header["target"]["url"] == shown
    assert header["target"]["headers"] == {"X-Api-Key": "***", "X-Custom-Secret": "***"}
    user = header["scenario"]["users"][0]
    assert user["variables"] == {"signing": "***"}
    assert user["tasks"][1]["query"] == {"sig": "***", "page": "1"}


def test_the_wire_got_a_clean_host_and_basic_auth_only_where_no_header_said(
    outputs: Outputs,
) -> None:
    server = outputs.server
    host = f"127.0.0.1:{server.port}"
    assert server.requests and all(r.values("host") == [host] for r in server.requests)
    expected = {
        "/api/login": [BASIC],
        "/api/plain": [BASIC],
        "/api/search": [BASIC],
        "/api/me": [f"Bearer {SECRET['Token']}"],  # the extracted token, sent on
        "/api/admin": [f"Bearer {SECRET['Static']}"],
    }
    for path, authorization in expected.items():
        seen = server.seen(path)
        assert seen, f"nothing reached {path}"
        assert all(r.values("authorization") == authorization for r in seen), path
    search = server.seen("/api/search")[0]
    assert f"sig={SECRET['Query']}" in search.target
    assert search.values("cookie") == [f"sid={SECRET['Cookie']}"]
    assert search.values("x-sign") == [SECRET["Var"]]
    assert search.values("x-api-key") == [SECRET["ApiKey"]]


@pytest.mark.parametrize("given_as", ["file", "env", "--target"])
def test_an_unreachable_target_is_named_without_its_password(given_as: str, tmp_path: Path) -> None:
    with refusing_port() as port:
        url = f"http://{ALICE}:{SECRET['UrlPw']}@127.0.0.1:{port}"
        given = url if given_as == "file" else "${SECRET_TARGET}"
        text = SCENARIO.replace("${SECRET_TARGET}", given)
        (tmp_path / "s.toml").write_text(text)
        extra = ["--target", url] if given_as == "--target" else []
        env = {"SECRET_TARGET": url}
        proc = loadtui("run", "s.toml", "-t", "1s", *extra, cwd=tmp_path, env=env)
    assert proc.returncode == 3, proc.stderr
    assert "unreachable" in proc.stderr
    assert url.replace(SECRET["UrlPw"], "***") in proc.stderr
    assert SECRET["UrlPw"] not in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


HALVES = (f"Half{secrets.token_hex(4)}", f"Half{secrets.token_hex(4)}")


@pytest.mark.parametrize(
    ("where", "url"),
    [
        ("--target", "http://" + ALICE + ":{0}/{1}@127.0.0.1:1"),  # a raw '/' breaks the port
        ("--target", "ftp://alice:{0}{1}@127.0.0.1:1"),
        ("--target", "http://alice:{0}{1}@127.0.0.1:1?x=1"),
        ("file", "http://alice:{0}?{1}@127.0.0.1:1"),  # a raw '?' starts a query
        ("file", "http://alice:{0}#{1}@127.0.0.1:1"),
        ("file", "http://" + ALICE + ":{0}/{1}@127.0.0.1:1"),
    ],
)
def test_a_malformed_url_is_refused_without_showing_its_password(
    where: str, url: str, tmp_path: Path
) -> None:
    url = url.format(*HALVES)
    text = SCENARIO.replace("${SECRET_TARGET}", url if where == "file" else "http://h:1")
    (tmp_path / "s.toml").write_text(text)
    if where == "file":
        proc = loadtui("validate", "s.toml", cwd=tmp_path)
    else:
        proc = loadtui("run", "s.toml", "--target", url, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "alice:***@" in proc.stderr and "Traceback" not in proc.stderr
    assert not any(half in proc.stderr + proc.stdout for half in HALVES)
