"""The scenarios that ship inside the package, found through `importlib.resources`.

They are package data (`loadtui/data/scenarios`), so a built wheel carries them as much
as a checkout does. Scenario files are loaded by path (a Python task module sits beside
its scenario), so this hands out real directories and files.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DEMO = "demo"


def directory() -> Path:
    """The bundled scenarios' directory on disk."""
    found = files("loadtui").joinpath("data", "scenarios")
    # A regular install (wheel, editable or checkout) unpacks to files; a zipped
    # install would hand back a traversable that is no directory, said clearly here.
    path = Path(str(found))
    if not path.is_dir():
        raise FileNotFoundError(f"the bundled scenarios are not on disk ({found})")
    return path


def names() -> list[str]:
    """Every bundled scenario's name, sorted (`demo`, `spike`, ...)."""
    return sorted(p.stem for p in directory().glob("*.toml"))


def named(name: str) -> Path | None:
    """A bundled scenario by its name (`spike` or `spike.toml`), when `name` is no path."""
    if "/" in name or "\\" in name:
        return None
    path = directory() / (name if name.endswith(".toml") else f"{name}.toml")
    return path if path.is_file() else None


def is_bundled(path: Path) -> bool:
    """Whether `path` is one of the bundled scenarios (the demo needs its own target)."""
    return path.resolve().parent == directory().resolve()
