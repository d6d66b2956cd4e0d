"""Take the README's screenshots from real runs against the embedded demo target.

    python screenshots/take.py

Each shot runs the real console (engine child process included) headless at a fixed
terminal size, lets real load flow for a few seconds, and saves Textual's SVG export
next to this file. Traffic goes only to the demo target on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from loadtui.demo.runner import start_subprocess, stop_subprocess
from loadtui.engine.config import RunConfig, build_run_config
from loadtui.scenario import bundled, load_scenario
from loadtui.tui.app import LaunchArgs, LoadtuiApp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

ERRORS = """
name = "errors"
description = "A target having a bad day: 5xx, rate limits, timeouts"
[targets.demo]
url = "${LOADTUI_TARGET}"
timeout = { connect = "1s", read = "300ms", total = "2s" }
[[users]]
name = "u"
wait = "uniform(0.05s, 0.2s)"
[[users.tasks]]
name = "flaky"
weight = 3
path = "/api/flaky"
query = { fail = 0.25 }
[[users.tasks]]
name = "limited"
weight = 2
path = "/api/limited"
query = { rate = 20 }
[[users.tasks]]
name = "slow"
path = "/api/jitter"
query = { ms = 250, jitter = 200 }
[[users.tasks]]
name = "missing"
path = "/api/items/none"
[profiles.ramp]
stages = [{ duration = "5m", users = 30, spawn_rate = 15 }]
[thresholds]
error_rate = "< 1%"
p95 = "< 200ms"
"""


async def shot(
    app: LoadtuiApp, name: str, size: tuple[int, int], seconds: float, keys: tuple[str, ...] = ()
) -> None:
    async with app.run_test(size=size) as pilot:
        await pilot.pause(seconds)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(1.0)
        app.save_screenshot(str(HERE / f"{name}.svg"))
        print(f"saved screenshots/{name}.svg", flush=True)
        await pilot.press("q")
        await pilot.pause(3.0)


def config(path: Path, url: str, pid: int, profile: str | None = None) -> RunConfig:
    plan = load_scenario(path, env={**os.environ, "LOADTUI_TARGET": url})
    return build_run_config(plan, None, profile, tick_s=0.5, target_pids=lambda _url: (pid,))


async def main() -> None:
    proc, port = start_subprocess("127.0.0.1", 0)
    url = f"http://127.0.0.1:{port}"
    demo = bundled.directory() / "demo.toml"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            errors = work / "errors.toml"
            errors.write_text(ERRORS)
            launch = LaunchArgs(
                bundled.directory(), work, None, {**os.environ, "LOADTUI_TARGET": url}, url
            )
            await shot(LoadtuiApp(launch=launch, sessions_dir=work), "launch", (120, 36), 1.0)
            for size in ((80, 24), (160, 48)):
                app = LoadtuiApp(config=config(demo, url, proc.pid), sessions_dir=work)
                await shot(app, f"dashboard-{size[0]}x{size[1]}", size, 12.0)
            app = LoadtuiApp(config=config(errors, url, proc.pid), sessions_dir=work)
            await shot(app, "errors-160x48", (160, 48), 12.0)
            streaming = bundled.directory() / "streaming.toml"
            app = LoadtuiApp(config=config(streaming, url, proc.pid), sessions_dir=work)
            await shot(app, "websocket-160x48", (160, 48), 12.0, keys=("w", "w"))
    finally:
        stop_subprocess(proc)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
