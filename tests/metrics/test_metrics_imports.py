"""metrics and report must stay importable without the TUI stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MODULES = [
    "loadtui.metrics.histogram",
    "loadtui.metrics.recorder",
    "loadtui.metrics.system",
    "loadtui.report.thresholds",
    "loadtui.report.build",
    "loadtui.report.writers",
    "loadtui.report.csv_report",
    "loadtui.report.markdown",
    "loadtui.report.text",
]


def test_no_textual_or_rich() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in MODULES)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == ""
