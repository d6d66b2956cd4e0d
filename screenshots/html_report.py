"""Take the README's screenshots of the HTML report, from real runs against the demo target.

    python screenshots/html_report.py

Starts the embedded demo target on a free loopback port, runs the same scenario twice
(`loadtui run`, 20 s each: "item" answers in ~15 ms, then in ~30 ms), writes the run's
report and the comparison (`--report-html`), and photographs them in Debian's chromium
(headless, through Playwright with the system executable): the report on a desktop
after a zoom, on a phone in dark mode, and the comparison. PNGs are saved next to this
file. Traffic goes only to the demo target on 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.browser import chromium, opened  # noqa: E402

from loadtui.demo.runner import start_subprocess, stop_subprocess  # noqa: E402

SHOP = """
name = "checkout"
description = "A burst of shoppers against the demo target: a flaky payment, a rate-limited search"
[targets.demo]
url = "${LOADTUI_TARGET}"
timeout = "5s"
[[users]]
name = "shopper"
wait = "uniform(5ms, 20ms)"
[[users.tasks]]
name = "items"
weight = 5
path = "/api/items"
[[users.tasks]]
name = "item"
weight = 3
path = "/api/jitter"
query = { ms = ITEM_MS, jitter = 8 }
[[users.tasks]]
name = "search"
weight = 2
path = "/api/limited"
query = { rate = 40 }
[[users.tasks]]
name = "pay"
path = "/api/flaky"
query = { fail = 0.03 }
[users.websocket]
name = "chat"
path = "/ws/echo"
send = { every = "200ms", text = "hi {seq}" }
expect = "echo"
duration = "6s"
[profiles.ramp]
stages = [
  { duration = "8s", users = 6, spawn_rate = 3 },
  { duration = "6s", users = 16, spawn_rate = 8 },
  { duration = "6s", users = 8, spawn_rate = 8 },
]
[thresholds]
p95 = "< 60ms"
error_rate = "< 1%"
[thresholds.endpoints."item"]
p99 = "< 40ms"
"""


def run(folder: Path, item_ms: int, url: str, *outputs: str) -> None:
    folder.mkdir()
    (folder / "checkout.toml").write_text(SHOP.replace("ITEM_MS", str(item_ms)))
    subprocess.run(
        [sys.executable, "-m", "loadtui", "run", "checkout.toml", "--tick", "0.25", "-q",
         *outputs],
        cwd=folder, env={**os.environ, "LOADTUI_TARGET": url}, check=False, timeout=120,
        capture_output=True,
    )  # fmt: skip


def main() -> None:
    proc, port = start_subprocess()
    url = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory(prefix="loadtui-shots-") as tmp:
            work = Path(tmp)
            run(work / "base", 15, url, "--session", "../base.json", "--report-html", "../r.html")
            run(work / "new", 30, url, "--session", "../new.json")
            subprocess.run(
                [sys.executable, "-m", "loadtui", "compare", "base.json", "new.json",
                 "--report-html", "cmp.html"],
                cwd=work, capture_output=True, check=False, timeout=120,
            )  # fmt: skip
            shoot(work / "r.html", work / "cmp.html")
    finally:
        stop_subprocess(proc)


def shoot(report: Path, comparison: Path) -> None:
    with chromium() as browser:
        desk = opened(browser, report, viewport={"width": 1280, "height": 1400})
        chart = desk.page.locator("#chart-latency .u-over")
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert box is not None
        y = box["y"] + box["height"] / 2
        desk.page.mouse.move(box["x"] + box["width"] * 0.35, y)
        desk.page.mouse.down()
        desk.page.mouse.move(box["x"] + box["width"] * 0.7, y, steps=8)
        desk.page.mouse.up()
        desk.page.evaluate("window.scrollTo(0, 0)")
        desk.page.screenshot(path=HERE / "html-report.png")
        desk.page.locator("#window").screenshot(path=HERE / "html-report-range.png")
        phone = opened(
            browser,
            report,
            viewport={"width": 390, "height": 1500},
            color_scheme="dark",
            device_scale_factor=1,
        )
        phone.page.screenshot(path=HERE / "html-report-phone-dark.png")
        cmp = opened(browser, comparison, viewport={"width": 1280, "height": 1600})
        cmp.page.select_option("#picker", "item")
        charts = cmp.page.locator("#charts").bounding_box()
        assert charts is not None
        clip = {"x": 0, "y": charts["y"] - 8, "width": 1280, "height": 780}
        cmp.page.screenshot(path=HERE / "html-compare.png", full_page=True, clip=clip)
        for page in (desk, phone, cmp):
            if page.errors or page.foreign_requests:
                raise SystemExit(f"the page was not clean: {page.errors} {page.foreign_requests}")
    for name in ("html-report", "html-report-range", "html-report-phone-dark", "html-compare"):
        print(f"wrote screenshots/{name}.png")


if __name__ == "__main__":
    main()
