"""A small multi-series line chart in braille dots (2x4 per cell), drawn from History.

Why our own: the charts must stay legible without colour, so each series has a marker
drawn at its latest point and a legend with its current value; the y axis carries its
maximum; tiny sizes degrade to the legend alone instead of failing. `render_chart` is a
pure function of the data and the size, so it is tested without an app.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from loadtui.report import fmt

# Braille dot bits by (dx, dy) inside one cell, dy counted from the top.
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
_BRAILLE = 0x2800


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]  # (t seconds, value), oldest first
    marker: str  # one cell, drawn at the latest point and in the legend
    style: str = ""


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above value (1 for nothing)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * exp * (1 + 1e-9):
            return step * exp
    return 10 * exp  # pragma: no cover


def axis_label(value: float) -> str:
    """Compact y-axis label: 0.5, 20, 250, 2.5k, 10k, 1.2M."""
    for div, unit in ((1e6, "M"), (1e3, "k")):
        if value >= div:
            return f"{value / div:.3g}{unit}"
    return f"{value:.3g}"


def _line(x0: int, y0: int, x1: int, y1: int) -> list[tuple[int, int]]:
    """Dots from (x0, y0) to (x1, y1), Bresenham."""
    dots = []
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    err = dx + dy
    while True:
        dots.append((x0, y0))
        if x0 == x1 and y0 == y1:
            return dots
        e2 = 2 * err
        if e2 >= dy:
            err += dy
            x0 += sx
        if e2 <= dx:
            err += dx
            y0 += sy


def render_chart(
    series: Sequence[Series],
    width: int,
    height: int,
    *,
    fmt_value: Callable[[float], str] = fmt.rate,
    span_min: float = 60.0,
    span_max: float = 300.0,
) -> Text:
    """`height` lines of `width` cells: legend, plot with y labels, time axis."""
    if width < 1 or height < 1:
        return Text()
    legend = Text(no_wrap=True, overflow="ellipsis")
    for s in series:
        now = fmt_value(s.points[-1][1]) if s.points else "-"
        legend.append(f"{s.marker} ", style=s.style)
        legend.append(f"{s.label} {now}  ")
    legend.rstrip()
    legend.truncate(width, overflow="ellipsis")
    rows = height - 2 if height >= 4 else height - 1
    if width < 8 or rows < 1:
        return legend

    points = [p for s in series for p in s.points]
    if not points:
        return Text("\n").join([legend, Text("no data yet", style="dim")])
    t_now = max(t for t, _ in points)
    t_first = min(t for t, _ in points)
    span = min(max(t_now - t_first, span_min), span_max)
    t0 = t_now - span
    visible = [v for t, v in points if t >= t0]
    top = nice_ceiling(max(visible, default=0.0))
    top_label, zero_label = axis_label(top), "0"
    label_w = max(len(top_label), len(zero_label))
    plot_w = width - label_w - 1
    if plot_w < 2:
        return legend
    xs, ys = plot_w * 2, rows * 4
    cells = [[0] * plot_w for _ in range(rows)]
    owner = [[-1] * plot_w for _ in range(rows)]

    def put(index: int, x: int, y: int) -> None:
        cx, row = x // 2, rows - 1 - y // 4
        cells[row][cx] |= _DOTS[x % 2][3 - y % 4]
        owner[row][cx] = index

    ends: list[tuple[int, int, int]] = []
    for index, s in enumerate(series):
        columns: dict[int, int] = {}
        for t, v in s.points:
            if t < t0:
                continue
            x = round((t - t0) / span * (xs - 1)) if span > 0 else xs - 1
            y = round(min(max(v, 0.0), top) / top * (ys - 1))
            columns[x] = max(columns.get(x, 0), y)
        prev: tuple[int, int] | None = None
        for x in sorted(columns):
            y = columns[x]
            for dx, dy in _line(*prev, x, y) if prev else [(x, y)]:
                put(index, dx, dy)
            prev = (x, y)
        if prev is not None:
            ends.append((index, prev[0] // 2, rows - 1 - prev[1] // 4))

    marks = {(row, cx): index for index, cx, row in ends}
    lines = [legend]
    for row in range(rows):
        label = top_label if row == 0 else zero_label if row == rows - 1 else ""
        line = Text(no_wrap=True)
        line.append(label.rjust(label_w), style="dim")
        line.append("┤" if label else "│", style="dim")
        run: list[str] = []  # cells of one style go in one span: cheap to draw
        run_style = ""
        for cx in range(plot_w):
            mark = marks.get((row, cx))
            if mark is not None:
                char, style = series[mark].marker, series[mark].style
            elif cells[row][cx]:
                char, style = chr(_BRAILLE + cells[row][cx]), series[owner[row][cx]].style
            else:
                char, style = " ", ""
            if style != run_style and run:
                line.append("".join(run), style=run_style)
                run = []
            run_style = style
            run.append(char)
        line.append("".join(run), style=run_style)
        lines.append(line)
    if height >= 4:
        left, right = f"-{fmt.duration(span)}", "now"
        gap = max(1, plot_w - len(left) - len(right))
        axis = " " * (label_w + 1) + left + " " * gap + right
        lines.append(Text(axis[:width], style="dim", no_wrap=True))
    return Text("\n").join(lines)


class LineChart(Widget):
    """Shows the series it was last given; draws at whatever size it has now."""

    DEFAULT_CSS = """
    LineChart { height: 1fr; min-height: 1; }
    """

    def __init__(
        self,
        *,
        fmt_value: Callable[[float], str] = fmt.rate,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.fmt_value = fmt_value
        self.series: tuple[Series, ...] = ()

    def plot(self, series: Sequence[Series]) -> None:
        self.series = tuple(series)
        self.refresh()

    def render(self) -> RenderResult:
        if not self.series:
            return Text("waiting for the first snapshot…", style="dim")
        size = self.content_region.size
        return render_chart(self.series, size.width, size.height, fmt_value=self.fmt_value)
