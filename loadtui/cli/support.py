"""What the commands share: the user-facing Failure (message + exit code, never a
traceback), finding and loading a scenario, the embedded demo target, and the checks
before load is sent (Python tasks importable, target answering, processes to watch)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from loadtui.scenario import bundled

if TYPE_CHECKING:
    from loadtui.engine.config import RunConfig
    from loadtui.scenario.model import Scenario

Demo = tuple[str, int]  # the embedded demo target's URL and pid


class Failure(Exception):
    """A user-facing error: message and exit code, never a traceback."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@contextmanager
def choosing() -> Iterator[None]:
    """A target, profile or override that does not fit the scenario: one line, exit 2."""
    from loadtui.scenario.select import SelectionError

    try:
        yield
    except SelectionError as exc:
        raise Failure(str(exc)) from None


def scenario_path(scenario: Path | None) -> tuple[Path, bool]:
    """The scenario to load (a file, else a bundled scenario's name; none: the demo) and
    whether it is the bundled demo (which needs the demo target)."""
    if scenario is not None:
        if scenario.is_file():
            return scenario, False
        # A bare name is a bundled scenario, even where a folder of that name sits.
        found = bundled.named(str(scenario))
        if found is not None:
            return found, found.stem == bundled.DEMO
        names = ", ".join(bundled.names())
        if scenario.is_dir():
            raise Failure(f"{scenario} is a folder, not a scenario file (bundled: {names})")
        if scenario.exists():
            return scenario, False  # a pipe or a device: the loader says what it holds
        raise Failure(f"scenario file not found: {scenario} (bundled scenarios: {names})")
    path = bundled.named(bundled.DEMO)
    if path is None:
        raise Failure("the bundled demo scenario is missing; give a scenario file")
    return path, True


@contextmanager
def demo_target_if(needed: bool, quiet: bool) -> Iterator[Demo | None]:
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
    """The scenario, `${LOADTUI_TARGET}` set to `env_target` when given; every problem
    of the file is one Failure."""
    from loadtui.scenario import ScenarioError, load_scenario

    env = dict(os.environ)
    if env_target:
        env["LOADTUI_TARGET"] = env_target
    try:
        return load_scenario(path, env=env)
    except ScenarioError as exc:
        raise Failure(f"{path} has problems:\n{exc.format()}") from None


def ready(config: RunConfig) -> RunConfig:
    """The run, once its Python tasks import (exit 2) and its target takes a TCP
    connection (exit 3): checked before any load is sent."""
    from loadtui.engine.preflight import unreachable_reason
    from loadtui.engine.pycalls import python_task_problems
    from loadtui.scenario.userinfo import redact_url

    problems = python_task_problems(config.scenario)
    if problems:
        raise Failure("\n".join(problems))
    target = config.target
    reason = unreachable_reason(target.url, timeout=min(target.timeouts.connect, 3.0))
    if reason:
        raise Failure(f"target {redact_url(target.url)} unreachable: {reason}", code=3)
    return config


def target_pid_for(given: Sequence[int], url: str, demo: Demo | None) -> tuple[int, ...]:
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


def say_each(lines: Sequence[str]) -> None:
    """Lines for the operator on stderr, each as `loadtui: LINE`."""
    for line in lines:
        typer.echo(f"loadtui: {line}", err=True)
