"""Commands on recorded sessions: replay, report, compare, rerun.

Registered on the typer app by cli/app.py; commands only: they read arguments, call the
session and report modules, and map outcomes to exit codes.

A session file is data, whoever wrote it: anything in it that is malformed is one line
and exit 2 (the reader checks every field; a tick is checked when first rebuilt, so a
command catches SessionError around all it does with the ticks). `rerun` imports Python
tasks only from a scenario file given with --scenario, never from a path in the file.
An output that cannot be written is one line ("cannot write PATH: reason") and the
others are still written; the exit code is then 3, unless the verdict already failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loadtui.cli.flags import (
    CsvOption,
    ExcludeTagsOption,
    JunitOption,
    RayOption,
    ReportHtmlOption,
    ReportJsonOption,
    ReportMdOption,
    TagsOption,
    TargetOption,
    WorkersOption,
    check_outputs,
    check_writable,
    fleet,
    parse_selection,
)
from loadtui.cli.support import (
    Demo,
    Failure,
    choosing,
    demo_target_if,
    load_plan,
    ready,
    say_each,
    target_pid_for,
)
from loadtui.scenario import bundled
from loadtui.stop_signals import startup_guard

if TYPE_CHECKING:
    from loadtui.report.compare import Comparison
    from loadtui.scenario.model import Scenario, Selection
    from loadtui.session.reader import Session

EXIT_INCOMPLETE = 3


@contextmanager
def _session_data() -> Iterator[None]:
    """A malformed field met while working on a session: one line, exit 2."""
    from loadtui.session.reader import SessionError

    try:
        yield
    except SessionError as exc:
        raise Failure(str(exc)) from None


def _read(path: Path) -> Session:
    from loadtui.session.reader import read_session

    with _session_data():
        return read_session(path)


def replay(session: Annotated[Path, typer.Argument(help="Session log to reopen")]) -> None:
    """Reopen a recorded session in the console: play, seek, speed, jump to events."""
    from loadtui.tui.app import LoadtuiApp
    from loadtui.tui.replay_player import ReplayPlayer

    recorded = _read(session)
    if not recorded.ticks:
        raise Failure(f"{session}: the session has no ticks to replay")
    with _session_data():
        ReplayPlayer(recorded)  # what opens first (the end, its charts' window) rebuilds
    tui = LoadtuiApp(replay=recorded)
    tui.run()
    if tui.failure:  # met while replaying: a malformed tick further in
        raise Failure(tui.failure, code=tui.return_code or 2)
    if tui.return_code:
        raise typer.Exit(tui.return_code)


def report(
    session: Annotated[Path, typer.Argument(help="Session log")],
    report_json: ReportJsonOption = None,
    report_md: ReportMdOption = None,
    csv: CsvOption = None,
    junit: JunitOption = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="Charts for a pull request")] = None,
    report_html: ReportHtmlOption = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet")] = False,
) -> None:
    """Every report of `loadtui run`, computed from a session log; no load is sent."""
    from loadtui.report.from_session import report_from_session
    from loadtui.report.outputs import Outputs as ReportFiles
    from loadtui.report.outputs import write_reports
    from loadtui.report.text import summary_table

    outputs = ReportFiles(report_json, report_md, csv, junit, svg, report_html)
    check_outputs(*outputs.files())
    recorded = _read(session)
    if recorded.final is None:
        raise Failure(f"{session}: the session has no ticks to report on")
    with _session_data():
        result = report_from_session(recorded)
        failed = write_reports(result, outputs, session=recorded)
    if not quiet:
        typer.echo(summary_table(result))
        if recorded.truncated:
            typer.echo(f"note: {session} was cut off (a killed run): figures up to its last tick")
    say_each(failed)
    if not result["passed"]:
        raise typer.Exit(1)
    raise typer.Exit(EXIT_INCOMPLETE if failed else 0)


def compare(
    base: Annotated[Path, typer.Argument(help="Baseline session")],
    new: Annotated[Path, typer.Argument(help="Session to judge against it")],
    tolerance: Annotated[str, typer.Option("--tolerance", help="e.g. 10% or 0.1")] = "10%",
    report_md: ReportMdOption = None,
    report_html: ReportHtmlOption = None,
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
    worker count, other classes or tasks selected, another iteration budget, or lengths
    more than 20% apart) are listed before the table, one line
    per difference; their figures are shown but not judged, and the exit code is 2
    unless --allow-different.

    Exit codes: 0 no regression; 1 NEW regressed; 2 not comparable, or a usage error;
    3 the Markdown or the HTML could not be written.
    """
    from loadtui.report.compare import compare as compare_sessions
    from loadtui.report.compare import parse_tolerance
    from loadtui.report.compare_render import comparison_markdown, comparison_text
    from loadtui.report.writers import cannot_write, write_text

    try:
        limit = parse_tolerance(tolerance)
    except ValueError as exc:
        raise Failure(f"--tolerance {tolerance!r}: {exc}") from None
    check_writable("--report-md", report_md)
    check_writable("--report-html", report_html)
    a, b = _read(base), _read(new)
    for path, s in ((base, a), (new, b)):
        if s.final is None:
            raise Failure(f"{path}: the session has no ticks to compare")
    with _session_data():
        result = compare_sessions(a, b, tolerance=limit, allow_different=allow_different)
    typer.echo(comparison_text(result))
    unwritten = False
    if report_md is not None:
        try:
            write_text(report_md, comparison_markdown(result))
        except OSError as exc:
            say_each([cannot_write(report_md, exc)])
            unwritten = True
    if report_html is not None:
        unwritten = not _compare_html(report_html, a, b, result) or unwritten
    if not result.judged:
        what = ", ".join(d.what for d in result.differences)
        raise Failure(
            f"{base} and {new} are not comparable ({what}); --allow-different judges them anyway"
        )
    if not result.ok:
        raise typer.Exit(1)
    raise typer.Exit(EXIT_INCOMPLETE if unwritten else 0)


