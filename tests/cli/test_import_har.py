"""`loadtui import FILE.har` as a user runs it: a flow recorded in the test against the
demo target (never downloaded) becomes a scenario that validates and runs clean; a
hostile recording still sends exactly the recorded bytes to a loopback server that keeps
them; and input that is not a HAR is one line and exit 2."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from support.cli import loadtui
from support.har import HarRecorder, entry, write_har
from support.recording import RecordingTarget, Seen

from loadtui.scenario.har import MAX_HAR_BYTES


def test_a_flow_recorded_on_the_demo_target_imports_validates_and_runs(
    demo_url: str, tmp_path: Path
) -> None:
    with httpx.Client(base_url=demo_url, timeout=5.0) as client:
        recorder = HarRecorder(client, pause=0.1)
        login = recorder.send("POST", "/api/login", json={"user": "ann", "password": "pw"})
        token = login.json()["token"]
        recorder.send("GET", "/api/me", headers={"Authorization": f"Bearer {token}"})
        recorder.send("GET", "/api/items", params={"page": "1"})
        recorder.send("POST", "/api/echo", json={"note": "{user_id} ${HOME}"})
        recorder.send("GET", "/api/items/3")
    beside = [  # what a browser also records: assets, a third party
        entry("GET", f"{demo_url}/static/app.css", response_type="text/css"),
        entry("POST", "https://analytics.example.test/collect", body="{}", mime="application/json"),
    ]
    write_har(tmp_path / "shop.har", recorder.entries + beside)

    made = loadtui("import", "shop.har", "-o", "flow.toml", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stdout == ""
    assert made.stderr.splitlines() == [
        f"drafted 5 tasks against {demo_url} to flow.toml",
        "  left out: 1 static asset (--include-static keeps them)",
        "  left out: 1 request to https://analytics.example.test"
        " (a run drives one target; --origin picks it)",
        "  set before a run: LOADTUI_BODY_PASSWORD, LOADTUI_AUTH",
    ]
    text = (tmp_path / "flow.toml").read_text()
    assert token not in text
    names = ["POST /api/login", "GET /api/me", "GET /api/items", "POST /api/echo"]
    names.append("GET /api/items/3")
    user = tomllib.loads(text)["users"][0]
    assert user["order"] == "sequence" and [t["name"] for t in user["tasks"]] == names

    unset = loadtui("validate", "flow.toml", cwd=tmp_path)
    assert unset.returncode == 2 and "environment variable LOADTUI_AUTH is not set" in unset.stderr
    env = {"LOADTUI_AUTH": token, "LOADTUI_BODY_PASSWORD": "pw"}
    valid = loadtui("validate", "flow.toml", cwd=tmp_path, env=env)
    assert valid.returncode == 0, valid.stderr

    run = ("run", "flow.toml", "-u", "1", "-r", "100", "-i", "2", "-q", "--report-json", "r.json")
    ran = loadtui(*run, cwd=tmp_path, env=env)
    assert ran.returncode == 0, ran.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    endpoints = {e["name"]: e for e in report["endpoints"]}
    assert sorted(endpoints) == sorted(names)
    for name in names:  # sent in each of 2 passes, answered as recorded (status checks too)
        assert endpoints[name]["requests"] == 2 and endpoints[name]["failures"] == 0, name


# Text a recording may hold that TOML, `{var}` placeholders or `${ENV}` would take for
# their own. (No byte 0x85 in their UTF-8: http.server's header parser splits on it.)
HOSTILE = [
    '"quoted" \\ back\\slash',
    "{user_id} {{x}} {uuid} {random_int(1, 2)} {data.col}",
    "${HOME} $${x} $ ${",
    "tab\there é 𝄞 \u2028 end",
    "\"\"\" ''' [table] # not a comment ]]",
]


def test_a_hostile_recording_sends_exactly_the_recorded_bytes(tmp_path: Path) -> None:
    raw = "\n".join(HOSTILE) + "\r\n\x00 end"
    compact = json.dumps({"k{a}": HOSTILE, "n": 1.5}, separators=(",", ":"), ensure_ascii=False)
    pretty = json.dumps({"k": HOSTILE}, indent=2)
    with RecordingTarget() as server:
        headers = [(f"X-H{i}", v) for i, v in enumerate(HOSTILE)] + [("X-{bad}", "v")]
        query = urlencode([(f"q{i}", v) for i, v in enumerate(HOSTILE)])
        entries = [
            entry("GET", f"{server.url}/h/%7Bid%7D/{{id}}?{query}", headers=headers),
            entry("POST", f"{server.url}/raw", body=raw, mime="text/plain; x={y}"),
            entry("POST", f"{server.url}/json", body=compact, mime="application/json"),
            entry("POST", f"{server.url}/pretty", body=pretty, mime="application/json"),
        ]
        write_har(tmp_path / "evil.har", entries)
        made = loadtui("import", "evil.har", "-o", "evil.toml", cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        assert (
            "left out: 1 invalid header (not a token name, or CR, LF or NUL in its value)"
            in made.stderr
        )
        checked = loadtui("validate", "evil.toml", cwd=tmp_path)
        assert checked.returncode == 0, checked.stderr
        # One pass of the imported flow (a run of fixed length could end before it).
        ran = loadtui("run", "evil.toml", "-u", "1", "-r", "100", "-i", "1", "-q", cwd=tmp_path)
        assert ran.returncode == 0, ran.stderr
        sent = {
            path: server.seen(path)[0] for path in ("/h/%7Bid%7D/{id}", "/raw", "/json", "/pretty")
        }

    get = sent["/h/%7Bid%7D/{id}"]
    assert parse_qsl(urlsplit(get.target).query) == [(f"q{i}", v) for i, v in enumerate(HOSTILE)]
    for i, value in enumerate(HOSTILE):
        assert _header(get, f"X-H{i}") == value.strip()
    assert get.values("X-{bad}") == []
    assert (
        sent["/raw"].body == raw.encode()
        and _header(sent["/raw"], "Content-Type") == "text/plain; x={y}"
    )
    assert sent["/json"].body == compact.encode()
    assert sent["/pretty"].body == pretty.encode()


def _header(seen: Seen, name: str) -> str:
    """The header as sent: http.server reads header bytes as Latin-1; the engine sent UTF-8."""
    (value,) = seen.values(name)
    return value.encode("latin-1").decode("utf-8")


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as f:
        f.truncate(size)  # no disk blocks: zeros read back
    return path


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (
            lambda d: (d / "x.har").write_text("<html></html>"),
            ["x.har"],
            "x.har is not JSON (line 1",
        ),
        (lambda d: (d / "x.har").write_text('{"a": 1}'), ["x.har"], "x.har is not a HAR file"),
        (lambda d: (d / "x.har").write_text(""), ["x.har"], "x.har is empty"),
        (
            lambda d: write_har(d / "x.har", [entry("GET", "data:,x"), entry("GET", "ftp://h/f")]),
            ["x.har"],
            "nothing to import from x.har: 2 requests,"
            " 1 request not http(s) (data:); 1 request not http(s) (ftp:)",
        ),
        (
            lambda d: _sparse(d / "x.har", MAX_HAR_BYTES + 1),
            ["x.har"],
            "x.har is larger than 100 MiB",
        ),
        (lambda d: None, ["missing.har"], "cannot read missing.har: No such file or directory"),
        (lambda d: None, ["x.har", "--curl", "curl https://h/"], "give a HAR file or --curl"),
        (lambda d: None, [], "give a HAR file or --curl"),
    ],
    ids=["not-json", "not-har", "empty", "not-http", "huge", "missing", "both", "neither"],
)
def test_input_that_is_not_a_recording_is_one_line_and_exit_2(
    tmp_path: Path, make: Callable[[Path], object], args: list[str], message: str
) -> None:
    make(tmp_path)
    proc = loadtui("import", *args, "-o", "out.toml", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"loadtui: {message}"), proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "out.toml").exists()


def test_an_existing_file_is_overwritten_only_with_force(tmp_path: Path) -> None:
    write_har(tmp_path / "a.har", [entry("GET", "http://127.0.0.1:9/a")])
    (tmp_path / "s.toml").write_text("mine")
    kept = loadtui("import", "a.har", "-o", "s.toml", cwd=tmp_path)
    assert kept.returncode == 2 and kept.stderr == "loadtui: s.toml exists; --force overwrites it\n"
    assert (tmp_path / "s.toml").read_text() == "mine"
    forced = loadtui("import", "a.har", "-o", "s.toml", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert tomllib.loads((tmp_path / "s.toml").read_text())["name"] == "s"
    shown = loadtui("import", "a.har", "--target-name", "staging", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert tomllib.loads(shown.stdout)["targets"] == {"staging": {"url": "http://127.0.0.1:9"}}
