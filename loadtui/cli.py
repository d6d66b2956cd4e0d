"""Command line: builds objects from arguments and hands them over; no logic of its own.

Exit codes (docs/contracts.md, "Exit codes"): 0 passed, 1 a threshold failed or nothing
was served, 2 usage or scenario error, 3 no verdict (aborted, target unreachable or never
answered, run overran its end) or an output not written.
"""

from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from loadtui import __version__
from loadtui.cli_sessions import register as register_session_commands
from loadtui.cli_support import (
    Failure,
    check_python_tasks,
    check_writable,
    demo_target_if,
    load_plan,
    parse_count_flag,
    parse_duration_flag,
    parse_number_flag,
    parse_run_length,
    preflight,
    scenario_path,
    target_pid_for,
)
from loadtui.scenario import bundled
from loadtui.stop_signals import startup_guard

SUBCOMMANDS = {"run", "validate", "demo-target", "console", "replay", "report", "compare", "rerun"}

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="loadtui: drive HTTP load live from the terminal, with honest latency.",
)


@app.command()
def run(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario TOML (default: the demo)")
    ] = None,
    target: Annotated[str | None, typer.Option("--target", help="Target name or URL")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="Profile name")] = None,
    users: Annotated[
        str | None, typer.Option("-u", "--users", metavar="N", help="Closed model: users")
    ] = None,
    spawn_rate: Annotated[
        str | None,
        typer.Option("-r", "--spawn-rate", metavar="N", help="Users started per second"),
    ] = None,
    rate: Annotated[
        str | None, typer.Option("--rate", metavar="N", help="Open model: requests/s")
    ] = None,
    streams: Annotated[
        str | None,
        typer.Option("--streams", metavar="N", help="Extra WebSocket stream-only sessions"),
    ] = None,
    duration: Annotated[
        str | None, typer.Option("-t", "--duration", help="Run length, e.g. 30s, 5m")
    ] = None,
    grace: Annotated[
        str, typer.Option("--grace", help="How long in-flight requests may finish at stop")
    ] = "5s",
    session: Annotated[Path | None, typer.Option("--session", help="Session log path")] = None,
    report_json: Annotated[Path | None, typer.Option("--report-json")] = None,
    report_md: Annotated[Path | None, typer.Option("--report-md")] = None,
    csv: Annotated[str | None, typer.Option("--csv", help="CSV files prefix")] = None,
    junit: Annotated[Path | None, typer.Option("--junit")] = None,
    tick: Annotated[float, typer.Option("--tick", help="Seconds between snapshots")] = 0.5,
    target_pid: Annotated[
        list[int] | None,
        typer.Option(
            "--target-pid", help="Watch this process and its children (RSS/CPU); repeatable"
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only errors and exit code")] = False,
    redact: Annotated[
        list[str] | None,
        typer.Option("--redact", help="A header, query or variable name to hide in the session"),
    ] = None,
) -> None:
    """Run a scenario headless: progress on stderr, summary and reports at the end."""
    from loadtui.engine.runner import RunConfig
    from loadtui.headless import Outputs, run_headless
    from loadtui.scenario.select import SelectionError, pick_profile, pick_target

    seconds = parse_run_length(duration)
    n_users = parse_count_flag(users, "--users")
    n_streams = parse_count_flag(streams, "--streams")
    n_spawn = parse_number_flag(spawn_rate, "--spawn-rate")
    n_rate = parse_number_flag(rate, "--rate")
    grace_s = parse_duration_flag(grace, "--grace") or 0.0
    if not 0.05 <= tick <= 10:
        raise Failure("--tick must be between 0.05 and 10 seconds")
    for flag, out in (
        ("--session", session),
        ("--report-json", report_json),
        ("--report-md", report_md),
        ("--junit", junit),
        ("--csv", f"{csv}_stats.csv" if csv else None),
    ):
        check_writable(flag, out)
    path, is_demo = scenario_path(scenario)
    with demo_target_if(is_demo and target is None, quiet) as demo:
        plan = load_plan(path, demo[0] if demo else None)
        try:
            chosen = pick_target(plan, target)
            prof = pick_profile(
                plan,
                profile,
                users=n_users,
                spawn_rate=n_spawn,
                rate=n_rate,
                duration=seconds,
                streams=n_streams,
            )
        except SelectionError as exc:
            raise Failure(str(exc)) from None
        check_python_tasks(plan)
        preflight(chosen)
        pids = target_pid_for(target_pid or (), chosen.url, demo)
        config = RunConfig(
            plan, chosen, prof, tick_s=tick, duration=seconds, target_pids=pids, grace_s=grace_s
        )
        outputs = Outputs(session, report_json, report_md, csv, junit, quiet, tuple(redact or ()))
        info = {"scenario": plan.name, "target": chosen.url, "profile": prof.name}
        outcome = run_headless(config, outputs, info)
    if outcome.reason:
        typer.echo(f"loadtui: {outcome.reason}", err=True)
    raise typer.Exit(outcome.code)


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="Scenario TOML to check")]) -> None:
    """Check a scenario file and print every problem with its place."""
    path, _ = scenario_path(scenario)
    plan = load_plan(path, None)  # Python tasks are checked with ast: validate runs no user code
    users = sum(len(c.tasks) for c in plan.users)
    typer.echo(
        f"{path}: ok ({len(plan.targets)} targets, {len(plan.users)} user classes, "
        f"{users} tasks, {len(plan.profiles)} profiles, {len(plan.thresholds)} thresholds)"
    )


