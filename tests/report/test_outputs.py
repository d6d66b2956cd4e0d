"""`write_reports`, the one writer of report files: every file asked for, each failure
one line (handed on at once and returned) that does not stop the others, the live run's
CSV history closed with the report's tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtui.metrics.snapshot import Snapshot
from loadtui.report.build import build_report
from loadtui.report.csv_report import CsvWriter
from loadtui.report.markdown import render_markdown
from loadtui.report.outputs import Outputs, write_reports
from loadtui.report.schema import Report, to_json
from loadtui.report.thresholds import evaluate
from loadtui.report.writers import render_junit
from loadtui.scenario.model import Threshold

CSV_KINDS = ("history", "stats", "failures", "streams")


@pytest.fixture
def report(final: Snapshot) -> Report:
    results = evaluate([Threshold("p95", "<", 2000)], final)
    return build_report(final, results, info={"scenario": "shop"})


def test_every_file_asked_for_is_the_renderers_text(
    report: Report, final: Snapshot, tmp_path: Path
) -> None:
    outputs = Outputs(
        report_json=tmp_path / "r.json",
        report_md=tmp_path / "r.md",
        csv_prefix=tmp_path / "c",
        junit=tmp_path / "r.xml",
    )
    history = CsvWriter(tmp_path / "c")
    history.on_snapshot(final)
    said: list[str] = []
    assert write_reports(report, outputs, history=history, on_lost=said.append) == said == []
    assert (tmp_path / "r.json").read_text() == to_json(report)
    assert json.loads((tmp_path / "r.json").read_text()) == report
    assert (tmp_path / "r.md").read_text() == render_markdown(report)
    assert (tmp_path / "r.xml").read_text() == render_junit(report)
    history_rows = (tmp_path / "c_history.csv").read_text().splitlines()
    assert len(history_rows) == 2  # the header and the one tick the live writer saw
    stats = (tmp_path / "c_stats.csv").read_text().splitlines()
    assert [row.split(",")[1] for row in stats[1:]] == ["/a", "b | pipe", "c", "Aggregated"]


def test_a_failing_file_is_one_line_said_at_once_and_the_others_are_written(
    report: Report, final: Snapshot, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    history = CsvWriter(tmp_path / "c")  # its tables go into a folder in the way
    (tmp_path / "c_stats.csv").mkdir()
    said: list[str] = []
    failed = write_reports(
        report,
        Outputs(report_json=blocker / "r.json", report_md=tmp_path / "r.md", junit=tmp_path / "j"),
        history=history,
        on_lost=said.append,
    )
    assert failed == said
    assert [line.split(": ")[0] for line in failed] == [
        f"cannot write {blocker / 'r.json'}",
        f"cannot write {tmp_path / 'c_stats.csv'}",
    ]
    assert failed[0].endswith((": File exists", ": Not a directory"))  # the OS's reason
    assert failed[1].endswith(": Is a directory")
    assert (tmp_path / "r.md").is_file() and (tmp_path / "j").is_file()
    assert (tmp_path / "c_failures.csv").is_file() and (tmp_path / "c_streams.csv").is_file()


def test_without_a_session_the_csv_history_is_empty_and_the_svg_cannot_be_drawn(
    report: Report, tmp_path: Path
) -> None:
    said: list[str] = []
    outputs = Outputs(csv_prefix=str(tmp_path / "c"), svg=tmp_path / "x.svg")
    failed = write_reports(report, outputs, on_lost=said.append)
    assert (
        failed
        == said
        == [f"cannot write {tmp_path / 'x.svg'}: an SVG chart needs the session's ticks"]
    )
    assert (tmp_path / "c_history.csv").read_text().count("\n") == 1
    assert all((tmp_path / f"c_{kind}.csv").is_file() for kind in CSV_KINDS)
    assert not (tmp_path / "x.svg").exists()


def test_files_lists_each_output_by_its_flag(tmp_path: Path) -> None:
    assert Outputs().files() == []
    outputs = Outputs(report_json="-", csv_prefix=tmp_path / "out" / "run", svg="c.svg")
    assert outputs.files() == [
        ("--report-json", Path("-")),
        ("--csv", tmp_path / "out" / "run_stats.csv"),
        ("--svg", Path("c.svg")),
    ]
