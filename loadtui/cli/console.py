"""The console command: `loadtui [SCENARIO] [options]` (the hidden `console` command,
which bare `loadtui` and a first word that is no command both open; see cli/app.py).

With no scenario, or with --target and a profile (--profile, or -u/-r/--rate, which
build one as `loadtui run` does), it goes straight to the dashboard; otherwise to the
launch screen, whose run then takes the flags too. With -t or -i the run stops itself
and the console stays, showing the result. Exit codes as for `loadtui run`
(docs/contracts.md, "Exit codes")."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loadtui.cli.flags import (
    DurationOption,
    ExcludeTagsOption,
    IterationsOption,
    ProfileOption,
    RateOption,
    RayOption,
    RedactOption,
    ReportHtmlOption,
    SessionOption,
    SpawnRateOption,
    TagsOption,
    TargetOption,
    TargetPidOption,
    TickOption,
    UsersOption,
    WorkersOption,
    check_tick,
    check_writable,
    fleet,
    parse_overrides,
    parse_selection,
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

if TYPE_CHECKING:
    from loadtui.report.schema import Report


def console(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario TOML")] = None,
    target: TargetOption = None,
    profile: ProfileOption = None,
    users: UsersOption = None,
    spawn_rate: SpawnRateOption = None,
    rate: RateOption = None,
    duration: DurationOption = None,
    iterations: IterationsOption = None,
    tags: TagsOption = None,
    exclude_tags: ExcludeTagsOption = None,
    session: SessionOption = None,
    report_html: ReportHtmlOption = None,
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
        overrides = parse_overrides(
            users=users,
            spawn_rate=spawn_rate,
            rate=rate,
            streams=None,
            duration=duration,
            iterations=iterations,
        )
        selection = parse_selection(tags, exclude_tags)
        count, cluster = fleet(workers, ray)
        check_writable("--session", session)
        check_writable("--report-html", report_html)
        path, _ = scenario_path(scenario)  # a file, or a bundled scenario's name
        watched = target_pid_for(target_pid, "", None) if target_pid else ()  # checked now
        shaped = profile is not None or overrides.reshape  # the profile needs no choosing
        straight = scenario is None or (target is not None and shaped)
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
                        overrides=overrides,
                        tick_s=tick,
                        target_pids=watch,
                        workers=count,
                        ray=cluster,
                        selection=selection,
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
                overrides=overrides,
                selection=selection,
            )
            saved = tui.run()
        if tui.report:
            typer.echo(summary_table(tui.report))
        if saved is not None:
            typer.echo(f"session saved to {saved}")
        lost = list(tui.lost)
        if report_html is not None and tui.report is not None:
            lost += _html_at_quit(report_html, saved, tui.report)
        say_each(lost)  # outputs not written (said in the console as they failed)
        if tui.no_answer:
            raise typer.Exit(3)  # nothing answered: no verdict (said on quitting)
        if tui.report is not None and not tui.report["passed"]:
            raise typer.Exit(1)
        if lost:
            raise typer.Exit(3)  # incomplete: an output could not be written


def _html_at_quit(path: Path, saved: Path | None, report: Report) -> list[str]:
    """--report-html: drawn from the session the console saved, once it has quit; the
    line saying why it was not written, if it was not."""
    from loadtui.report.html import run_page
    from loadtui.report.writers import cannot_write, write_text
    from loadtui.session.reader import SessionError, read_session

    if saved is None:
        return [f"cannot write {path}: the session log it is drawn from was not written"]
    try:
        write_text(path, run_page(read_session(saved), report))
    except SessionError as exc:
        return [f"cannot write {path}: {exc}"]
    except OSError as exc:
        return [cannot_write(path, exc)]
    typer.echo(f"HTML report written to {path}")
    return []
