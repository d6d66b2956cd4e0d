"""The `loadtui` command: the typer app, its commands, and `main`.

Bare `loadtui` opens the console (the app's callback); `loadtui SCENARIO [options]` too,
since a first word that names no command starts the hidden `console` command with every
word (`ConsoleByDefault`). A `Failure` raised anywhere below is one line on stderr and
its exit code (docs/contracts.md, "Exit codes"), never a traceback.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from loadtui import __version__
from loadtui.cli.console import console
from loadtui.cli.importer import import_scenario
from loadtui.cli.run import demo_target, run, validate
from loadtui.cli.sessions import compare, replay, report, rerun
from loadtui.cli.support import Failure

DEFAULT_COMMAND = "console"


class ConsoleByDefault(TyperGroup):
    """A group whose default command is the console: `loadtui my.toml --target x` and
    `loadtui --target x my.toml` are `loadtui console ...`, while `--help` and
    `--version` stay the app's own."""

    ignore_unknown_options = True  # the console's options, before its scenario

    # `Any`: the click types typer is built on are not its public API (it vendors its
    # own click since 0.29).
    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and self.get_command(ctx, args[0]) is None:
            return DEFAULT_COMMAND, self.get_command(ctx, DEFAULT_COMMAND), args
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=ConsoleByDefault,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="loadtui: drive HTTP load live from the terminal, with honest latency.",
)


def _version(shown: bool) -> None:
    if shown:
        typer.echo(f"loadtui {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _start(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    if ctx.invoked_subcommand is None:  # bare `loadtui`: the demo in the console
        console()


app.command()(run)
app.command()(validate)
app.command("demo-target")(demo_target)
app.command("import")(import_scenario)
app.command(hidden=True)(console)
for command in (replay, report, compare, rerun):
    app.command()(command)


def main(argv: list[str] | None = None) -> None:
    """`loadtui ARGV` (default: the process's arguments); ends with SystemExit."""
    try:
        app(args=argv, prog_name="loadtui")
    except Failure as exc:
        typer.echo(f"loadtui: {exc}", err=True)
        raise SystemExit(exc.code) from None
