"""What the commands share: loading, target checks, the embedded demo target, and
the user-facing Failure (message + exit code, never a traceback)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from loadtui.scenario.model import Scenario, Target

from loadtui.scenario import bundled


class Failure(Exception):
    """A user-facing error: message and exit code, never a traceback."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def parse_duration_flag(text: str | None, flag: str) -> float | None:
    if text is None:
        return None
    from loadtui.scenario.units import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise Failure(f"{flag} {text!r}: {exc}") from None


def parse_run_length(text: str | None) -> float | None:
    """-t: a duration above 0 and within the bound every duration has (bounds.py)."""
    seconds = parse_duration_flag(text, "--duration")
    if seconds is None:
        return None
    from loadtui.scenario.select import SelectionError, check_duration

    try:
        check_duration(seconds)
    except SelectionError as exc:
        raise Failure(str(exc)) from None
    return seconds


def parse_number_flag(text: str | None, flag: str) -> float | None:
    """A numeric flag (-u, -r, --rate, --streams) read as text, so `-u 1e20` or
    `--rate nan` get the loader's kind of one-line error (bounds.py) rather than the
    option parser's usage block."""
    if text is None:
        return None
    from loadtui.scenario.select import FLAGS, SelectionError, check_flag

    kind = "a whole number" if FLAGS[flag][2] else "a number"
    try:
        value = float(text.strip().replace("_", ""))
    except ValueError:
        raise Failure(f"{flag}: expected {kind}, got {text!r}") from None
    try:
        check_flag(flag, value)
    except SelectionError as exc:
        raise Failure(str(exc)) from None
    return value


def parse_count_flag(text: str | None, flag: str) -> int | None:
    """-u / --streams: a whole number within bounds (`1e3` reads as 1000)."""
    value = parse_number_flag(text, flag)
    return None if value is None else int(value)


def scenario_path(scenario: Path | None) -> tuple[Path, bool]:
    """The scenario to load and whether it is the bundled demo (which needs the target)."""
    if scenario is not None:
        if scenario.exists():
            return scenario, False
        found = bundled.named(str(scenario))
        if found is None:
            names = ", ".join(bundled.names())
            raise Failure(f"scenario file not found: {scenario} (bundled scenarios: {names})")
        return found, found.stem == bundled.DEMO
    path = bundled.named(bundled.DEMO)
    if path is None:
        raise Failure("the bundled demo scenario is missing; give a scenario file")
    return path, True


def check_writable(flag: str, path: Path | str | None) -> None:
    """Fail before any load is sent if a report could not be written afterwards."""
    if path is None or str(path) == "-":
        return
    target = Path(path)
    if target.is_dir():
        raise Failure(f"{flag} {path}: is a directory")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Failure(f"{flag} {path}: cannot create its folder ({exc.strerror})") from None
    if not os.access(target.parent, os.W_OK):
        raise Failure(f"{flag} {path}: folder is not writable")


@contextmanager
def demo_target_if(needed: bool, quiet: bool) -> Iterator[tuple[str, int] | None]:
    """Start the embedded demo target in a child process; yields (url, pid)."""
    if not needed:
        yield None
        return
    from loadtui.demo.runner import start_subprocess, stop_subprocess

    proc, port = start_subprocess("127.0.0.1", 0)
    url = f"http://127.0.0.1:{port}"
    if not quiet:
        typer.echo(f"demo target listening on {url} (pid {proc.pid})", err=True)
    try:
        yield url, proc.pid
    finally:
        stop_subprocess(proc)


def load_plan(path: Path, env_target: str | None) -> Scenario:
    from loadtui.scenario import ScenarioError, load_scenario

    env = dict(os.environ)
    if env_target:
        env["LOADTUI_TARGET"] = env_target
    try:
        return load_scenario(path, env=env)
    except ScenarioError as exc:
        raise Failure(f"{path} has problems:\n{exc.format()}") from None


def preflight(target: Target) -> None:
    from loadtui.engine.preflight import unreachable_reason
    from loadtui.scenario.userinfo import redact_url

    reason = unreachable_reason(target.url, timeout=min(target.timeouts.connect, 3.0))
    if reason:
        raise Failure(f"target {redact_url(target.url)} unreachable: {reason}", code=3)


def target_pid_for(given: Sequence[int], url: str, demo: tuple[str, int] | None) -> tuple[int, ...]:
    """The target's processes to watch (each with its descendants, see
    metrics.target): those given, else the embedded demo's, else whichever listens on
    the URL's port on this machine (none: the target is not watched)."""
    from loadtui.metrics.target import listening_pids, pid_exists

    if given:
        for pid in given:
            if not pid_exists(pid):
                raise Failure(
                    f"--target-pid {pid}: no such process (give the pid of the server"
                    " running on this machine, or leave it out to find it by its port)"
                )
        return tuple(dict.fromkeys(given))
    if demo is not None and url == demo[0]:
        return (demo[1],)
    return listening_pids(url)


def check_python_tasks(scenario: Scenario) -> None:
    from loadtui.engine.pycalls import python_task_problems

    problems = python_task_problems(scenario)
    if problems:
        raise Failure("\n".join(problems))
