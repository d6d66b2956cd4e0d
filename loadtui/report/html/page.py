"""One self-contained HTML file: the page template with its styles, scripts (uPlot and
our own) and data inlined, read from this package's assets with importlib.resources.

The page must open from disk or a CI artifact and ask nothing of the network: every
byte is in the file, and a Content-Security-Policy allows only the scripts and styles
it carries (by hash), no connection, font or frame. Data goes in as JSON inside
`<script type="application/json">`, with `<`, `>` and `&` escaped, so nothing a session
holds can close the element or become markup.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from functools import cache
from importlib import resources
from typing import Any

from loadtui import __version__

UPLOT_VERSION = "1.6.32"
SCRIPTS = (
    "vendor/uplot/uPlot.iife.min.js",
    "format.js",
    "decode.js",
    "charts.js",
    "tables.js",
    "main.js",
)
STYLES = ("vendor/uplot/uPlot.min.css", "report.css")


@cache
def asset(name: str) -> str:
    """A file of assets/, as text."""
    text = (
        resources.files("loadtui.report.html")
        .joinpath("assets", *name.split("/"))
        .read_text(encoding="utf-8")
    )
    if "</script" in text.lower() or "</style" in text.lower():  # pragma: no cover - a guard
        raise ValueError(f"asset {name} would close its element early")
    return text


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def json_for_script(value: Any) -> str:
    """JSON that cannot end the script element it sits in (nor start a comment)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(
    meta: dict[str, Any],
    blobs: list[str],
    *,
    title: str,
    subtitle: str,
    verdict: str,
    ok: bool,
) -> str:
    """The page: `meta` for main.js, `blobs[i]` the packed ticks of `meta["runs"][i]`.
    `verdict` is the headline shown before (and without) any script."""
    scripts = [asset(name) for name in SCRIPTS]
    styles = [asset(name) for name in STYLES]
    csp = "; ".join(
        (
            "default-src 'none'",
            "script-src " + " ".join(map(_hash, scripts)),
            "style-src " + " ".join(map(_hash, styles)),
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    data = [f'<script type="application/json" id="loadtui-meta">{json_for_script(meta)}</script>']
    data += [
        f'<script type="application/octet-stream" id="loadtui-data-{i}">{blob}</script>'
        for i, blob in enumerate(blobs)
    ]
    generator = f"loadtui {__version__} (charts: uPlot {UPLOT_VERSION}, MIT)"
    footer = (
        f"Written by loadtui {__version__}. Charts drawn with uPlot {UPLOT_VERSION} (MIT licence,"
        " embedded). Everything is in this file: it makes no network request."
    )
    fills = {
        "@CSP@": csp,  # hashes and keywords only: nothing to escape
        "@GENERATOR@": html.escape(generator),
        "@TITLE@": html.escape(title),
        "@HEADING@": html.escape(title),
        "@SUBTITLE@": html.escape(subtitle),
        "@VERDICT_CLASS@": "ok" if ok else "bad",
        "@VERDICT@": html.escape(verdict),
        "@FOOTER@": html.escape(footer),
        "@STYLES@": "\n".join(f"<style>{s}</style>" for s in styles),
        "@DATA@": "\n".join(data),
        "@SCRIPTS@": "\n".join(f"<script>{s}</script>" for s in scripts),
    }
    page = asset("page.html")
    # One pass, so a filled-in value is never searched again for another marker.
    out: list[str] = []
    rest = page
    while True:
        at = rest.find("@")
        if at < 0:
            out.append(rest)
            break
        end = rest.find("@", at + 1)
        key = rest[at : end + 1] if end > 0 else ""
        if key in fills:
            out += [rest[:at], fills[key]]
            rest = rest[end + 1 :]
        else:
            out.append(rest[: at + 1])
            rest = rest[at + 1 :]
    return "".join(out)
