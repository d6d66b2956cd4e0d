"""The charts pane: request rate (with errors/s) and p50/p95/p99 latency over the last
minutes, both drawn from the screen's History. Series marks differ by symbol as well
as colour: ● first series, ▲ second, ■ third."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Container

from loadtui.report import fmt
from loadtui.tui.history import History
from loadtui.tui.widgets.chart import LineChart, Series


def rate_series(history: History) -> list[Series]:
    return [
        Series("req/s", history.series("rps"), "●", "cyan"),
        Series("errors/s", history.series("err_rps"), "▲", "red"),
    ]


def latency_series(history: History) -> list[Series]:
    return [
        Series("p50", history.series("p50"), "●", "green"),
        Series("p95", history.series("p95"), "▲", "yellow"),
        Series("p99", history.series("p99"), "■", "magenta"),
    ]


class ChartsPane(Container):
    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rps = LineChart(fmt_value=fmt.rate, id="chart-rps", classes="box")
        self.rps.border_title = "req/s"
        self.latency = LineChart(fmt_value=fmt.ms, id="chart-latency", classes="box")
        self.latency.border_title = "latency (ms)"
        self._bins = -1

    def compose(self) -> ComposeResult:
        yield self.rps
        yield self.latency

    def show(self, history: History) -> None:
        """Redraw when a new time bin starts (at most 1 / History.resolution a second)."""
        if history.bins == self._bins:
            return
        self._bins = history.bins
        self.rps.plot(rate_series(history))
        self.latency.plot(latency_series(history))
