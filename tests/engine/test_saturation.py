"""The generator's self-check: a starved event loop is reported, never hidden."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import loadtui
from support.scenarios import call, scenario, user, write

from loadtui.engine.saturation import HOLD_S, SaturationWatch
from loadtui.metrics.snapshot import SystemGauges

BLOCKING = """
import time

async def hog(client, vars):
    time.sleep(0.03)  # blocks the event loop: exactly what a saturated generator looks like
    await client.get("/api/fast")
"""


def test_watch_needs_a_sustained_condition_and_records_periods() -> None:
    watch = SaturationWatch()
    hot = SystemGauges(cpu_percent=99.0)
    calm = SystemGauges(cpu_percent=20.0, loop_lag_ms=1.0)
    assert watch.update(hot, 0.0) == ()
    assert watch.update(calm, 0.5) == ()  # a blip resets the clock
    assert watch.update(SystemGauges(loop_lag_ms=25.0), 1.0) == ()
    assert watch.update(hot, 1.0 + HOLD_S) == ("generator saturated",)
    assert "generator saturated" in watch.new_messages()[0]
    assert watch.update(calm, 5.0) == ()
    assert watch.new_messages() == ["generator no longer saturated"]
    assert watch.all_periods(6.0) == [(1.0, 5.0)]


def test_a_starved_loop_is_flagged_in_output_and_report(demo_url: str, tmp_path: Path) -> None:
    (tmp_path / "hogs.py").write_text(BLOCKING)
    path = write(tmp_path, scenario(user(call("hogs:hog", "hog")), name="hog", target=demo_url))
    out = loadtui(
        "run", str(path), "-u", "2", "-t", "4s", "--report-json", "r.json", "--report-md", "r.md",
        cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "warning: generator saturated" in out.stderr  # the live event line
    assert "WARNING: generator saturated for" in out.stdout  # the summary
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["generator_saturated"] is True
    [[start, end]] = report["saturation"]
    assert 0 <= start < end <= 4.5
    assert "Generator saturated" in (tmp_path / "r.md").read_text()