def _compare_html(path: Path, base: Session, new: Session, result: Comparison) -> bool:
    """Both runs on shared axes, as `compare` judged them; False (said) when unwritten."""
    from loadtui.report.from_session import report_from_session
    from loadtui.report.html import compare_page
    from loadtui.report.writers import cannot_write, write_text

    with _session_data():
        reports = (report_from_session(base), report_from_session(new))
        page = compare_page(base, new, reports, result)
    try:
        write_text(path, page)
    except OSError as exc:
        say_each([cannot_write(path, exc)])
        return False
    return True


def rerun(
    session: Annotated[Path, typer.Argument(help="Session whose timeline to send again")],
    target: TargetOption = None,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            help="Scenario file, if not where recorded; needed to run Python tasks",
        ),
    ] = None,
    new_session: Annotated[Path | None, typer.Option("--session", help="New session log")] = None,
    report_json: ReportJsonOption = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet")] = False,
    workers: WorkersOption = None,
    ray: RayOption = None,
    tags: TagsOption = None,
    exclude_tags: ExcludeTagsOption = None,
) -> None:
    """Send a recorded run again: its profile, with every operator action (skipped stages,
    pauses, set levels, stop) at its recorded offset, for as long as the original ran
    (wall clock, pauses included). Records a new session.

    Python tasks (`call = "module:function"`) run only from the scenario file given with
    --scenario: a session naming one where it was recorded is refused without it.

    The recorded --tags/--exclude-tags narrow the scenario again; -T/-E given here
    replace them (both)."""
    # A stop signal before the run takes them over is held for it (as for `run`).
    with startup_guard(defer_first=True):
        selection = parse_selection(tags, exclude_tags)
        _rerun(
            session, target, scenario, new_session, report_json, quiet, (workers, ray), selection
        )


