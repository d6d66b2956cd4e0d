"""WebSocket figures in every report: the JSON `websocket` section (exact totals over
streams), the terminal table, Markdown, the CSV streams file and history columns."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest
from support.clocks import recorder

from loadtui.metrics import histogram as H
from loadtui.metrics.snapshot import LoadState, Snapshot
from loadtui.report.build import build_report
from loadtui.report.csv_report import STREAMS_HEADER, CsvWriter
from loadtui.report.markdown import render_markdown
from loadtui.report.text import progress_line, summary_table

LAT = {"p50", "p90", "p95", "p99", "max"}
FIGURES = {
    "sessions_opened",
    "sessions_failed",
    "messages_sent",
    "messages_received",
    "rtt_ms",
    "handshake_ms",
    "close_codes",
    "first_message_ms",
    "gap_ms",
    "bytes_sent",
    "bytes_received",
    "disconnects",
    "reconnects",
    "handshake_failures",
    "errors",
}


def run(*, http: bool = True, snapshots: list[Snapshot] | None = None) -> Snapshot:
    """10 s in two ticks.

    - "echo": 10 sessions (handshake 2 ms), 1 refused with 401; 1000 round trips of
      1 ms and 100 of 20 ms; closes 1000 x2 and one dropped (1006); 1 reconnect.
    - "feed": 5 sessions (handshake 8 ms), pushes with 100 ms gaps, closed 4001.
    - "GET /login": one request (when `http`).
    """
    rec, clock = recorder(epoch=1_750_000_000.0)
    if http:
        rec.endpoint("/login", "GET").success(5_000, 200)
    echo, feed = rec.stream("echo"), rec.stream("feed")
    for _ in range(10):
        echo.connect_started()
        echo.connected(2_000)
    echo.connect_started()
    echo.connect_failed("401")
    for _ in range(5):
        feed.connect_started()
        feed.connected(8_000)
        feed.first_message(50_000)
    for i in range(1100):
        echo.sent(16)
        echo.received(16)
        echo.rtt(1_000 if i < 1000 else 20_000)
    clock.now = 4.0
    first = rec.tick(load=LoadState(state="running", streams=15, streams_target=15))
    for _ in range(40):
        feed.received(64)
        feed.gap(100_000)
    echo.closed(1000, False)
    echo.closed(1000, False)
    echo.closed(None, True)
    echo.reconnect()
    echo.error("message too big")
    feed.closed(4001, False)
    clock.now = 10.0
    last = rec.tick(load=LoadState(state="stopped"))
    if snapshots is not None:
        snapshots += [first, last]
    return last


@pytest.fixture
def final() -> Snapshot:
    return run()


def test_websocket_section_contract(final: Snapshot) -> None:
    ws = build_report(final, [], info={})["websocket"]
    assert ws.keys() >= FIGURES | {"streams"}
    assert (ws["sessions_opened"], ws["sessions_failed"]) == (15, 1)
    assert (ws["messages_sent"], ws["messages_received"]) == (1100, 1140)
    assert ws["received_per_s"] == pytest.approx(114.0)
    assert (ws["bytes_sent"], ws["bytes_received"]) == (1100 * 16, 1100 * 16 + 40 * 64)
    assert ws["close_codes"] == {"1000": 2, "1006": 1, "4001": 1}
    assert ws["handshake_failures"] == {"401": 1}
    assert ws["errors"] == {"message too big": 1}
    assert (ws["disconnects"], ws["reconnects"], ws["round_trips"]) == (2, 1, 1100)
    assert (ws["sessions_closed"], ws["sessions_open"]) == (4, 11)
    for key in ("rtt_ms", "handshake_ms", "first_message_ms", "gap_ms"):
        assert ws[key].keys() >= LAT
    assert ws["rtt_ms"]["p50"] == pytest.approx(1.0, rel=1e-3)
    assert ws["rtt_ms"]["p95"] == pytest.approx(20.0, rel=1e-3)
    assert ws["gap_ms"]["max"] == pytest.approx(100.0, rel=1e-3)
    assert [s["name"] for s in ws["streams"]] == ["echo", "feed"]
    echo, feed = ws["streams"]
    assert echo.keys() >= FIGURES
    assert (echo["sessions_opened"], feed["sessions_opened"]) == (10, 5)
    assert echo["close_codes"] == {"1000": 2, "1006": 1}
    assert feed["rtt_ms"]["max"] == 0.0 and feed["messages_sent"] == 0
    assert feed["first_message_ms"]["p50"] == pytest.approx(50.0, rel=1e-3)
    json.dumps(ws, allow_nan=False)


def test_total_handshake_is_an_exact_merge_not_a_max(final: Snapshot) -> None:
    ws = build_report(final, [], info={})["websocket"]
    reference = H.new_histogram()
    for us in [2_000] * 10 + [8_000] * 5:
        reference.record_value(us)
    exact = H.latency_of(reference)
    assert ws["handshake_ms"]["p50"] == pytest.approx(round(exact.p50, 3))
    assert ws["handshake_ms"]["p50"] == pytest.approx(2.0, rel=1e-3)  # the worst stream's: 8
    assert ws["handshake_ms"]["p90"] == pytest.approx(8.0, rel=1e-3)


def test_snapshot_without_a_recorded_total_still_reports(final: Snapshot) -> None:
    bare = replace(final, stream_total=None)
    ws = build_report(bare, [], info={})["websocket"]
    assert ws["sessions_opened"] == 15 and ws["close_codes"]["1000"] == 2
    assert ws["handshake_ms"]["p50"] == pytest.approx(8.0, rel=1e-3)  # worst stream: bound
    one = replace(final, streams=final.streams[:1], stream_total=None)
    ws = build_report(one, [], info={})["websocket"]
    assert ws["handshake_ms"]["p50"] == pytest.approx(2.0, rel=1e-3)
    assert [s["name"] for s in ws["streams"]] == ["echo"]


def test_summary_table_lists_streams(final: Snapshot) -> None:
    text = summary_table(build_report(final, [], info={"scenario": "chat"}), width=110)
    assert "Per endpoint" in text and "GET /login" in text
    assert "WebSocket: 15 sessions opened, 1 failed; 2 disconnects, 1 reconnects" in text
    lines = text.splitlines()
    head = next(line for line in lines if line.startswith("Stream "))
    assert "RTT p50" in head and "HS p95" in head and "gap p95" in head
    echo = next(line for line in lines if line.startswith("echo "))
    assert echo.split()[1:4] == ["10", "1", "1,100"]
    assert "20.0" in echo.split()  # rtt p95
    total = next(line for line in lines if line.startswith("Total ") and "15" in line)
    assert total.split()[1:3] == ["15", "1"]
    assert "Close codes (echo): 1000 x2, 1006 x1" in text
    assert "Close codes (feed): 4001 x1" in text
    assert "Handshake failures: 401 x1" in text
    assert "Stream errors: message too big x1" in text
    for width in (40, 80, 100):
        narrow = summary_table(build_report(final, [], info={}), width=width)
        table = [line for line in narrow.splitlines() if line.startswith(("Stream", "echo"))]
        assert all(len(line) <= max(width, 60) for line in table), width
        assert "RTT p50" in table[0]


def test_streams_only_run_skips_the_http_table() -> None:
    rep = build_report(run(http=False), [], info={})
    text = summary_table(rep)
    assert "No HTTP requests in 10.0s" in text and "Per endpoint" not in text
    assert "Per stream" in text
    md = render_markdown(rep)
    assert "**No HTTP requests** in 10.0s." in md and "| Endpoint |" not in md
    assert "### WebSocket" in md


def test_no_streams_no_section(final: Snapshot) -> None:
    bare = replace(final, streams=(), stream_total=None)
    rep = build_report(bare, [], info={})
    assert rep["websocket"] is None
    assert "WebSocket" not in summary_table(rep)
    assert "WebSocket" not in render_markdown(rep)
    assert "ws open" not in progress_line(bare)


def test_markdown_section(final: Snapshot) -> None:
    md = render_markdown(build_report(final, [], info={}))
    lines = md.splitlines()
    start = lines.index("### WebSocket")
    assert lines[start + 2].startswith("15 sessions opened, 1 failed, 2 disconnects")
    head = lines[start + 4]
    assert head.startswith("| Stream | Opened | Failed |") and "Close codes" in head
    rows = [line for line in lines[start + 6 :] if line.startswith("| ")][:3]
    assert rows[0].startswith("| echo | 10 | 1 | 1,100 | 1,100 |")
    assert rows[0].endswith("| 1000×2, 1006×1 |")
    assert rows[1].startswith("| feed | 5 | 0 | 0 | 40 |") and "| 4001×1 |" in rows[1]
    assert rows[2].startswith("| **Total** | 15 | 1 |")
    assert "### Handshake failures" in md and "| 401 | 1 |" in md
    # every table row has as many cells as its header
    cells = head.count("|")
    assert all(r.count("|") == cells for r in rows)


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_csv_streams_file_and_history_columns(tmp_path: Path) -> None:
    snaps: list[Snapshot] = []
    final = run(snapshots=snaps)
    writer = CsvWriter(tmp_path / "ws")
    for snap in snaps:
        writer.on_snapshot(snap)
    history = _read(writer.history_path)
    assert history[0]["Streams Open"] == "15"
    assert history[0]["Stream Messages Sent/s"] == "275"  # 1100 over the 4 s interval
    assert float(history[0]["Stream RTT 95%"]) == pytest.approx(20.0, rel=1e-3)
    assert history[1]["Stream Messages Received/s"] == f"{40 / 6:.3f}"
    assert history[1]["Stream RTT 95%"] == "0"  # no round trip in that interval
    writer.close()
    rows = _read(writer.streams_path)
    assert list(rows[0]) == STREAMS_HEADER
    assert [r["Name"] for r in rows] == ["echo", "feed", "Aggregated"]
    echo, feed, agg = rows
    assert (echo["Sessions Opened"], echo["Sessions Failed"], echo["Reconnects"]) == (
        "10",
        "1",
        "1",
    )
    assert echo["Close Codes"] == "1000:2 1006:1" and echo["Handshake Failures"] == "401:1"
    assert float(feed["Gap 95%"]) == pytest.approx(100.0, rel=1e-3)
    assert agg["Messages Received"] == "1140" and agg["Received/s"] == "114"
    assert agg["Close Codes"] == "1000:2 1006:1 4001:1"
    # the same file from the report dict or the final snapshot
    by_report = CsvWriter(tmp_path / "rep")
    by_report.close(build_report(final, [], info={}))
    by_snap = CsvWriter(tmp_path / "snap")
    by_snap.close(final)
    texts = {(tmp_path / f"{p}_streams.csv").read_text() for p in ("ws", "rep", "snap")}
    assert len(texts) == 1


def test_csv_without_streams_has_zero_columns_and_a_bare_file(tmp_path: Path) -> None:
    bare = replace(run(), streams=(), stream_total=None)
    with CsvWriter(tmp_path / "http", full_history=True) as writer:
        writer.on_snapshot(bare)
    rows = _read(writer.history_path)
    assert rows[0]["Streams Open"] == "0" and rows[0]["Stream RTT 95%"] == "0"
    assert rows[1]["Name"] == "/login" and rows[1]["Streams Open"] == ""
    assert _read(writer.streams_path) == []
    assert writer.streams_path.read_text().startswith("Name,Sessions Opened,")


def test_progress_line_shows_live_streams() -> None:
    snaps: list[Snapshot] = []
    run(snapshots=snaps)
    line = progress_line(snaps[0])
    assert "ws open 15 in 275.0/s rtt p95 20.0 ms" in line
    assert "rtt p95 - ms" in progress_line(snaps[1])
    assert "ws open 15" in progress_line(replace(snaps[0], stream_total=None))