@app.command("demo-target")
def demo_target(
    host: Annotated[str, typer.Option("--host", help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0: a free one)")] = 8089,
) -> None:
    """Run the embedded demo target (HTTP + WebSocket) until Ctrl-C."""
    from loadtui.demo.runner import run_forever

    if not 0 <= port <= 65535:
        raise Failure(f"--port must be 0..65535, got {port}")
    try:
        run_forever(host, port)
    except OSError as exc:
        raise Failure(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


@app.command(hidden=True)
def console(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario TOML")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Target name or URL")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="Profile name")] = None,
    session: Annotated[Path | None, typer.Option("--session", help="Session log path")] = None,
    target_pid: Annotated[
        list[int] | None,
        typer.Option(
            "--target-pid", help="Watch this process and its children (RSS/CPU); repeatable"
        ),
    ] = None,
    tick: Annotated[float, typer.Option("--tick", help="Seconds between snapshots")] = 0.25,
    redact: Annotated[
        list[str] | None,
        typer.Option("--redact", help="A header, query or variable name to hide in the session"),
    ] = None,
) -> None:
    """The live console. Bare: the demo scenario on the embedded demo target."""
    from loadtui.engine.runner import RunConfig
    from loadtui.report.text import summary_table
    from loadtui.scenario.select import SelectionError, pick_profile, pick_target
    from loadtui.tui.app import LaunchArgs, LoadtuiApp

    if not 0.05 <= tick <= 10:
        raise Failure("--tick must be between 0.05 and 10 seconds")
    check_writable("--session", session)
    if scenario is not None and not scenario.exists():
        raise Failure(f"scenario file not found: {scenario}")
    watched = target_pid_for(target_pid, "", None) if target_pid else ()  # checked up front
    straight = scenario is None or (target is not None and profile is not None)
    with demo_target_if(target is None, quiet=True) as demo:
        env = {**os.environ, **({"LOADTUI_TARGET": demo[0]} if demo else {})}
        config = launch = None
        if straight:
            path, _ = scenario_path(scenario)
            plan = load_plan(path, demo[0] if demo else None)
            try:
                chosen = pick_target(plan, target)
                prof = pick_profile(plan, profile)
            except SelectionError as exc:
                raise Failure(str(exc)) from None
            check_python_tasks(plan)
            preflight(chosen)
            pids = watched or target_pid_for((), chosen.url, demo)
            config = RunConfig(plan, chosen, prof, tick_s=tick, target_pids=pids)
        else:
            here = demo[0] if demo else None
            launch = LaunchArgs(
                bundled.directory(), Path.cwd(), scenario, env, here, target, profile
            )
        tui = LoadtuiApp(
            config=config,
            launch=launch,
            session=session,
            target_pids=lambda url: watched or target_pid_for((), url, demo),
            tick_s=tick,
            yield_cpu=True,
            redact=tuple(redact or ()),
        )
        saved = tui.run()
    if tui.report:
        typer.echo(summary_table(tui.report))
    if saved is not None:
        typer.echo(f"session saved to {saved}")
    for line in tui.lost:  # outputs not written (said in the console as they failed)
        typer.echo(f"loadtui: {line}", err=True)
    if tui.no_answer:
        raise typer.Exit(3)  # nothing answered: no verdict (the console said so on quitting)
    if tui.report and not tui.report.get("passed", True):
        raise typer.Exit(1)
    if tui.lost:
        raise typer.Exit(3)  # incomplete: an output could not be written


register_session_commands(app)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("--version", "-V"):
        typer.echo(f"loadtui {__version__}")
        return
    if not args or (args[0] not in SUBCOMMANDS and args[0] not in ("--help", "-h")):
        args = ["console", *args]
    # Commands that start a run: a stop signal before the run takes it over ends it
    # with exit 3 (stop_signals.py), never a traceback or a silent death.
    headless = args[0] in ("run", "rerun")
    starts_run = headless or args[0] == "console"
    guard = startup_guard(defer_first=headless) if starts_run else nullcontext()
    try:
        with guard:
            app(args=args, prog_name="loadtui", standalone_mode=True)
    except Failure as exc:
        typer.echo(f"loadtui: {exc}", err=True)
        raise SystemExit(exc.code) from None


if __name__ == "__main__":
    main()
