"""`python -m loadtui` is the `loadtui` command."""

from loadtui.cli import main

if __name__ == "__main__":  # the engine's spawned child re-imports this module
    main()
