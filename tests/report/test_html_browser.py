"""The HTML report in a real browser (Debian's chromium, headless, through Playwright):
reports of real runs against the demo target open without a console error or a single
network request, draw every chart, and their tables follow the endpoint picker and a
zoom, with percentiles equal to what `loadtui report` computes for the same ticks.

The runs (module fixture, all at once): BASE and NEW, 3 s each of a shop whose "item"
answers after ~3 ms in BASE and ~40 ms in NEW, with a rate-limited search, a flaky
payment (a failing status_5xx threshold, so breaches), and a WebSocket echo per user;
then `loadtui report` and `loadtui compare` on their sessions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.browser import SKIP_REASON, Opened, chromium, opened
from support.scenarios import echo_stream, get, scenario, user, write
from support.sessions import at_length

from loadtui.metrics.snapshot import Latency
from loadtui.report.compare import compare
from loadtui.report.from_session import report_from_session
from loadtui.report.html import run_page
from loadtui.report.html.levels import pack_ticks
from loadtui.report.schema import Report
from loadtui.session.reader import Session, read_session, window_latency

pytestmark = pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")

ENDPOINTS = ("items", "item", "search", "pay")
LATENCY = ("p50", "p90", "p95", "p99", "p99.9", "max")


PROFILE_S = 3.0


def shop(item_ms: int) -> str:
    tasks = (
        get("/api/items", "items", weight=3),
        get("/api/jitter", "item", weight=2, query={"ms": str(item_ms), "jitter": "2"}),
        get("/api/limited", "search", query={"rate": "20"}, on_429="count"),
        get("/api/flaky", "pay", query={"fail": "0.2"}),
    )
    shopper = user(
        *tasks, name="shopper", wait="constant(0.01s)", websocket=echo_stream(every="100ms")
    )
    flat = {"stages": [{"duration": f"{PROFILE_S:g}s", "users": 4, "spawn_rate": 1000}]}
    limits = {"p99": "< 10s", "endpoints": {"pay": {"status_5xx": "== 0"}}}
    return scenario(shopper, name="shop", profiles={"flat": flat}, thresholds=limits)


@dataclass(frozen=True)
class Runs:
    base: Session
    new: Session
    folder: Path

    def page(self, name: str) -> Path:
        return self.folder / name


def _loadtui(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "loadtui", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})},
    )


def _done(proc: subprocess.Popen[str], codes: tuple[int, ...]) -> None:
    _, err = proc.communicate(timeout=90)
    assert proc.returncode in codes and "Traceback" not in err, err


@pytest.fixture(scope="module")
def runs(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    tmp = tmp_path_factory.mktemp("html")
    scratch = tmp / "scratch"
    scratch.mkdir()
    procs = []
    for tag, ms, extra in (
        ("base", 3, ["--session", "../base.json", "--report-html", "../run.html"]),
        ("new", 40, ["--session", "../new.json"]),
        ("solo", 3, ["-t", "1s", "--report-html", "../solo.html"]),
    ):
        folder = tmp / tag
        folder.mkdir()
        scen = write(folder, shop(ms).replace("${LOADTUI_TARGET}", demo_url), "shop.toml")
        args = ["run", str(scen), "--tick", "0.25", "-q", *extra]
        procs.append(_loadtui(*args, cwd=folder, env={"TMPDIR": str(scratch)}))
    for proc in procs:
        _done(proc, (0, 1))  # 1: the flaky payment's status_5xx threshold
    assert list(scratch.iterdir()) == []  # the solo run's scratch session is gone
    assert (tmp / "solo.html").stat().st_size > 0
    for tag in ("base", "new"):  # compared at their length (three runs at once may end late)
        shutil.copy(tmp / f"{tag}.json", tmp / f"{tag}-cmp.json")
        at_length(tmp / f"{tag}-cmp.json", PROFILE_S)
    later = [
        _loadtui("report", "base.json", "--report-html", "report.html", "-q", cwd=tmp),
        _loadtui("compare", "base-cmp.json", "new-cmp.json", "--report-html", "cmp.html", cwd=tmp),
    ]
    for proc in later:
        _done(proc, (0, 1))
    return Runs(read_session(tmp / "base.json"), read_session(tmp / "new.json"), tmp)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def clean(page: Opened) -> Opened:
    failed = page.state("document.getElementById('failure').textContent")
    assert not failed and page.errors == [], (failed, page.errors)
    assert page.foreign_requests == [] and page.requests == [page.url]
    return page


def window_cells(page: Opened) -> dict[str, dict[str, Any]]:
    """The selected range's endpoint table: per row (by name, "" the total) its
    requests, failures and latency figures in µs, as the page wrote them."""
    return page.state("""() => Object.fromEntries(
        Array.from(document.querySelectorAll('#window-endpoints tbody tr')).map(tr => [
            tr.dataset.row,
            Object.fromEntries(Array.from(tr.querySelectorAll('td[data-key]')).map(
                td => [td.dataset.key, td.dataset.us ?? td.dataset.value ?? null])),
        ]))""")


def ticks_shown(page: Opened) -> tuple[int, int]:
    label = page.state("Object.assign({}, document.getElementById('window-label').dataset)")
    return int(label["firstTick"]), int(label["lastTick"])


def us(ms: float) -> str:
    return str(round(ms * 1000))


def expected_row(lat: Latency) -> dict[str, str | None]:
    """A latency as the table's cells hold it: µs, or nothing when nothing was timed."""
    return {k: us(lat.get(k)) if lat.count else None for k in LATENCY}


