"""Commands on recorded sessions: replay, report, compare, rerun.

Registered on the main typer app by loadtui.cli; like it, commands only: they read
arguments, call the session and report modules, and map outcomes to exit codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loadtui.cli_support import (
    BUNDLED,
    Failure,
    check_python_tasks,
    check_writable,
    demo_target_if,
    load_plan,
    preflight,
    target_pid_for,
)


def _read(path: Path):
    from loadtui.session.reader import SessionError, read_session

    try:
        return read_session(path)
    except SessionError as exc:
        raise Failure(str(exc)) from None


def replay(session: Annotated[Path, typer.Argument(help="Session log to reopen")]) -> None:
    """Reopen a recorded session in the console: play, seek, speed, jump to events."""
    from loadtui.tui.app import LoadtuiApp

    recorded = _read(session)
    if not recorded.ticks:
        raise Failure(f"{session}: the session has no ticks to replay")
    LoadtuiApp(replay=recorded).run()


def report(
    session: Annotated[Path, typer.Argument(help="Session log")],
    report_json: Annotated[Path | None, typer.Option("--report-json")] = None,
    report_md: Annotated[Path | None, typer.Option("--report-md")] = None,
    csv: Annotated[str | None, typer.Option("--csv", help="CSV files prefix")] = None,
    junit: Annotated[Path | None, typer.Option("--junit")] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="Charts for a pull request")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet")] = False,
) -> None:
    """Every report of `loadtui run`, computed from a session log; no load is sent."""
    from loadtui.report.from_session import report_from_session, write_outputs
    from loadtui.report.text import summary_table

    for flag, out in (
        ("--report-json", report_json),
        ("--report-md", report_md),
        ("--junit", junit),
        ("--svg", svg),
        ("--csv", f"{csv}_stats.csv" if csv else None),
    ):
        check_writable(flag, out)
    recorded = _read(session)
    if recorded.final is None:
        raise Failure(f"{session}: the session has no ticks to report on")
    result = report_from_session(recorded)
    failed = write_outputs(
        result,
        report_json=report_json,
        report_md=report_md,
        csv_prefix=csv,
        junit=junit,
        svg=svg,
        session=recorded,
    )
    if not quiet:
        typer.echo(summary_table(result))
        if recorded.truncated:
            typer.echo(f"note: {session} was cut off (a killed run): figures up to its last tick")
    if failed:
        raise Failure("could not write: " + "; ".join(failed))
    raise typer.Exit(0 if result.get("passed", True) else 1)


def compare(
    base: Annotated[Path, typer.Argument(help="Baseline session")],
    new: Annotated[Path, typer.Argument(help="Session to judge against it")],
    tolerance: Annotated[str, typer.Option("--tolerance", help="e.g. 10% or 0.1")] = "10%",
    report_md: Annotated[Path | None, typer.Option("--report-md")] = None,
    allow_different: Annotated[
        bool,
        typer.Option(
            "--allow-different",
            help="Judge runs that are not comparable instead of exiting 2",
        ),
    ] = False,
) -> None:
    """Side by side per endpoint and stream; exit 1 when NEW regressed beyond tolerance.

    Runs that are not comparable (another scenario, profile or target URL, another
    worker count, or lengths more than 20% apart) are listed before the table, one line
    per difference; their figures are shown but not judged, and the exit code is 2
    unless --allow-different.

    Exit codes: 0 no regression; 1 NEW regressed; 2 not comparable, or a usage error;
    3 the Markdown could not be written.
    """
    from loadtui.report.compare import compare as compare_sessions
    from loadtui.report.compare import parse_tolerance
    from loadtui.report.compare_render import comparison_markdown, comparison_text
    from loadtui.report.writers import write_text

    try:
        limit = parse_tolerance(tolerance)
    except ValueError as exc:
        raise Failure(f"--tolerance {tolerance!r}: {exc}") from None
    check_writable("--report-md", report_md)
    a, b = _read(base), _read(new)
    for path, s in ((base, a), (new, b)):
        if s.final is None:
            raise Failure(f"{path}: the session has no ticks to compare")
    result = compare_sessions(a, b, tolerance=limit, allow_different=allow_different)
    typer.echo(comparison_text(result))
    if report_md is not None:
        try:
            write_text(report_md, comparison_markdown(result))
        except OSError as exc:
            raise Failure(f"could not write: --report-md {report_md}: {exc}", code=3) from None
    if not result.judged:
        what = ", ".join(d.what for d in result.differences)
        raise Failure(
            f"{base} and {new} are not comparable ({what}); --allow-different judges them anyway"
        )
    raise typer.Exit(0 if result.ok else 1)


def rerun(
    session: Annotated[Path, typer.Argument(help="Session whose timeline to send again")],
    target: Annotated[str | None, typer.Option("--target", help="Target name or URL")] = None,
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="Scenario file, if not where recorded")
    ] = None,
    new_session: Annotated[Path | None, typer.Option("--session", help="New session log")] = None,
    report_json: Annotated[Path | None, typer.Option("--report-json")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet")] = False,
) -> None:
    """Send a recorded run again: its profile, with every operator action (skipped stages,
    pauses, set levels, stop) at its recorded offset, for as long as the original ran
    (wall clock, pauses included). Records a new session."""
    from loadtui.engine.runner import RunConfig
    from loadtui.headless import Outputs, run_headless
    from loadtui.scenario.select import SelectionError, pick_target
    from loadtui.session.reader import SessionError
    from loadtui.session.rerun import rerun_plan
    from loadtui.session.writer import default_session_path

    try:
        plan = rerun_plan(_read(session))
    except SessionError as exc:
        raise Failure(str(exc)) from None
    source = scenario or plan.scenario_path
    if source is None or not source.exists():
        raise Failure(
            f"the recorded scenario {source or '(unknown)'} is not here; give --scenario FILE"
        )
    out = new_session or default_session_path(Path.cwd(), f"{source.stem}-rerun")
    check_writable("--session", out)
    check_writable("--report-json", report_json)
    bundled = source.resolve().parent == BUNDLED.resolve()
    with demo_target_if(bundled and target is None, quiet) as demo:
        # ${LOADTUI_TARGET} means the demo target now, or the target recorded then.
        recorded = load_plan(source, demo[0] if demo else plan.target_url or None)
        try:
            wanted = target or (plan.target_name if recorded.target(plan.target_name) else None)
            chosen = pick_target(recorded, wanted or plan.target_url)
        except SelectionError as exc:
            raise Failure(str(exc)) from None
        check_python_tasks(recorded)
        preflight(chosen)
        config = RunConfig(
            recorded,
            chosen,
            plan.profile,
            duration=plan.duration,
            tick_s=plan.tick_s,
            script=plan.script,
            target_pids=target_pid_for((), chosen.url, demo),
        )
        info = {"scenario": recorded.name, "target": chosen.url, "profile": plan.profile.name}
        outcome = run_headless(config, Outputs(out, report_json, quiet=quiet), info)
    if not quiet:
        typer.echo(f"session saved to {out}")
    if outcome.reason:
        typer.echo(f"loadtui: {outcome.reason}", err=True)
    raise typer.Exit(outcome.code)


def register(app: typer.Typer) -> None:
    for command in (replay, report, compare, rerun):
        app.command()(command)


__all__ = ["register"]
