"""Data feeders from the command line: `validate` names a bad data file's line, and the
bundled accounts scenario, asked for more users than it has accounts, ends its run when
they run out, with the report saying why."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import loadtui

SCENARIO = """\
[targets.t]
url = "http://127.0.0.1:9"

[data.accounts]
file = "accounts.csv"
mode = "unique"

[[users]]
[[users.tasks]]
path = "/login/{accounts.emali}"
"""


def test_validate_points_at_the_data_files_bad_line(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("email,password\nann@x.io,pw\nbob@x.io\n")
    (tmp_path / "s.toml").write_text(SCENARIO)
    proc = loadtui("validate", "s.toml", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[1:] == [
        "s.toml:5: data.accounts.file: accounts.csv:3: 1 field, the header row has 2. Every row "
        "has as many fields as the header row; quote a field holding a comma",
    ]  # the column check waits for a readable file
    (tmp_path / "accounts.csv").write_text("email,password\nann@x.io,pw\n")
    proc = loadtui("validate", "s.toml", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[1:] == [
        's.toml:10: users[0].tasks[0].path: {accounts.emali}: accounts.csv has no column "emali".'
        ' Did you mean "email"?'
    ]


def test_running_out_of_unique_accounts_ends_the_run(demo_url: str, tmp_path: Path) -> None:
    proc = loadtui(
        "run", "accounts", "-u", "60", "-r", "25", "-t", "60s", "--report-json", "r.json",
        cwd=tmp_path, env={"LOADTUI_TARGET": demo_url},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["ended_early"] == "data accounts ran out"
    assert report["requests"] > 0 and report["failures"] == 0 and report["passed"]
    assert 'data accounts: all 50 unique rows used; the run ends (on_exhausted = "stop")' in (
        proc.stderr
    )
