"""Per-endpoint figures in a DataTable whose rows are keyed by endpoint name and whose
cells are updated in place (only those that changed), so 10 refreshes a second neither
flicker nor move the operator's scroll position.

Two views, the reactive `view` the screen flips with `t`: the window (the snapshot's
interval figures: the screen feeds a view of the last 10 s, see metrics/window.py, or
replay's marked window, and says what it covers) and the whole run (cumulative). The
pane's title says which. Rows with a breached threshold get a ✗ and the breached figure
is shown reversed, so a breach reads without colour.
"""

from __future__ import annotations

from typing import Literal

from rich.console import JustifyMethod
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import var
from textual.widgets import DataTable, Static

from loadtui.metrics.snapshot import EndpointStats, Latency, Snapshot
from loadtui.report import fmt
from loadtui.report.breaches import BreachWatch
from loadtui.tui.widgets.common import WAITING, WINDOW_LABEL, short_count

View = Literal["window", "run"]
TOTAL_KEY = "\x00total"
# (column key, label, width); the name column sizes itself.
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("name", "Name", None),
    ("reqs", "Reqs", 8),
    ("fails", "Fails", 6),
    ("rps", "req/s", 8),
    ("p50", "p50", 6),
    ("p90", "p90", 6),
    ("p95", "p95", 6),
    ("p99", "p99", 6),
    ("p999", "p99.9", 6),
    ("max", "max", 6),
)
# Threshold metric → the column that shows it.
METRIC_COLUMN = {
    "p50": "p50",
    "p90": "p90",
    "p95": "p95",
    "p99": "p99",
    "p99.9": "p999",
    "max": "max",
    "error_rate": "fails",
    "checks": "fails",
    "unfinished": "fails",
    "rps": "rps",
}
BREACH_STYLE = "bold reverse red"
TITLE = "Endpoints"
RUN_LABEL = "whole run"


def metric_column(metric: str) -> str:
    """The column a breached threshold marks (status counts mark the failures; what
    has no column, such as rate_limited, marks the name)."""
    if metric.startswith("status_"):
        return "fails"
    return METRIC_COLUMN.get(metric, "name")


def row_values(stats: EndpointStats, view: View) -> dict[str, str]:
    """The figures of one row, as text, for one view."""
    if view == "window":
        reqs, fails, rps = stats.interval_requests, stats.interval_failures, stats.rps
        lat: Latency = stats.interval_latency
    else:
        reqs, fails, rps = stats.requests, stats.failures, stats.mean_rps
        lat = stats.latency
    seen = lat.count > 0 or lat.max > 0

    def ms(v: float) -> str:
        return fmt.ms(v) if seen else "-"

    return {
        "reqs": short_count(reqs),
        "fails": short_count(fails),
        "rps": fmt.rate(rps),
        "p50": ms(lat.p50),
        "p90": ms(lat.p90),
        "p95": ms(lat.p95),
        "p99": ms(lat.p99),
        "p999": ms(lat.p999),
        "max": ms(lat.max),
    }


def label(stats: EndpointStats) -> str:
    return fmt.endpoint_label({"name": stats.name, "method": stats.method})


class EndpointsPane(Vertical):
    """The endpoints table plus a Total row; `show` is cheap when nothing changed."""

    DEFAULT_CSS = """
    EndpointsPane > DataTable { height: 1fr; }
    EndpointsPane > #endpoints-waiting { color: $text-muted; }
    """

    view: var[View] = var("window", init=False)
    """The figures the rows show: the window's or the whole run's (`t` flips it)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.window_label = WINDOW_LABEL  # what the window figures fed last cover
        self._fed: tuple[Snapshot, BreachWatch | None] | None = None
        self._breached = 0
        self._titled: tuple[str, str] | None = None
        self._names: tuple[str, ...] | None = None
        self._cells: dict[tuple[str, str], tuple[str, str]] = {}
        self.table: DataTable[Text] = DataTable(
            id="endpoints-table", cursor_type="none", cell_padding=0, show_cursor=False
        )

    def compose(self) -> ComposeResult:
        yield Static(WAITING, id="endpoints-waiting")
        yield self.table

    def on_mount(self) -> None:
        for key, title, width in COLUMNS:
            justify: JustifyMethod = "left" if key == "name" else "right"
            self.table.add_column(Text(title, justify=justify), key=key, width=width)
        self._titles()

    @property
    def view_label(self) -> str:
        return self.window_label if self.view == "window" else RUN_LABEL

    def show(
        self, snap: Snapshot, watch: BreachWatch | None = None, window_label: str = WINDOW_LABEL
    ) -> None:
        """Rows from `snap` (its interval figures cover `window_label`), marked by `watch`."""
        self._fed = (snap, watch)
        self.window_label = window_label
        self._fill(snap, watch)

    def watch_view(self) -> None:
        """The other figures of what was fed last, and a title that says so."""
        if self._fed is not None and self.is_mounted:
            self._fill(*self._fed)
        else:
            self._titles()

    def _titles(self) -> None:
        """Title: what the figures cover; subtitle: breaches, and what `t` switches to."""
        other = RUN_LABEL if self.view == "window" else self.window_label
        subtitle = f"t: {other}"
        if self._breached:
            subtitle = f"✗ {self._breached} breached · {subtitle}"
        titles = (f"{TITLE} · {self.view_label}", subtitle)
        if titles != self._titled:
            self._titled = titles
            self.border_title, self.border_subtitle = titles

    def _fill(self, snap: Snapshot, watch: BreachWatch | None) -> None:
        rows = [*snap.endpoints, snap.total]
        names = tuple(e.name for e in snap.endpoints)
        if names != self._names:
            self._rebuild(names)
        breached = 0
        for stats in rows:
            key = TOTAL_KEY if stats is snap.total else stats.name
            broken = watch.breached(None if key == TOTAL_KEY else stats.name) if watch else []
            breached += len(broken)
            columns = {metric_column(r.threshold.metric) for r in broken}
            name = "Total" if key == TOTAL_KEY else label(stats)
            name_style = BREACH_STYLE if broken else "bold" if key == TOTAL_KEY else ""
            cells = {"name": (f"{'✗' if broken else ' '} {name}", name_style)}
            for col, value in row_values(stats, self.view).items():
                cells[col] = (value, BREACH_STYLE if col in columns else "")
            for col, cell in cells.items():
                if self._cells.get((key, col)) != cell:
                    self._cells[(key, col)] = cell
                    value, style = cell
                    text = Text(value, style=style, justify="left" if col == "name" else "right")
                    self.table.update_cell(key, col, text, update_width=col == "name")
        self._breached = breached
        self._titles()

    def _rebuild(self, names: tuple[str, ...]) -> None:
        """Endpoints appeared (first snapshot, or a task ran for the first time)."""
        if self._names is None:
            self.query_one("#endpoints-waiting").display = False
        self._names = names
        self._cells.clear()
        self.table.clear()
        blank = [Text("")] * len(COLUMNS)
        for name in names:
            self.table.add_row(*blank, key=name)
        self.table.add_row(*blank, key=TOTAL_KEY)