def _rerun(
    session: Path,
    target: str | None,
    scenario: Path | None,
    new_session: Path | None,
    report_json: Path | None,
    quiet: bool,
    generators: tuple[str | None, str | None],
    selection: Selection | None,
) -> None:
    from loadtui.cli.headless import Outputs, run_headless
    from loadtui.engine.config import Overrides, build_run_config
    from loadtui.report.outputs import Outputs as ReportFiles
    from loadtui.scenario.userinfo import redact_url
    from loadtui.session.rerun import hidden_credentials, rerun_plan
    from loadtui.session.writer import default_session_path

    with _session_data():
        plan = rerun_plan(_read(session))
    refuse = _python_refusal(session)
    if scenario is None and plan.python_tasks:
        raise Failure(refuse(", ".join(plan.python_tasks[:3])))
    source = scenario or plan.scenario_path
    if source is None or not source.exists():
        raise Failure(
            f"the recorded scenario {source or '(unknown)'} is not here; give --scenario FILE"
        )
    if not source.is_file():
        raise Failure(f"the scenario {source} is not a file; give --scenario FILE")
    out = new_session or default_session_path(Path.cwd(), f"{source.stem}-rerun")
    check_writable("--session", out)
    check_writable("--report-json", report_json)
    shipped = bundled.is_bundled(source)
    with demo_target_if(shipped and target is None, quiet) as demo:
        # ${LOADTUI_TARGET} means the demo target now, or the target recorded then.
        recorded = load_plan(source, demo[0] if demo else plan.target_url or None)
        found = _python_tasks(recorded)
        if scenario is None and found:  # the file there has them, though the session did not
            raise Failure(refuse(", ".join(found[:3])))
        wanted = target or _same_target(recorded, plan.target_name, plan.target_url, demo)
        count, cluster = fleet(*generators, recorded)
        with choosing():
            config = build_run_config(
                recorded,
                wanted or plan.target_url,
                plan.profile,
                overrides=Overrides(duration=plan.duration),
                tick_s=plan.tick_s,
                target_pids=lambda url: target_pid_for((), url, demo),
                script=plan.script,
                workers=count,
                ray=cluster,
                selection=plan.selection if selection is None else selection,
            )
        if hidden_credentials(config.target.url):  # never send the session's "***"
            shown = redact_url(config.target.url)
            raise Failure(
                f"{session}: the target {shown} has its password hidden in the session;"
                f" give it again: loadtui rerun {session} --target URL"
            )
        outputs = Outputs(out, ReportFiles(report_json=report_json), quiet=quiet)
        outcome = run_headless(ready(config), outputs)
    if not quiet and not any(line.startswith(f"cannot write {out}:") for line in outcome.lost):
        typer.echo(f"session saved to {out}")
    if outcome.reason:
        typer.echo(f"loadtui: {outcome.reason}", err=True)
    raise typer.Exit(outcome.code)


def _same_target(
    scenario: Scenario, name: str, url: str, demo: Demo | None
) -> str | None:
    """What the re-run aims at without --target: the recorded target by its name, unless
    the run was aimed elsewhere (`--target URL`, its URL then differing from the file's):
    then the recorded URL, the one that was tested. The demo target is a new one each
    time; the name finds it."""
    from loadtui.scenario.userinfo import redact_url

    found = scenario.target(name)
    if found is None:
        return None
    if demo is None and url and redact_url(found.url) != url:
        return url
    return name


def _python_refusal(session: Path) -> Callable[[str], str]:
    def line(calls: str) -> str:
        return (
            f"{session}: its scenario has Python tasks ({calls}); rerun imports Python code"
            f" only from a scenario file you name: loadtui rerun {session} --scenario FILE"
        )

    return line


def _python_tasks(scenario: Scenario) -> list[str]:
    """`module:function` of each Python task of a loaded scenario (nothing imported)."""
    from loadtui.scenario.model import PythonTask

    return [
        f"{task.module}:{task.function}"
        for cls in scenario.users
        for task in (*cls.on_start, *cls.tasks)
        if isinstance(task, PythonTask)
    ]
