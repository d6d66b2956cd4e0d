"""JSON, Markdown, JUnit and CSV files are produced and parse back."""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from loadtui.metrics.recorder import Recorder
from loadtui.metrics.snapshot import LoadState, Snapshot, SystemGauges
from loadtui.report.build import build_report
from loadtui.report.thresholds import evaluate
from loadtui.report.writers import (
    CsvWriter,
    render_junit,
    write_json,
    write_junit,
    write_markdown,
)
from loadtui.scenario.model import Threshold

THRESHOLDS = [
    Threshold("p95", "<", 2000),
    Threshold("error_rate", "<", 0.01),
    Threshold("p99", "<", 1, endpoint="/a"),
    Threshold("p99", "<", 5, endpoint="c"),  # no data
]


def report_of(final: Snapshot, **info: Any) -> dict[str, Any]:
    return build_report(final, evaluate(THRESHOLDS, final), info={"scenario": "shop", **info})


def test_write_json_round_trip(final: Snapshot, tmp_path: Path) -> None:
    rep = report_of(final)
    path = tmp_path / "out" / "report.json"  # missing folder is created
    write_json(rep, path)
    assert json.loads(path.read_text()) == rep
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]  # no temp left
    with pytest.raises(ValueError):
        write_json({"bad": float("nan")}, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "out"]


def test_write_json_to_stdout(final: Snapshot, capsys: pytest.CaptureFixture[str]) -> None:
    rep = report_of(final)
    write_json(rep, "-")
    assert json.loads(capsys.readouterr().out) == rep


def _table_rows(md: str, header_start: str) -> list[list[str]]:
    lines = md.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[i:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_markdown(final: Snapshot, tmp_path: Path) -> None:
    rep = report_of(final, target="staging")
    path = tmp_path / "report.md"
    write_markdown(rep, path)
    md = path.read_text(encoding="utf-8")
    assert md.startswith("❌ **loadtui: failed** (3 of 4 thresholds)")
    assert "scenario `shop`, target `staging`" in md
    endpoints = _table_rows(md, "| Endpoint")
    width = len(endpoints[0])
    assert all(len(r) == width for r in endpoints)  # the escaped pipe kept the row intact
    assert [r[0] for r in endpoints[2:]] == ["GET /a", "b \\| pipe", "c", "**Total**"]
    assert endpoints[2][1:3] == ["100", "1"]
    assert endpoints[4][4:] == ["-"] * 6  # "c": failures without any latency
    thresholds = _table_rows(md, "|  | Threshold")
    assert [r[0] for r in thresholds[2:]] == ["✅", "❌", "❌", "❌"]
    assert thresholds[3][1:] == ["error_rate < 1%", "2.94%", "< 1%"]
    assert thresholds[5][2] == "no data (no latency recorded)"
    assert _table_rows(md, "| Status")[2:] == [["200", "99"], ["429", "1"], ["500", "1"]]
    assert _table_rows(md, "| Error")[2:] == [["refused", "2"], ["HTTP 500", "1"]]
    assert "Rate-limited responses (kept out of latency): 1" in md
    assert "Open model: 3 late starts, 1 dropped starts." in md


def test_markdown_verdicts(final: Snapshot, tmp_path: Path) -> None:
    ok = build_report(final, evaluate([Threshold("p95", "<", 2000)], final), info={})
    write_markdown(ok, tmp_path / "ok.md")
    assert (tmp_path / "ok.md").read_text(encoding="utf-8").startswith("✅ **loadtui: passed**")
    write_markdown(build_report(final, [], info={}), tmp_path / "none.md")
    assert "no thresholds" in (tmp_path / "none.md").read_text(encoding="utf-8")


def test_junit(final: Snapshot, tmp_path: Path) -> None:
    weird = Threshold("p95", "<", 1, endpoint='<a href="x">&\x01', text="< 1ms")
    rep = build_report(final, evaluate([*THRESHOLDS, weird], final), info={"scenario": "s&p"})
    path = tmp_path / "junit.xml"
    write_junit(rep, path)
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("name") == "loadtui s&p"
    assert (suite.get("tests"), suite.get("failures")) == ("5", "4")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases][:2] == ["p95 < 2000ms", "error_rate < 1%"]
    assert cases[-1].get("name") == '<a href="x">&?: p95 < 1ms'
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == 4 and cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.get("message") == "observed 2.94%, limit < 1%"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["requests"] == "102"


