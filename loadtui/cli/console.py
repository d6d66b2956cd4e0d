"""The console command: `loadtui [SCENARIO] [options]` (the hidden `console` command,
which bare `loadtui` and a first word that is no command both open; see cli/app.py).

With no scenario, or with both --target and --profile, it goes straight to the
dashboard; otherwise to the launch screen. Exit codes as for `loadtui run`
(docs/contracts.md, "Exit codes")."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from loadtui.cli.flags import (
    ProfileOption,
    RayOption,
    RedactOption,
    SessionOption,
    TargetOption,
    TargetPidOption,
    TickOption,
    WorkersOption,
    check_tick,
    check_writable,
    fleet,
)
from loadtui.cli.support import (
    choosing,
    demo_target_if,
    load_plan,
    ready,
    say_each,
    scenario_path,
    target_pid_for,
)
from loadtui.scenario import bundled
from loadtui.stop_signals import startup_guard


def console(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario TOML")] = None,
    target: TargetOption = None,
    profile: ProfileOption = None,
    session: SessionOption = None,
    target_pid: TargetPidOption = None,
    tick: TickOption = 0.25,
    redact: RedactOption = None,
    workers: WorkersOption = None,
    ray: RayOption = None,
) -> None:
    """The live console. Bare: the demo scenario on the embedded demo target."""
    from loadtui.engine.config import RunConfig, build_run_config
    from loadtui.report.text import summary_table
    from loadtui.tui.app import LaunchArgs, LoadtuiApp

    # A stop signal before the console takes them over: one line and exit 3.
    with startup_guard():
        check_tick(tick)
        count, cluster = fleet(workers, ray)
        check_writable("--session", session)
        path, _ = scenario_path(scenario)  # a file, or a bundled scenario's name
        watched = target_pid_for(target_pid, "", None) if target_pid else ()  # checked now
        straight = scenario is None or (target is not None and profile is not None)
        with demo_target_if(target is None, quiet=True) as demo:
            here = demo[0] if demo else None

            def watch(url: str) -> tuple[int, ...]:
                return watched or target_pid_for((), url, demo)

            config: RunConfig | None = None
            launch: LaunchArgs | None = None
            if straight:
                plan = load_plan(path, here)
                with choosing():
                    config = build_run_config(
                        plan,
                        target,
                        profile,
                        tick_s=tick,
                        target_pids=watch,
                        workers=count,
                        ray=cluster,
                    )
                ready(config)
            else:
                env = {**os.environ, **({"LOADTUI_TARGET": here} if here else {})}
                launch = LaunchArgs(
                    bundled.directory(), Path.cwd(), path, env, here, target, profile
                )
            tui = LoadtuiApp(
                config=config,
                launch=launch,
                session=session,
                target_pids=watch,
                tick_s=tick,
                workers=count,
                ray=cluster,
                yield_cpu=True,
                redact=tuple(redact or ()),
            )
            saved = tui.run()
        if tui.report:
            typer.echo(summary_table(tui.report))
        if saved is not None:
            typer.echo(f"session saved to {saved}")
        say_each(tui.lost)  # outputs not written (said in the console as they failed)
        if tui.no_answer:
            raise typer.Exit(3)  # nothing answered: no verdict (said on quitting)
        if tui.report is not None and not tui.report["passed"]:
            raise typer.Exit(1)
        if tui.lost:
            raise typer.Exit(3)  # incomplete: an output could not be written