def latencies(row: dict[str, Any]) -> dict[str, str | None]:
    return {k: row[k] for k in LATENCY}


CHART = "(id => loadtui.state.charts.find(u => u.spec.id === id))"
PICKED = """() => {
    const rows = (css, key) => Array.from(document.querySelectorAll(css), (t) => t.dataset[key]);
    return {
        caption: document.querySelector('#chart-latency figcaption').textContent,
        selected: rows('#window-endpoints tr.selected', 'row'),
        status: rows('.detail.status tr[data-status]', 'status'),
        errors: rows('.detail.errors tr[data-error]', 'error'),
        p99: loadtui.state.charts.find((u) => u.spec.id === 'latency').data[4],
    };
}"""
X_SCALES = """loadtui.state.charts
    .filter((u) => u.spec.time !== false).map((u) => [u.scales.x.min, u.scales.x.max])"""
DATA = "(css, key) => Array.from(document.querySelectorAll(css), (t) => t.dataset[key])"


def test_a_run_report_opens_clean_and_draws_every_chart(runs: Runs, browser: Any) -> None:
    page = clean(opened(browser, runs.page("run.html")))
    charts = page.state("""() => Array.from(document.querySelectorAll('figure.chart')).map(f => {
        const canvas = f.querySelector('canvas');
        const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) inked++;
        return [f.dataset.chart, inked / (px.length / 4)];
    })""")
    drawn = dict(charts)
    assert set(drawn) >= {
        "throughput", "latency", "distribution", "load", "status", "errors", "limited",
        "ws-sessions", "ws-rtt", "cpu", "rss", "lag",
    }  # fmt: skip
    assert all(share > 0.01 for share in drawn.values()), drawn
    points = page.state("""() => loadtui.state.charts.map(u =>
        u.data.slice(1).map(s => s.filter(v => v !== null && v !== undefined).length))""")
    assert all(n >= 2 for series in points for n in series), points
    text = page.state("document.body.innerText")
    assert "✗ FAILED" in text and "pay: status_5xx == 0" in text
    assert "loadtui 0.1.0" in text and "shop.toml" in text


def test_the_whole_run_table_is_loadtui_reports(runs: Runs, browser: Any) -> None:
    report: Report = report_from_session(runs.base)
    cells = window_cells(clean(opened(browser, runs.page("run.html"))))
    assert ticks_shown_all(runs.base) == (0, len(runs.base.ticks) - 1)
    for row in (*report["endpoints"], {"name": "", **report}):
        got = cells[row["name"]]
        assert (got["requests"], got["failures"]) == (str(row["requests"]), str(row["failures"]))
        assert {k: got[k] for k in LATENCY} == {k: us(row["latency_ms"][k]) for k in LATENCY}


def ticks_shown_all(session: Session) -> tuple[int, int]:
    return 0, len(session.ticks) - 1


def test_a_zoom_recomputes_the_tables_exactly(runs: Runs, browser: Any) -> None:
    page = clean(opened(browser, runs.page("run.html")))
    whole = window_cells(page)
    assert ticks_shown(page) == (0, len(runs.base.ticks) - 1)
    chart = page.page.locator("#chart-latency .u-over")
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.page.mouse.down()
    page.page.mouse.move(box["x"] + box["width"] * 0.55, y, steps=5)
    page.page.mouse.move(box["x"] + box["width"] * 0.75, y, steps=5)
    page.page.mouse.up()
    first, last = ticks_shown(page)
    assert 0 < first < last < len(runs.base.ticks) - 1
    zoomed = window_cells(page)
    assert zoomed != whole
    times = runs.base.times
    for name in (*ENDPOINTS, None):
        lat = window_latency(runs.base, times[first - 1], times[last], name)
        row = zoomed["" if name is None else name]
        assert latencies(row) == expected_row(lat)
        ticks = runs.base.ticks[first : last + 1]
        stats = [t.total if name is None else t.endpoint(name) for t in ticks]
        assert row["requests"] == str(sum(s.interval_requests for s in stats if s))
    # every time chart zoomed with it; "Whole run" zooms out again
    assert len({tuple(s) for s in page.state(X_SCALES)}) == 1
    page.page.click("#reset")
    assert ticks_shown(page) == (0, len(runs.base.ticks) - 1) and window_cells(page) == whole


def test_the_endpoint_picker_changes_charts_and_tables(runs: Runs, browser: Any) -> None:
    page = clean(opened(browser, runs.page("run.html")))

    def shown() -> dict[str, Any]:
        return page.state(PICKED)

    everything = shown()
    assert everything["selected"] == [""] and "all endpoints" in everything["caption"]
    page.page.select_option("#picker", "search")
    search = shown()
    assert search["selected"] == ["search"] and "search" in search["caption"]
    assert "429" in search["status"] and search["p99"] != everything["p99"]
    page.page.select_option("#picker", "pay")
    pay = shown()
    assert pay["selected"] == ["pay"] and pay["status"] != search["status"]
    assert {"HTTP 500", "HTTP 503"} & set(pay["errors"])
    assert "429" not in pay["status"]


