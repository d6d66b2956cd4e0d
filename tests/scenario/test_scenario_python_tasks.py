"""`call = "module:function"` is checked by reading the source with ast, never importing."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtui.scenario import ScenarioError, load_scenario
from loadtui.scenario.model import PythonTask

MODULE = """\
import pathlib
pathlib.Path(__file__).with_name("IMPORTED").write_text("side effect")
raise SystemExit("validation must not import me")

async def login(client, vars):
    return None

async def browse(client, vars):
    return None

def plain(client, vars):
    return None

class Flow:
    pass
"""


def write_scenario(folder: Path, *calls: str) -> Path:
    tasks = "".join(f'[[users.tasks]]\ncall = "{c}"\n' for c in calls)
    file = folder / "py.toml"
    file.write_text(
        'name = "py"\n[targets.t]\nurl = "http://127.0.0.1:1"\n[[users]]\nname = "u"\n' + tasks
    )
    return file


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "flows.py").write_text(MODULE)
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("async def ping(client, vars):\n    pass\n")
    (pkg / "sub" / "deep.py").write_text("async def go(client, vars):\n    pass\n")
    return tmp_path


def test_async_functions_are_accepted_without_importing(folder: Path) -> None:
    s = load_scenario(write_scenario(folder, "flows:login", "pkg:ping", "pkg.sub.deep:go"), env={})
    tasks = s.users[0].tasks
    assert tasks == (
        PythonTask("flows:login", "flows", "login", 1.0, str(folder.resolve())),
        PythonTask("pkg:ping", "pkg", "ping", 1.0, str(folder.resolve())),
        PythonTask("pkg.sub.deep:go", "pkg.sub.deep", "go", 1.0, str(folder.resolve())),
    )
    assert not (folder / "IMPORTED").exists()


def test_name_and_weight(folder: Path) -> None:
    file = folder / "named.toml"
    file.write_text(
        'name = "py"\n[targets.t]\nurl = "http://127.0.0.1"\n[[users]]\n'
        '[[users.on_start]]\nname = "sign in"\ncall = "flows:login"\n'
        '[[users.tasks]]\nname = "browse"\nweight = 3\ncall = "flows:browse"\n'
    )
    user = load_scenario(file, env={}).users[0]
    assert user.on_start[0].name == "sign in"
    assert (user.tasks[0].name, user.tasks[0].weight) == ("browse", 3.0)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        ("flows:plain", "flows.py: plain is a plain def. Make it async def"),
        ("flows:Flow", "Flow is a class"),
        ("flows:logn", 'no async def logn at the top level. Did you mean "login"?'),
        ("flows:nothing_like_it", "no async def nothing_like_it"),
        ("absent:run", "module 'absent' not found"),
        ("pkg.nope:run", "module 'pkg.nope' not found"),
        ("flows", "is not module:function"),
        ("flows:1x", "is not module:function"),
        ("../flows:login", "is not module:function"),
    ],
)
def test_bad_calls(folder: Path, call: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(folder, "flows:login", call), env={})
    (problem,) = info.value.problems
    assert problem.path == "users[0].tasks[1].call"
    assert problem.line == 9
    assert fragment in problem.format()
    assert not (folder / "IMPORTED").exists()


def test_module_with_syntax_error(folder: Path) -> None:
    (folder / "broken.py").write_text("async def run(client, vars)\n    pass\n")
    with pytest.raises(ScenarioError, match=r"broken.py does not parse: .*\(line 1\)"):
        load_scenario(write_scenario(folder, "broken:run"), env={})


def test_modules_are_found_next_to_the_scenario_not_the_cwd(
    folder: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)
    assert load_scenario(write_scenario(folder, "flows:browse"), env={}).users[0].tasks
    (elsewhere / "here.py").write_text("async def f(client, vars):\n    pass\n")
    with pytest.raises(ScenarioError, match="module 'here' not found"):
        load_scenario(write_scenario(folder, "here:f"), env={})
