"""Which command a `loadtui` command line reaches: bare `loadtui` and a first word that
names no command open the console (its options before or after the scenario), while
`--help`, `--version` and the commands keep their own. In-process where the console
fails before drawing; in a pseudo-terminal where it draws."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from support.cli import loadtui
from tui.test_console_signals import Console, wait_until

from loadtui import __version__
from loadtui.cli import main

SCENARIO = """
name = "picked"
[targets.local]
url = "http://127.0.0.1:9"
[[users]]
name = "u"
[[users.tasks]]
name = "root"
path = "/"
[profiles.flat]
stages = [{ duration = "2s", users = 1 }]
"""


def call(*args: str) -> tuple[int, str, str]:
    """`loadtui ARGS` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            return int(exc.code or 0), out.getvalue(), err.getvalue()
    raise AssertionError("main returned without an exit code")


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    assert call(flag) == (0, f"loadtui {__version__}\n", "")


def test_help_lists_the_commands_and_not_the_console() -> None:
    code, out, _ = call("--help")
    assert code == 0
    listed = out.split("Commands:")[1].split()
    for command in ("run", "validate", "demo-target", "replay", "report", "compare", "rerun"):
        assert command in listed
    assert "console" not in listed


@pytest.mark.parametrize(
    "order",
    [
        ["{scen}", "--target", "http://127.0.0.1:9", "--profile", "nope"],
        ["--target", "http://127.0.0.1:9", "--profile", "nope", "{scen}"],
        ["--profile=nope", "--target", "http://127.0.0.1:9", "{scen}", "--tick", "0.5"],
    ],
    ids=["options-after", "options-before", "mixed"],
)
def test_a_scenario_first_is_the_console(tmp_path: Path, order: list[str]) -> None:
    """Target and profile both given go straight to the dashboard: the profile is
    picked (and refused) before anything is drawn or sent."""
    scen = tmp_path / "picked.toml"
    scen.write_text(SCENARIO)
    code, _, err = call(*(arg.format(scen=scen) for arg in order))
    assert code == 2
    assert err == "loadtui: no profile 'nope' in this scenario (profiles: flat)\n"


def test_a_bundled_scenario_name_opens_in_the_console() -> None:
    code, _, err = call("spike", "--target", "http://127.0.0.1:9", "--profile", "nope")
    assert code == 2
    assert err.startswith("loadtui: no profile 'nope' in this scenario (profiles: spike")


def test_a_word_that_is_neither_command_nor_scenario(tmp_path: Path) -> None:
    code, _, err = call("nosuch")
    assert code == 2
    assert err.startswith("loadtui: scenario file not found: nosuch (bundled scenarios: ")
    assert err.count("\n") == 1


def test_console_options_are_checked_before_it_opens() -> None:
    assert call("--tick", "0")[0::2] == (2, "loadtui: --tick must be between 0.05 and 10 seconds\n")


def test_bare_loadtui_runs_the_demo_in_the_console(tmp_path: Path) -> None:
    """No arguments: the demo scenario against the embedded demo target, straight on the
    dashboard; `q` quits with the summary and the session saved. The exit code is the
    verdict's (quit this early, the demo's thresholds may have too little data)."""
    console = Console(cwd=tmp_path)
    try:
        wait_until(lambda: b"req/s" in console.output, "the dashboard", console=console)
        wait_until(lambda: any((tmp_path / "sessions").glob("*-demo.json.gz")), "the session")
        os.write(console.fd, b"q")
        code = console.wait(timeout=30)
    finally:
        console.kill()
    out = bytes(console.output)
    assert b"Traceback" not in out
    assert b"scenario demo | target http://127.0.0.1:" in out
    assert f"session saved to {tmp_path / 'sessions'}".encode() in out
    assert code == (0 if b"Result: PASSED" in out else 1), out[-2000:]


def test_a_bundled_name_wins_over_a_folder_of_that_name(tmp_path: Path) -> None:
    (tmp_path / "spike").mkdir()  # e.g. a results folder named after the test
    done = loadtui("validate", "spike", cwd=tmp_path)
    assert done.returncode == 0 and "spike.toml: ok" in done.stdout, done.stderr
    (tmp_path / "plans").mkdir()
    folder = loadtui("validate", "plans", cwd=tmp_path)
    assert folder.returncode == 2
    assert folder.stderr.startswith("loadtui: plans is a folder, not a scenario file (bundled: ")
