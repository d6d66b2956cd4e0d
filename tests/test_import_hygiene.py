"""The core (engine, metrics, scenario, session) imports without textual or rich."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import loadtui

CORE = ("engine", "metrics", "scenario", "session")


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(loadtui.__path__, "loadtui."):
        if info.name.split(".")[1] in CORE:
            names.append(info.name)
    return names


def test_core_has_modules() -> None:
    mods = core_modules()
    assert "loadtui.engine.controller" in mods and "loadtui.scenario.loader" in mods


def test_core_imports_without_ui_libraries() -> None:
    # httpx's package import loads its optional command line (rich, via click and
    # pygments) whenever those happen to be installed: that is httpx's doing, not ours,
    # so what it loads is the baseline and only modules our core adds count.
    code = (
        "import importlib, sys\n"
        "import httpx\n"
        "before = set(sys.modules)\n"
        f"for m in {core_modules()!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in set(sys.modules) - before\n"
        "             if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "", f"core pulled in: {out.stdout.strip()}"
