"""The report's `target_process` section and its Markdown, from a run's TargetWatch."""

from __future__ import annotations

import json

from loadtui.metrics.snapshot import Snapshot
from loadtui.metrics.target_process import TargetProcessSummary
from loadtui.report.build import build_report
from loadtui.report.markdown import render_markdown

MiB = 1024 * 1024
SUMMARY = TargetProcessSummary(
    pids=(41, 42, 43),
    rss_start_bytes=100 * MiB,
    rss_end_bytes=150 * MiB,
    rss_max_bytes=160 * MiB,
    rss_growth_bytes=50 * MiB + 123,
    cpu_mean_percent=12.3456,
    cpu_max_percent=80.0,
)


def test_not_watched_is_null_and_absent_from_markdown(final: Snapshot) -> None:
    report = build_report(final, [], info={"target": "http://127.0.0.1:1"})
    assert report["target_process"] is None and report["target"] == "http://127.0.0.1:1"
    assert "Target process" not in render_markdown(report)


def test_watched_section_and_markdown(final: Snapshot) -> None:
    info = {"target": "http://127.0.0.1:1", "target_process": "shadowed"}
    report = build_report(final, [], info=info, target_process=SUMMARY)
    assert report["target"] == "http://127.0.0.1:1"  # the URL stays where it was
    assert report["target_process"] == {
        "pids": [41, 42, 43],
        "rss_start_bytes": 100 * MiB,
        "rss_end_bytes": 150 * MiB,
        "rss_max_bytes": 160 * MiB,
        "rss_growth_bytes": 50 * MiB + 123,
        "cpu_mean_percent": 12.346,
        "cpu_max_percent": 80.0,
    }
    assert json.loads(json.dumps(report)) == report
    md = render_markdown(report)
    section = md[md.index("### Target process") :].splitlines()
    assert section[2] == "Summed over processes 41, 42, 43 and any children started during the run."
    assert section[-1] == "| 100.0 MiB | 150.0 MiB | 160.0 MiB | +50.0 MiB | 12.3% | 80.0% |"
