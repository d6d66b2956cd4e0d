"""The command line (`loadtui`): arguments in, objects built and handed over, outcomes
out as exit codes. The app and `main` are in cli/app.py, a module per command group
beside it."""

from loadtui.cli.app import main

__all__ = ["main"]