def test_each_point_of_a_latency_chart_is_its_ticks_own(runs: Runs, browser: Any) -> None:
    page = clean(opened(browser, runs.page("run.html")))
    for name in ("item", ""):
        got = page.state(
            f"blockSeries(loadtui.state.runs[0].rows.find(r => r.name === {name!r})).p99"
        )
        ticks = [t.endpoint(name) if name else t.total for t in runs.base.ticks]
        want = [s.interval_latency.p99 if s and s.interval_latency.count else None for s in ticks]
        assert got == want


def test_the_report_command_draws_the_same_page(runs: Runs, browser: Any) -> None:
    def data(name: str) -> str:
        text = runs.page(name).read_text()
        return text[text.index('id="loadtui-data-0">') :].split("</script>")[0]

    assert data("report.html") == data("run.html")  # the same ticks, packed alike
    clean(opened(browser, runs.page("report.html")))
    solo = clean(opened(browser, runs.page("solo.html")))
    assert "(not kept)" in solo.state("document.body.innerText")  # its session was scratch


def test_a_comparison_marks_what_compare_marks(runs: Runs, browser: Any) -> None:
    c = compare(read_session(runs.page("base-cmp.json")), read_session(runs.page("new-cmp.json")))
    page = clean(opened(browser, runs.page("cmp.html")))
    marked = page.state("""() => Array.from(
        document.querySelectorAll('tr[data-verdict=regression]'),
        (tr) => [tr.dataset.row, tr.dataset.figure])""")
    want = [
        ["" if row.total else row.name, d.figure + (" (ms)" if d.kind == "latency" else "")]
        for row in c.rows()
        for d in row.deltas
        if d.verdict == "regression"
    ]
    assert marked == want and ["item", "p50 (ms)"] in marked  # 3 ms → 40 ms
    text = page.state("document.body.innerText")
    assert all(f"✗ {line}" in text for line in c.regressions)
    labels = page.state(f"{CHART}('latency').series.map(s => s.label)")
    assert {"base p99", "new p99"} <= set(labels)  # both runs on one time axis
    runs_shown = page.state(f"({DATA})('#window-endpoints td[data-run]', 'run')")
    assert set(runs_shown) == {"0", "1"}


def test_coarse_blocks_stay_exact(runs: Runs, browser: Any, tmp_path: Path) -> None:
    """A budget too small for one tick a block: blocks of 2, 4 … ticks, and a window's
    percentiles are still those of exactly the ticks it covers."""
    report = report_from_session(runs.base)
    fine = pack_ticks(runs.base.ticks).data  # one tick a block
    path = tmp_path / "coarse.html"
    path.write_text(run_page(runs.base, report, limit=len(fine) - 1))
    page = clean(opened(browser, path))
    k = page.state("loadtui.state.runs[0].meta.k")
    assert k > 1 and 3 * k <= len(runs.base.ticks)
    times = runs.base.times
    page.state(f"loadtui.setWindow({times[k]}, {times[-k - 1]})")
    first, last = ticks_shown(page)
    assert first % k == 0 and (last + 1) % k == 0 and first < last
    cells = window_cells(page)
    for name in (*ENDPOINTS, None):
        lat = window_latency(runs.base, times[first - 1], times[last], name)
        row = cells["" if name is None else name]
        assert latencies(row) == expected_row(lat)


def test_on_a_phone_in_the_dark_and_in_print(runs: Runs, browser: Any) -> None:
    phone = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2}
    page = clean(opened(browser, runs.page("run.html"), color_scheme="dark", **phone))
    layout = page.state("""() => ({
        overflow: document.documentElement.scrollWidth - window.innerWidth,
        columns: getComputedStyle(document.getElementById('chart-grid'))
            .gridTemplateColumns.split(' ').length,
        background: getComputedStyle(document.body).backgroundColor,
        widest: Math.max(...Array.from(document.querySelectorAll('figure.chart'))
            .map(f => f.getBoundingClientRect().right)),
        charts: document.querySelectorAll('figure.chart canvas').length,
    })""")
    assert layout["overflow"] <= 0 and layout["columns"] == 1 and layout["widest"] <= 390
    assert layout["background"] == "rgb(13, 17, 23)"  # dark
    page.page.emulate_media(media="print")
    page.state("window.dispatchEvent(new Event('beforeprint'))")  # charts redrawn for paper
    printed = page.state("""() => ({
        picker: getComputedStyle(document.getElementById('picker')).display,
        background: getComputedStyle(document.body).backgroundColor,
        charts: document.querySelectorAll('figure.chart canvas').length,
    })""")
    assert printed == {
        "picker": "none",
        "background": "rgb(255, 255, 255)",
        "charts": layout["charts"],
    }
    assert page.page.pdf(format="A4")[:5] == b"%PDF-" and page.errors == []
