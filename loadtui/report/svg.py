"""A recorded run as one SVG chart, to paste in a pull request.

Two stacked plots share the time axis: req/s (and failures/s when any failed) above,
p50/p95/p99 below, with stage changes, operator actions and threshold breaches as
vertical markers. Self-contained: no script, no external reference, no font files.
Light colours are set as attributes; a `prefers-color-scheme: dark` rule swaps them,
so the chart reads on GitHub's white and dark themes alike.

Long runs are drawn with at most one point per pixel column: req/s over each column's
ticks, and percentiles recomputed exactly from the merged interval histograms.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape, quoteattr

from loadtui.metrics.histogram import decode, latency_of, merge
from loadtui.metrics.snapshot import Event, Latency, Snapshot
from loadtui.report.thresholds import evaluate
from loadtui.scenario.userinfo import redact_url
from loadtui.session.reader import Session

MARKED = ("stage", "operator", "breach")
MAX_MARKERS = 300
LABEL_ROWS, LABEL_W = 3, 80  # marker labels: rows at the top of the chart, px apart
SERIES = (("p50", "p50", "#2da44e"), ("p95", "p95", "#d4a72c"), ("p99", "p99", "#e5534b"))
RPS_COLOUR, FAIL_COLOUR = "#2f81f7", "#e5534b"
MARK_COLOURS = {"stage": "#8c959f", "operator": "#a371f7", "breach": "#e5534b"}
STYLE = """
.bg{fill:#ffffff}.fg{fill:#1f2328}.dim{fill:#57606a}.grid{stroke:#d0d7de}.axis{stroke:#8c959f}
@media (prefers-color-scheme:dark){.bg{fill:#0d1117}.fg{fill:#e6edf3}.dim{fill:#8b949e}
.grid{stroke:#30363d}.axis{stroke:#6e7681}}
"""
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600)


def _t(text: object) -> str:
    return escape(_XML_BAD.sub("?", str(text)))


def _a(text: object) -> str:
    return quoteattr(_XML_BAD.sub("?", str(text)))


def nice_scale(value: float) -> tuple[float, int]:
    """(top, gridlines): a round step (1, 2, 2.5 or 5 x 10^k) at most 5 times over
    `value`; (1, 4) for nothing."""
    if not value > 0 or not math.isfinite(value):
        return 1.0, 4
    exp = 10 ** math.floor(math.log10(value / 5))
    step = next(m * exp for m in (1, 2, 2.5, 5, 10) if m * exp * 5 >= value * (1 - 1e-9))
    n = max(1, math.ceil(value / step - 1e-9))
    return step * n, n


def time_label(seconds: float) -> str:
    s = round(seconds)
    h, m, sec = s // 3600, s % 3600 // 60, s % 60
    if h:
        return f"{h}h{m:02d}m" if m else f"{h}h"
    if m:
        return f"{m}m{sec:02d}s" if sec else f"{m}m"
    return f"{sec}s"


def _num(v: float) -> str:
    return f"{v:g}" if v < 10_000 else f"{v / 1000:g}k"


def verdict(session: Session) -> str:
    final = session.final
    cut = "" if session.summary is not None else " (run cut short)"
    if final is None:
        return "no ticks recorded"
    thresholds = session.thresholds()
    if not thresholds:
        return "no thresholds" + cut
    failed = [r.name for r in evaluate(thresholds, final) if not r.ok]
    return (f"FAILED: {'; '.join(failed)}" if failed else "passed") + cut


class ChartPoints:
    """One point per column of ticks: time, req/s, failures/s and interval latency."""

    def __init__(self, ticks: Sequence[Snapshot], columns: int) -> None:
        self.t: list[float] = []
        self.rps: list[float] = []
        self.fails: list[float] = []
        self.lat: list[Latency] = []
        per = max(1, math.ceil(len(ticks) / max(1, columns)))
        for i in range(0, len(ticks), per):
            group = ticks[i : i + per]
            span = sum(s.interval_s for s in group)
            self.t.append(group[-1].t)
            self.rps.append(sum(s.total.interval_requests for s in group) / span if span else 0)
            self.fails.append(sum(s.total.interval_failures for s in group) / span if span else 0)
            if len(group) == 1:
                self.lat.append(group[0].total.interval_latency)
            else:
                hists = [decode(s.total.histogram) for s in group if s.total.histogram]
                self.lat.append(latency_of(merge(hists)) if hists else Latency())


def render_svg(session: Session, width: int = 900, height: int = 420) -> str:
    """The chart of `session` as SVG text (UTF-8, no XML declaration needed)."""
    width, height = max(320, int(width)), max(240, int(height))
    left, right, top, bottom, gap = 58, 16, 60, 34, 28
    plot_w = width - left - right
    plot_h = (height - top - bottom - gap) / 2
    ticks = session.ticks
    end = max(session.duration, 1e-9)
    pts = ChartPoints(ticks, plot_w)
    hdr = session.header
    scen = (hdr.get("scenario") or {}).get("name", "")
    target = redact_url(str((hdr.get("target") or {}).get("url") or ""))
    prof = (hdr.get("profile") or {}).get("name", "")
    title = f"{scen or 'run'} → {target} · profile {prof}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="-apple-system,Segoe UI,Helvetica,'
        f'Arial,sans-serif" font-size="11" role="img" aria-label={_a(title)}>',
        f"<title>{_t(title)}</title>",
        f"<style>{STYLE}</style>",
        f'<rect class="bg" fill="#ffffff" x="0" y="0" width="{width}" height="{height}"/>',
        f'<text class="fg" fill="#1f2328" x="{left}" y="18" font-size="13" '
        f'font-weight="bold">{_t(title)}</text>',
        f'<text class="dim" fill="#57606a" x="{left}" y="34" id="verdict">'
        f"{_t(verdict(session))} · {_t(time_label(session.duration))}</text>",
    ]

    def x(t: float) -> float:
        return left + plot_w * min(max(t / end, 0.0), 1.0)

    panels = (
        (top, "req/s", [("rps", "req/s", RPS_COLOUR, pts.rps)]),
        (
            top + plot_h + gap,
            "latency ms",
            [(key, label, c, [lat.get(key) for lat in pts.lat]) for key, label, c in SERIES],
        ),
    )
    if any(pts.fails):
        panels[0][2].append(("failures", "failures/s", FAIL_COLOUR, pts.fails))
    for y0, unit, series in panels:
        peak, lines = nice_scale(max((max(v, default=0.0) for *_, v in series), default=0.0))
        out += _frame(left, y0, plot_w, plot_h, peak, lines, unit)
        for i, (key, label, colour, values) in enumerate(series):
            coords = " ".join(
                f"{x(t):.1f},{y0 + plot_h * (1 - v / peak):.1f}"
                for t, v in zip(pts.t, values, strict=True)
            )
            out.append(
                f'<polyline id="series-{key}" fill="none" stroke="{colour}" '
                f'stroke-width="1.5" stroke-linejoin="round" points="{coords}"/>'
            )
            lx = left + plot_w - 80 * (len(series) - i)
            out.append(
                f'<rect x="{lx}" y="{y0 + 4}" width="10" height="3" fill="{colour}"/>'
                f'<text class="fg" fill="#1f2328" x="{lx + 14}" y="{y0 + 9}">{_t(label)}</text>'
            )
    axis_y = top + 2 * plot_h + gap
    out += _time_axis(x, end, axis_y, plot_w)
    out += _markers(session.events, x, top, axis_y)
    if not ticks:
        out.append(
            f'<text class="dim" fill="#57606a" x="{left + plot_w / 2}" y="{top + plot_h}" '
            'text-anchor="middle">no ticks recorded</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _frame(
    left: float, y0: float, w: float, h: float, peak: float, lines: int, unit: str
) -> list[str]:
    out = [f'<text class="dim" fill="#57606a" x="{left}" y="{y0 - 5}">{_t(unit)}</text>']
    for k in range(lines + 1):
        v = peak * k / lines
        y = y0 + h * (1 - k / lines)
        out.append(
            f'<line class="grid" stroke="#d0d7de" x1="{left}" y1="{y:.1f}" '
            f'x2="{left + w}" y2="{y:.1f}"/>'
            f'<text class="dim" fill="#57606a" x="{left - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{_num(v)}</text>'
        )
    return out


def _time_axis(x: Callable[[float], float], end: float, y: float, w: float) -> list[str]:
    step = next((s for s in _TIME_STEPS if end / s <= max(2, w / 90)), None)
    if step is None:
        step = 21600 * math.ceil(end / 21600 / max(2, w / 90))
    out = []
    t = 0.0
    while t <= end + 1e-9:
        px = x(t)
        out.append(
            f'<line class="axis" stroke="#8c959f" x1="{px:.1f}" y1="{y}" x2="{px:.1f}" '
            f'y2="{y + 4}"/><text class="dim" fill="#57606a" x="{px:.1f}" y="{y + 16}" '
            f'text-anchor="middle">{time_label(t)}</text>'
        )
        t += step
    return out


def _markers(
    events: Sequence[Event], x: Callable[[float], float], top: float, bottom: float
) -> list[str]:
    """Vertical lines at marked events; labels where they do not overlap the last one."""
    marked = [e for e in events if e.kind in MARKED][:MAX_MARKERS]
    out: list[str] = []
    rows = [-1e9] * LABEL_ROWS  # x of the last label in each row
    for e in marked:
        px = x(e.t)
        colour = MARK_COLOURS[e.kind]
        out.append(
            f'<g class="marker marker-{e.kind}"><title>{_t(f"{e.t:.1f}s {e.kind}: {e.message}")}'
            f'</title><line x1="{px:.1f}" y1="{top}" x2="{px:.1f}" y2="{bottom}" '
            f'stroke="{colour}" stroke-width="1" stroke-dasharray="3,3"/>'
        )
        row = next((i for i, last in enumerate(rows) if px - last >= LABEL_W), None)
        if row is not None:
            rows[row] = px
            out.append(
                f'<text x="{px + 3:.1f}" y="{top + 10 + 10 * row}" fill="{colour}" '
                f'font-size="9">{_t(_marker_label(e))}</text>'
            )
        out.append("</g>")
    return out


def _marker_label(e: Event) -> str:
    if e.kind == "operator" and e.data.get("action"):
        raw = e.data.get("args")
        args = " ".join(str(a) for a in raw) if isinstance(raw, list | tuple) else ""
        return f"{e.data['action']} {args}".strip()
    if e.kind == "breach":
        return f"breach {e.data.get('threshold', '')}".strip()
    text = e.message.split(":", 1)[0]
    return text[:24]
