"""`loadtui rerun` never sends the "***" a session put in place of a secret.

A run against a loopback target that records what it receives, with the password in
the target URL (`auth = "basic"`) and a secret header; the session keeps
`alice:***@...`. A re-run whose target would be that recorded URL is refused in one
line (exit 2) before anything is sent; with `--target URL`, or with a scenario file
whose target holds the password itself, it runs, and the wire gets the real secrets.
"""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import pytest
from support.cli import loadtui
from support.recording import RecordingTarget

PASSWORD = f"pw{secrets.token_hex(6)}"
API_KEY = f"key{secrets.token_hex(6)}"
USER = "alice"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

TARGETS = {
    # The URL from the environment: a re-run reads the recorded one in its place.
    "env": '[targets.api]\nurl = "${LOADTUI_TARGET}"\nauth = "basic"\n',
    # Two targets, the URL given with --target: the session's target is that URL.
    "flag": (
        '[targets.api]\nurl = "http://127.0.0.1:9"\nauth = "basic"\n'
        '[targets.other]\nurl = "http://127.0.0.1:9"\n'
    ),
}
REST = f"""
[[users]]
name = "u"
wait = "constant(60s)"
[[users.tasks]]
name = "me"
path = "/api/me"
headers = {{ X-Api-Key = "{API_KEY}" }}

[profiles.once]
stages = [{{ duration = "2s", users = 1, spawn_rate = 10 }}]
"""
# One request a run: the user sends it at once, then waits out the run. Not a count of
# iterations: a re-run lasts as long as its session did, and a session that a count ended
# in a few milliseconds gives its re-run too little time on a busy machine.


def signed_in(url: str, password: str) -> str:
    """The loopback `url` with USER and `password` as its userinfo."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{USER}:{password}@{rest}"


def scenario(targets: str) -> str:
    return f'name = "rerun-secrets"\n{targets}{REST}'


def original(folder: Path, server: RecordingTarget, how: str) -> Path:
    """A real run with the password in the URL; its session."""
    url = signed_in(server.url, PASSWORD)
    (folder / "s.toml").write_text(scenario(TARGETS[how]))
    given = {"env": ([], {"LOADTUI_TARGET": url}), "flag": (["--target", url], {})}
    args, env = given[how]
    run = loadtui("run", "s.toml", "-q", "--session", "s.json", *args, cwd=folder, env=env)
    assert run.returncode == 0, run.stderr
    header = json.loads((folder / "s.json").read_text().splitlines()[0])
    assert header["target"]["url"] == signed_in(server.url, "***")
    return folder / "s.json"


def assert_real_secrets_only(server: RecordingTarget, count: int, how: str) -> None:
    """`count` requests reached the server, each with the real credentials (a URL given
    with --target to a scenario of two targets takes no `auth` from them: no Basic)."""
    assert len(server.requests) == count
    for seen in server.requests:
        assert seen.values("authorization") == ([BASIC] if how == "env" else [])
        assert seen.values("x-api-key") == [API_KEY]
        assert not any("***" in value for _, value in seen.headers)


@pytest.mark.parametrize("how", ["env", "flag"])
def test_a_rerun_that_would_send_the_hidden_password_is_refused(how: str, tmp_path: Path) -> None:
    with RecordingTarget() as server:
        session = original(tmp_path, server, how)
        proc = loadtui("rerun", str(session), "--session", "r.json", cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
        assert "alice:***@" in proc.stderr and "--target URL" in proc.stderr
        assert not (tmp_path / "r.json").exists()
        assert_real_secrets_only(server, 1, how)  # the original's request; none from the re-run


@pytest.mark.parametrize("how", ["env", "flag"])
def test_a_rerun_with_the_target_given_again_sends_the_real_password(
    how: str, tmp_path: Path
) -> None:
    with RecordingTarget() as server:
        session = original(tmp_path, server, how)
        url = signed_in(server.url, PASSWORD)
        proc = loadtui("rerun", str(session), "-q", "--target", url, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert_real_secrets_only(server, 2, how)


def test_a_rerun_takes_the_password_from_a_scenario_file_that_holds_it(tmp_path: Path) -> None:
    with RecordingTarget() as server:
        session = original(tmp_path, server, "env")
        url = signed_in(server.url, PASSWORD)
        held = scenario(TARGETS["env"].replace("${LOADTUI_TARGET}", url))
        (tmp_path / "held.toml").write_text(held)
        args = ("rerun", str(session), "-q", "--scenario", "held.toml")
        proc = loadtui(*args, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert_real_secrets_only(server, 2, "env")
