"""`loadtui` as a user runs it: a real process, its streams captured, bounded in time."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def loadtui(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m loadtui ARGS` with this environment plus `env`."""
    return subprocess.run(
        [sys.executable, "-m", "loadtui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})},
        check=False,
    )
