"""Python task modules are the scenario's own: a same-named module imported earlier for
another scenario in this process (the console runs one scenario after another) is not
reused."""

from __future__ import annotations

from pathlib import Path

from loadtui.engine.pycalls import load_function
from loadtui.scenario.model import PythonTask


def _scenario_dir(root: Path, name: str, function: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "flows_shared.py").write_text(
        f"async def {function}(client, vars):\n    return {name!r}\n"
    )
    return folder


async def test_a_same_named_module_from_another_scenario_is_not_reused(tmp_path: Path) -> None:
    first = _scenario_dir(tmp_path, "first", "one")
    second = _scenario_dir(tmp_path, "second", "two")
    fn1 = load_function(PythonTask("a", "flows_shared", "one", search_path=str(first)))
    fn2 = load_function(PythonTask("b", "flows_shared", "two", search_path=str(second)))
    assert await fn1(None, {}) == "first"
    assert await fn2(None, {}) == "second"
    # and back again: the first scenario's module, not the second's
    again = load_function(PythonTask("a", "flows_shared", "one", search_path=str(first)))
    assert await again(None, {}) == "first"