def test_junit_without_thresholds(final: Snapshot) -> None:
    root = ET.fromstring(render_junit(build_report(final, [], info={})).encode())
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "0" and not suite.findall("testcase")


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_csv_files_follow_the_run(tmp_path: Path) -> None:
    clock = [0.0]
    rec = Recorder(clock=lambda: clock[0], wall=lambda: 1_750_000_000.0 + clock[0])
    rec.start()
    prefix = tmp_path / "csv" / "run"
    writer = CsvWriter(prefix)
    a, b = rec.endpoint("GET /a", "GET"), rec.endpoint('b, quoted "name"', "POST")
    for tick in range(3):
        for _ in range(10):
            a.success(2000 * (tick + 1), 200, bytes_in=5)
        b.failure("timeout", 1_000_000)
        b.failure("check: body", 3000, status=200)
        clock[0] += 1.0
        snap = rec.tick(
            load=LoadState(state="running", users=5), system=SystemGauges(rss_bytes=1000)
        )
        writer.on_snapshot(snap)
        rows = _read(writer.history_path)  # flushed as we go
        assert len(rows) == tick + 1
    assert [r["Name"] for r in rows] == ["Aggregated"] * 3
    assert rows[-1]["Requests/s"] == "12" and rows[-1]["Failures/s"] == "2"
    assert rows[-1]["Total Request Count"] == "36"
    assert float(rows[0]["50%"]) == pytest.approx(2.0, rel=1e-3)
    assert float(rows[2]["50%"]) == pytest.approx(6.0, rel=1e-3)
    assert rows[0]["User Count"] == "5" and rows[0]["RSS (bytes)"] == "1000"
    assert not writer.stats_path.exists()
    writer.close()
    writer.close()  # idempotent
    stats = _read(writer.stats_path)
    assert [r["Name"] for r in stats] == ["GET /a", 'b, quoted "name"', "Aggregated"]
    assert [r["Type"] for r in stats] == ["GET", "POST", ""]
    agg = stats[-1]
    assert (agg["Request Count"], agg["Failure Count"]) == ("36", "6")
    assert agg["Requests/s"] == "12" and agg["Failures/s"] == "2"
    assert float(agg["Max Response Time"]) == pytest.approx(1000.0, rel=1e-3)
    assert stats[0]["Bytes In"] == "150"
    failures = _read(writer.failures_path)
    assert failures == [
        {"Name": 'b, quoted "name"', "Error": "check: body", "Occurrences": "3"},
        {"Name": 'b, quoted "name"', "Error": "timeout", "Occurrences": "3"},
    ]
    with pytest.raises(ValueError):
        writer.on_snapshot(snap)


def test_csv_close_with_report_or_snapshot(final: Snapshot, tmp_path: Path) -> None:
    rep = report_of(final)
    with CsvWriter(tmp_path / "last") as by_last:
        by_last.on_snapshot(final)
    by_snap = CsvWriter(tmp_path / "snap")
    by_snap.close(final)
    by_report = CsvWriter(tmp_path / "rep")
    by_report.close(rep)
    for kind in ("stats", "failures"):
        texts = {(tmp_path / f"{p}_{kind}.csv").read_text() for p in ("last", "snap", "rep")}
        assert len(texts) == 1, kind  # the same files whichever way they were made
    stats = _read(tmp_path / "rep_stats.csv")
    assert [r["Name"] for r in stats] == ["/a", "b | pipe", "c", "Aggregated"]
    agg = stats[-1]
    assert agg["Requests/s"] == "10.200" and agg["Failures/s"] == "0.300"
    assert agg["99.9%"] == "100.031" and agg["Min Response Time"] == "10"
    assert stats[2]["50%"] == "0"  # no latency measured for "c"
    assert _read(tmp_path / "rep_failures.csv") == [
        {"Name": "/a", "Error": "HTTP 500", "Occurrences": "1"},
        {"Name": "c", "Error": "refused", "Occurrences": "2"},
    ]


def test_csv_full_history_and_empty_run(final: Snapshot, tmp_path: Path) -> None:
    with CsvWriter(tmp_path / "full", full_history=True) as writer:
        writer.on_snapshot(final)
    rows = _read(writer.history_path)
    assert [r["Name"] for r in rows] == ["Aggregated", "/a", "b | pipe", "c"]
    assert rows[1]["Type"] == "GET"
    with CsvWriter(tmp_path / "empty"):
        pass
    assert _read(tmp_path / "empty_history.csv") == []
    stats = _read(tmp_path / "empty_stats.csv")
    assert [(r["Name"], r["Request Count"]) for r in stats] == [("Aggregated", "0")]
    assert _read(tmp_path / "empty_failures.csv") == []
