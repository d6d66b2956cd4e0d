"""A real headless browser for the HTML report: Debian's `chromium`, driven by
Playwright through the system executable (nothing is downloaded at run time), with a
fresh profile, no background networking, no sync, no component updates.
One browser serves many pages: each opens in its own context (viewport, colour scheme).

`opened(browser, path)` loads a file:// page and records what a reviewer cares about:
console errors and page errors, and every request the page makes (only its own file
is allowed). Tests skip with `SKIP_REASON` when chromium or playwright is missing.
"""

from __future__ import annotations

import importlib.util
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
READY = (  # drawn, or failed and saying why
    "document.documentElement.dataset.ready === '1'"
    " || !!document.getElementById('failure').textContent"
)


def skip_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install playwright; no browser download needed)"
    return None


SKIP_REASON = skip_reason()


@contextmanager
def chromium() -> Iterator[Browser]:
    """The browser; Playwright gives each launch a fresh, throw-away profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(ARGS))
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Opened:
    """A report open in a page, with what it logged and asked for."""

    page: Page
    url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def foreign_requests(self) -> list[str]:
        return [r for r in self.requests if r != self.url]

    def state(self, script: str) -> Any:
        return self.page.evaluate(script)


def opened(browser: Browser, path: Path, timeout_s: float = 30.0, **options: Any) -> Opened:
    """Open `path` in a new context (`options`: viewport, color_scheme,
    device_scale_factor ...) and wait until its charts are drawn, or it says it failed."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
    page = context.new_page()
    seen = Opened(page, path.resolve().as_uri())
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(f"page error: {e}"))
    page.on("request", lambda r: seen.requests.append(r.url))
    page.goto(seen.url)
    # Polled from here: `wait_for_function` compiles its predicate inside the page, which
    # the report's Content-Security-Policy (no 'unsafe-eval') refuses; `evaluate` goes
    # through the DevTools protocol, which the policy does not govern.
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(READY):
        assert time.monotonic() < deadline, f"{path.name}: not drawn within {timeout_s:g} s"
        page.wait_for_timeout(20)
    return seen
