"""`loadtui run`, `validate` and `demo-target`: a scenario run headless, checked, or the
target to try it on. Commands only: they read arguments, build objects and map
outcomes to exit codes (docs/contracts.md, "Exit codes")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loadtui.cli.flags import (
    CsvOption,
    DurationOption,
    ExcludeTagsOption,
    IterationsOption,
    JunitOption,
    ProfileOption,
    RateOption,
    RayOption,
    RedactOption,
    ReportHtmlOption,
    ReportJsonOption,
    ReportMdOption,
    SessionOption,
    SpawnRateOption,
    TagsOption,
    TargetOption,
    TargetPidOption,
    TickOption,
    UsersOption,
    WorkersOption,
    check_outputs,
    check_tick,
    fleet,
    parse_duration_flag,
    parse_overrides,
    parse_selection,
)
from loadtui.cli.support import (
    Failure,
    choosing,
    demo_target_if,
    load_plan,
    ready,
    scenario_path,
    target_pid_for,
)
from loadtui.stop_signals import startup_guard


def run(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario TOML (default: the demo)")
    ] = None,
    target: TargetOption = None,
    profile: ProfileOption = None,
    users: UsersOption = None,
    spawn_rate: SpawnRateOption = None,
    rate: RateOption = None,
    streams: Annotated[
        str | None,
        typer.Option("--streams", metavar="N", help="Extra WebSocket stream-only sessions"),
    ] = None,
    duration: DurationOption = None,
    iterations: IterationsOption = None,
    tags: TagsOption = None,
    exclude_tags: ExcludeTagsOption = None,
    grace: Annotated[
        str, typer.Option("--grace", help="How long in-flight requests may finish at stop")
    ] = "5s",
    session: SessionOption = None,
    report_json: ReportJsonOption = None,
    report_md: ReportMdOption = None,
    csv: CsvOption = None,
    junit: JunitOption = None,
    report_html: ReportHtmlOption = None,
    tick: TickOption = 0.5,
    workers: WorkersOption = None,
    ray: RayOption = None,
    target_pid: TargetPidOption = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only errors and exit code")] = False,
    redact: RedactOption = None,
) -> None:
    """Run a scenario headless: progress on stderr, summary and reports at the end."""
    from loadtui.cli.headless import Outputs, run_headless
    from loadtui.engine.config import build_run_config
    from loadtui.report.outputs import Outputs as ReportFiles

    # A stop signal before the run takes them over is held for it: the run starts
    # stopped, writes what it can and exits 3 (stop_signals.py).
    with startup_guard(defer_first=True):
        overrides = parse_overrides(
            users=users,
            spawn_rate=spawn_rate,
            rate=rate,
            streams=streams,
            duration=duration,
            iterations=iterations,
        )
        selection = parse_selection(tags, exclude_tags)
        grace_s = parse_duration_flag(grace, "--grace") or 0.0
        check_tick(tick)
        check_outputs(
            ("--session", session),
            ("--report-json", report_json),
            ("--report-md", report_md),
            ("--junit", junit),
            ("--csv", f"{csv}_stats.csv" if csv else None),
            ("--report-html", report_html),
        )
        path, is_demo = scenario_path(scenario)
        with demo_target_if(is_demo and target is None, quiet) as demo:
            plan = load_plan(path, demo[0] if demo else None)
            count, cluster = fleet(workers, ray, plan)  # joins Ray once the scenario is sound
            with choosing():
                config = build_run_config(
                    plan,
                    target,
                    profile,
                    overrides=overrides,
                    tick_s=tick,
                    grace_s=grace_s,
                    target_pids=lambda url: target_pid_for(target_pid or (), url, demo),
                    workers=count,
                    ray=cluster,
                    selection=selection,
                )
            reports = ReportFiles(report_json, report_md, csv, junit, html=report_html)
            outputs = Outputs(session, reports, quiet, tuple(redact or ()))
            outcome = run_headless(ready(config), outputs)
        if outcome.reason:
            typer.echo(f"loadtui: {outcome.reason}", err=True)
        raise typer.Exit(outcome.code)


def validate(scenario: Annotated[Path, typer.Argument(help="Scenario TOML to check")]) -> None:
    """Check a scenario file and print every problem with its place."""
    path, _ = scenario_path(scenario)
    plan = load_plan(path, None)  # Python tasks are checked with ast: validate runs no user code
    users = sum(len(c.tasks) for c in plan.users)
    typer.echo(
        f"{path}: ok ({len(plan.targets)} targets, {len(plan.users)} user classes, "
        f"{users} tasks, {len(plan.profiles)} profiles, {len(plan.thresholds)} thresholds)"
    )
    from loadtui.scenario.thresholds import runtime_endpoint_notes

    for note in runtime_endpoint_notes(plan):  # step names of Python tasks: known at run time
        typer.echo(f"{path}: {note}")


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
