"""`python -m loadtui` is the `loadtui` command."""

from loadtui.cli import main

main()
