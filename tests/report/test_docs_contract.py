"""docs/contracts.md names every key a script can meet in the report JSON and the
session log, so the reference cannot silently fall behind the code that writes them;
and the code cites the docs, not a design note outside the repository."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path

from loadtui.metrics.snapshot import (
    EndpointStats,
    Latency,
    LoadState,
    PoolGauges,
    RateLimit,
    Snapshot,
    StreamStats,
    SystemGauges,
)
from loadtui.metrics.target_process import TargetProcessSummary
from loadtui.report.build import build_report, stream_figures, target_process_section
from loadtui.report.thresholds import evaluate
from loadtui.scenario.model import Threshold

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "docs" / "contracts.md"


def documented() -> set[str]:
    """Every `code` span of docs/contracts.md, split on commas and spaces."""
    spans = re.findall(r"`([^`]+)`", CONTRACTS.read_text(encoding="utf-8"))
    return {word for span in spans for word in re.split(r"[\s,]+", span) if word}


def missing(keys: Iterable[str]) -> list[str]:
    return sorted(set(keys) - documented())


def test_report_keys_are_documented(final: Snapshot) -> None:
    results = evaluate([Threshold("p95", "<", 2000)], final)
    report = build_report(final, results, info={"scenario": "s", "target": "t", "profile": "p"})
    tp = TargetProcessSummary((1,), 1, 2, 3, 1, 0.5, 1.0)

    assert missing(report) == []
    assert missing(report["latency_ms"]) == []
    assert missing(report["endpoints"][0]) == []
    assert missing(report["rate_limited"]) == []
    assert missing(report["open_model"]) == []
    assert missing(report["thresholds"][0]) == []
    assert missing(stream_figures(StreamStats("chatter"), 1.0)) == []
    assert missing(target_process_section(tp) or {}) == []


def test_session_tick_fields_are_documented() -> None:
    records = (Snapshot, LoadState, EndpointStats, Latency, StreamStats, PoolGauges)
    fields = {f.name for cls in records for f in dataclasses.fields(cls)}
    fields |= {f.name for cls in (SystemGauges, RateLimit) for f in dataclasses.fields(cls)}
    fields.discard("events")  # written as event lines before the tick, not in it
    assert missing(fields) == []


def test_code_cites_the_docs_not_an_outside_note() -> None:
    cited = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "loadtui").rglob("*.py")
        if "design.md" in path.read_text(encoding="utf-8")
    ]
    assert cited == []
    assert (ROOT / "docs" / "architecture.md").is_file()
