"""loadtui installs like real software: a built wheel (not the checkout) carries the
bundled scenarios and styles, and runs the demo from wherever it is installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    (built,) = out.glob("loadtui-*.whl")
    return built


def test_the_wheel_carries_scenarios_styles_and_types(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = {Path(n).stem for n in names if n.startswith("loadtui/data/scenarios/")}
    shipped = {p.stem for p in (ROOT / "loadtui" / "data" / "scenarios").glob("*.toml")}
    assert bundled == shipped and "demo" in bundled
    assert "loadtui/py.typed" in names
    assert any(n.startswith("loadtui/tui/") and n.endswith(".tcss") for n in names)


def test_the_installed_wheel_runs_the_demo(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    work = tmp_path / "work"  # not the checkout: nothing found next to the sources
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONWARNINGS": "ignore"}

    def loadtui(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "loadtui", *args],
            cwd=work, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    where = subprocess.run(
        [sys.executable, "-c", "import loadtui; print(loadtui.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.strip().startswith(str(site))
    assert loadtui("validate", "spike").returncode == 0
    run = loadtui("run", "-t", "1s", "-q", "--report-json", "r.json")
    # The demo's own thresholds may break in one second (its flaky endpoint): what
    # matters here is that the installed package found its scenario and ran it.
    assert run.returncode in (0, 1), run.stderr
    report = json.loads((work / "r.json").read_text())
    assert report["scenario"] == "demo" and report["requests"] > 0
    missing = loadtui("validate", "nosuch")
    assert missing.returncode == 2
    assert missing.stderr.startswith("loadtui: scenario file not found: nosuch (bundled scenarios:")
    assert " spike," in missing.stderr
