"""`--report-html` on the command line: the console writes it when it quits, and a path
that cannot be written is one line before anything is sent or read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.cli import loadtui
from support.scenarios import api_fast, scenario, user, write
from tui.test_console_signals import Console, wait_until

ONE_S = {"stages": [{"duration": "1s", "users": 2, "spawn_rate": 100}]}


def test_the_console_writes_the_html_report_when_it_quits(demo_url: str, tmp_path: Path) -> None:
    text = scenario(user(api_fast(), wait="constant(0.05s)"), name="quit", profiles={"one": ONE_S})
    write(tmp_path, text.replace("${LOADTUI_TARGET}", demo_url), "quit.toml")
    session, page = tmp_path / "s.json", tmp_path / "out" / "r.html"
    console = Console(
        "quit.toml", "--target", demo_url, "--profile", "one",
        "--session", "s.json", "--report-html", "out/r.html", cwd=tmp_path,
    )  # fmt: skip
    try:
        ended = lambda: session.exists() and '"type":"summary"' in session.read_text()  # noqa: E731
        wait_until(ended, "the run's end", console=console)
        assert not page.exists()  # written at quit, from the whole session
        os.write(console.fd, b"q")
        code = console.wait(timeout=60)
    finally:
        console.kill()
    out = bytes(console.output)
    assert code == 0 and b"Traceback" not in out, out[-2000:]
    assert b"HTML report written to out/r.html" in out
    html = page.read_text()
    assert html.startswith("<!doctype html>") and 'id="loadtui-data-0"' in html
    assert "loadtui: quit" in html  # the title


@pytest.mark.parametrize(
    "command",
    [
        ["run", "quit.toml", "--report-html", "folder"],
        ["report", "s.json", "--report-html", "folder"],
        ["compare", "s.json", "s.json", "--report-html", "folder"],
    ],
)
def test_an_unwritable_path_is_one_line_first(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "folder").mkdir()
    done = loadtui(*command, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "loadtui: --report-html folder: is a directory\n"
