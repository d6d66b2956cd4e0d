"""`loadtui import --curl`: a command as a browser's "Copy as cURL" gives it becomes one
task that sends that request, byte for byte, to a loopback server that records it; and
a line that is not a curl command, or asks for what an import must not do (read files),
is one line and exit 2."""

from __future__ import annotations

import base64
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from support.cli import loadtui
from support.recording import RecordingTarget

from loadtui.scenario.curl import parse_curl
from loadtui.scenario.draft import DraftOptions, draft
from loadtui.scenario.recorded import ImportProblem

# As Chrome copies it for bash: line continuations, and $'...' for a body with a quote,
# a line break, non-ASCII escapes and text that looks like a placeholder.
CHROME = r"""curl 'URL/api/orders?page=2&q=a%20b' \
  -H 'accept: application/json' \
  -H 'authorization: Bearer s3cr3t-t0ken' \
  -H 'content-type: application/json' \
  -H 'sec-ch-ua: "Chromium";v="130"' \
  -b 'sid=c00kie; theme=dark' \
  --data-raw $'{"note":"it\'s\\n{user_id} ${HOME} \u00e9\\u00e9"}' \
  --compressed"""
CHROME_BODY = '{"note":"it\'s\\n{user_id} ${HOME} é\\u00e9"}'.encode()


def test_a_copied_command_is_one_request() -> None:
    request = parse_curl(CHROME.replace("URL", "https://shop.example.test"))
    assert request.method == "POST"
    assert request.url == "https://shop.example.test/api/orders?page=2&q=a%20b"
    assert request.body == CHROME_BODY
    assert request.body_type == "application/json"
    assert dict(request.headers)["authorization"] == "Bearer s3cr3t-t0ken"
    assert dict(request.headers)["Cookie"] == "sid=c00kie; theme=dark"


@pytest.mark.parametrize(
    ("command", "method", "url", "body", "headers"),
    [
        ("curl example.com/a", "GET", "http://example.com/a", None, {}),
        ("curl -sSL -XPUT https://h/a -d x=1 -d y=2", "PUT", "https://h/a", b"x=1&y=2", {}),
        ("curl -G https://h/s?a=1 --data 'q=x'", "GET", "https://h/s?a=1&q=x", None, {}),
        ("curl -I https://h/", "HEAD", "https://h/", None, {}),
        (
            """curl https://h/j --json '{"a":1}'""",
            "POST",
            "https://h/j",
            b'{"a":1}',
            {"Accept": "application/json"},
        ),
        (
            "curl --url https://h/ -u ann:pw -H 'X-Empty;' -H 'X-Gone:'",
            "GET",
            "https://h/",
            None,
            {"Authorization": "Basic " + base64.b64encode(b"ann:pw").decode(), "X-Empty": ""},
        ),
        ("curl https://h/ --data-binary $'\\x00\\xff'", "POST", "https://h/", b"\x00\xff", {}),
    ],
)
def test_curl_options_mean_what_they_mean_to_curl(
    command: str, method: str, url: str, body: bytes | None, headers: dict[str, str]
) -> None:
    request = parse_curl(command)
    assert (request.method, request.url, request.body) == (method, url, body)
    assert dict(request.headers) == headers


def test_insecure_means_the_target_skips_tls_verification() -> None:
    result = draft([parse_curl("curl -k https://self-signed.example.test/")], DraftOptions("curl"))
    assert tomllib.loads(result.text)["targets"]["recorded"] == {
        "url": "https://self-signed.example.test",
        "verify_tls": False,
    }


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("", "the curl command is empty"),
        ("wget https://h/", "not a curl command: it starts with 'wget'"),
        ("curl", "the curl command has no URL"),
        ("curl 'https://h/", "cannot split the curl command: No closing quotation"),
        ("curl $'abc", "cannot split the curl command: a $'...' string is not closed"),
        ("curl ftp://h/file", "the curl URL must be http:// or https://, got 'ftp://h/file'"),
        ("curl https://h/ -d @/etc/passwd", "-d @/etc/passwd: reading a body from a file is not"),
        ("curl https://h/ -b cookies.txt", "-b 'cookies.txt': reading cookies from a file is not"),
        ("curl https://h/ --proxy http://p", "curl option --proxy is not supported (supported:"),
        ("curl https://h/ -sZ", "curl option -Z (in -sZ) is not supported"),
        ("curl https://h/ https://i/", "the curl command names more than one URL"),
        ("curl https://h/ -H nocolon", "-H 'nocolon' is not a header: write it as 'Name: value'"),
        ("curl https://h/ -H", "curl option -H needs a value"),
        ("curl https://h/ -u ann", "-u 'ann': give user:password"),
    ],
)
def test_what_is_not_a_request_is_one_line(command: str, message: str) -> None:
    with pytest.raises(ImportProblem) as exc:
        parse_curl(command)
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)


def test_the_imported_command_sends_its_request_byte_for_byte(tmp_path: Path) -> None:
    with RecordingTarget() as server:
        command = CHROME.replace("URL", server.url)
        made = loadtui("import", "--curl", command, "-o", "orders.toml", cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        text = (tmp_path / "orders.toml").read_text()
        assert "s3cr3t-t0ken" not in text and "c00kie" not in text
        assert made.stderr.splitlines() == [
            f"drafted 1 task against {server.url} to orders.toml",
            "  set before a run: LOADTUI_AUTH, LOADTUI_COOKIE",
        ]
        assert tomllib.loads(text)["targets"]["recorded"]["url"] == server.url
        env = {"LOADTUI_AUTH": "s3cr3t-t0ken", "LOADTUI_COOKIE": "sid=c00kie; theme=dark"}
        checked = loadtui("validate", "orders.toml", cwd=tmp_path, env=env)
        assert checked.returncode == 0, checked.stderr
        ran = loadtui(  # one pass (a run of fixed length could end before it)
            "run", "orders.toml", "-u", "1", "-r", "100", "-i", "1", "-q", cwd=tmp_path, env=env
        )
        assert ran.returncode == 0, ran.stderr
        sent = server.seen("/api/orders")[0]
    assert sent.method == "POST" and sent.target == "/api/orders?page=2&q=a+b"
    assert sent.body == CHROME_BODY
    assert sent.values("Authorization") == ["Bearer s3cr3t-t0ken"]
    assert sent.values("Cookie") == ["sid=c00kie; theme=dark"]
    assert sent.values("Content-Type") == ["application/json"]
    assert sent.values("Accept") == ["application/json"]
    assert sent.values("sec-ch-ua") == [] and sent.values("Accept-Encoding") == []


def test_a_command_read_from_stdin_goes_to_stdout() -> None:
    """`pbpaste | loadtui import --curl -`: no shell quoting of a quoted command."""
    proc = subprocess.run(
        [sys.executable, "-m", "loadtui", "import", "--curl", "-"],
        input=CHROME.replace("URL", "https://shop.example.test"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    task = tomllib.loads(proc.stdout)["users"][0]["tasks"][0]
    assert task["name"] == "POST /api/orders" and task["query"] == {"page": "2", "q": "a b"}
    assert proc.stderr.startswith("drafted 1 task against https://shop.example.test to stdout")


def test_a_line_that_is_not_curl_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = loadtui("import", "--curl", "wget https://h/", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("loadtui: not a curl command: it starts with 'wget'")
    assert len(bad.stderr.splitlines()) == 1 and "Traceback" not in bad.stderr
