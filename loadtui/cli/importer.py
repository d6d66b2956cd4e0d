"""`loadtui import`: a scenario drafted from recorded traffic (a HAR file, or one curl
command), written to stdout or to `-o FILE`. Nothing is sent and nothing recorded is run;
what was left out and the environment variables to set go to stderr."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loadtui.cli.support import Failure

if TYPE_CHECKING:
    from loadtui.scenario.recorded import Recorded

_TARGET_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def import_scenario(
    har: Annotated[
        Path | None, typer.Argument(metavar="FILE.har", help="A HAR recording to import")
    ] = None,
    curl: Annotated[
        str | None,
        typer.Option(
            "--curl", metavar='"curl ..."', help="One request as a curl command (-: from stdin)"
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="FILE", help="Write here (default: stdout)"),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing -o FILE")] = False,
    include_static: Annotated[
        bool,
        typer.Option("--include-static", help="Keep images, CSS, scripts, fonts and media"),
    ] = False,
    target_name: Annotated[
        str, typer.Option("--target-name", metavar="NAME", help="The scenario's target name")
    ] = "recorded",
    origin: Annotated[
        str | None,
        typer.Option(
            "--origin",
            metavar="URL",
            help="Import the requests to this origin (default: where most went)",
        ),
    ] = None,
) -> None:
    """Draft a scenario from a HAR recording or a curl command."""
    from loadtui.scenario.draft import DraftOptions, draft
    from loadtui.scenario.emit import EmitError
    from loadtui.scenario.recorded import ImportProblem

    if (har is None) == (curl is None):
        raise Failure('give a HAR file or --curl "curl ...", one of them')
    if not _TARGET_NAME.fullmatch(target_name):
        raise Failure(f"--target-name {target_name!r}: use letters, digits, '_', '.' and '-'")
    if output is not None and output.exists() and not force:
        raise Failure(f"{output} exists; --force overwrites it")
    name = output.stem if output is not None else (har.stem if har is not None else "curl")
    try:
        requests = _requests(har, curl)
        options = DraftOptions(
            source=har.name if har is not None else "a curl command",
            name=name or "imported",
            target_name=target_name,
            include_static=include_static,
            origin=origin,
        )
        result = draft(requests, options)
    except ImportProblem as exc:
        raise Failure(str(exc)) from None
    except EmitError as exc:  # draft checks every value first: a bug if it shows
        raise Failure(f"cannot write this recording as TOML: {exc}") from None
    if output is None:  # UTF-8 whatever the locale says, as a file would be
        sys.stdout.buffer.write(result.text.encode("utf-8"))
        sys.stdout.flush()
    else:
        _write(output, result.text, force)
    where = "stdout" if output is None else str(output)
    tasks = f"{result.tasks} task" + ("" if result.tasks == 1 else "s")
    typer.echo(f"drafted {tasks} against {result.origin} to {where}", err=True)
    for line in result.left_out:
        typer.echo(f"  left out: {line}", err=True)
    if result.env:
        typer.echo(f"  set before a run: {', '.join(result.env)}", err=True)


def _requests(har: Path | None, curl: str | None) -> list[Recorded]:
    from loadtui.scenario.curl import MAX_COMMAND_CHARS, parse_curl
    from loadtui.scenario.har import read_har

    if har is not None:
        return read_har(har)
    command = curl or ""
    if command == "-":  # bytes that are not UTF-8 stay bytes, as in a shell's argv
        command = sys.stdin.buffer.read(MAX_COMMAND_CHARS + 1).decode("utf-8", "surrogateescape")
    return [parse_curl(command)]


def _write(output: Path, text: str, force: bool) -> None:
    """Write `text`, never over an existing file unless `force` (exclusive create)."""
    try:
        with output.open("w" if force else "x", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except FileExistsError:
        raise Failure(f"{output} exists; --force overwrites it") from None
    except OSError as exc:
        raise Failure(f"cannot write {output}: {exc.strerror or exc}", code=3) from None
