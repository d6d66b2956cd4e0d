"""The report's typed shape: the key set is pinned (docs/contracts.md, "Report JSON"),
the built report is exactly its type, and `from_json` reads any version's report back:
missing keys take their empty value, a wrong type is one line naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from loadtui.metrics.recorder import Recorder
from loadtui.metrics.snapshot import LoadState, Snapshot
from loadtui.metrics.target_process import TargetProcessSummary
from loadtui.report.build import build_report
from loadtui.report.csv_report import CsvWriter
from loadtui.report.from_session import recorded_report, report_from_session
from loadtui.report.markdown import render_markdown
from loadtui.report.schema import (
    EndpointRow,
    LatencyMs,
    Report,
    StreamRow,
    TargetProcess,
    ThresholdEntry,
    Websocket,
    facts_of,
    from_json,
    to_json,
)
from loadtui.report.text import summary_table
from loadtui.report.thresholds import evaluate
from loadtui.report.writers import render_junit
from loadtui.scenario.model import HttpTask, Profile, Scenario, Stage, Target, Threshold, UserClass
from loadtui.session.reader import SessionError, read_session
from loadtui.session.schema import Malformed
from loadtui.session.writer import SessionWriter

# The contract, spelled out: a key added, renamed or dropped must show up here.
FIGURES = [
    "requests", "failures", "error_rate", "rps", "latency_ms", "status_codes", "errors",
    "bytes_in", "bytes_out", "clamped", "checks", "checks_failed", "rate_limited",
]  # fmt: skip
TOP = [
    "scenario", "target", "profile", "started", "duration_s", "iterations", *FIGURES, "endpoints",
    "websocket", "target_process", "open_model", "generator_saturated", "saturation",
    "thresholds", "unserved", "passed",
]  # fmt: skip
LATENCY = ["p50", "p75", "p90", "p95", "p99", "p99.9", "max", "min", "mean"]
THRESHOLD = [
    "name", "ok", "observed", "limit", "metric", "op", "unit", "scope", "endpoint",
    "stream", "reason",
]  # fmt: skip
STREAM = [
    "sessions_opened", "sessions_failed", "sessions_closed", "sessions_open",
    "disconnects", "reconnects", "messages_sent", "messages_received", "sent_per_s",
    "received_per_s", "bytes_sent", "bytes_received", "round_trips", "rtt_ms",
    "handshake_ms", "first_message_ms", "gap_ms", "close_codes", "clamped",
    "handshake_failures", "errors",
]  # fmt: skip
TARGET_PROCESS = [
    "pids", "rss_start_bytes", "rss_end_bytes", "rss_max_bytes", "rss_growth_bytes",
    "cpu_mean_percent", "cpu_max_percent",
]  # fmt: skip
TP = TargetProcessSummary((41, 42), 100, 150, 160, 50, 12.3456, 80.0)
INFO = {"scenario": "shop", "target": "http://127.0.0.1:1", "profile": "smoke"}


@pytest.fixture
def ws_final() -> Snapshot:
    """Two streams, a session each, 2 s in."""
    now = [0.0]
    rec = Recorder(clock=lambda: now[0], wall=lambda: 1_750_000_000.0 + now[0])
    rec.start()
    for name in ("echo", "feed"):
        stream = rec.stream(name)
        stream.connect_started()
        stream.connected(2_000)
    now[0] = 2.0
    return rec.tick(load=LoadState(state="running", streams=2))


def full_report(final: Snapshot) -> Report:
    thresholds = [Threshold("p95", "<", 2000), Threshold("p99", "<", 5, endpoint="c")]
    results = evaluate(thresholds, final)
    info = {**INFO, "saturation": [(1.0, 2.0)]}
    return build_report(final, results, info=info, target_process=TP)


def test_the_key_set_and_its_order_are_pinned(final: Snapshot) -> None:
    report = full_report(final)
    assert list(report) == TOP
    assert set(get_type_hints(Report)) == set(TOP)  # the type names the same keys
    assert list(report["latency_ms"]) == LATENCY == list(get_type_hints(LatencyMs))
    assert list(report["rate_limited"]) == [
        "responses", "with_retry_after", "honoured", "waited_s",
    ]  # fmt: skip
    assert list(report["endpoints"][0]) == ["name", "method", *FIGURES]
    assert set(get_type_hints(EndpointRow)) == {"name", "method", *FIGURES}
    assert report["endpoints"][0]["rate_limited"] == {"responses": 0}
    assert list(report["thresholds"][0]) == THRESHOLD == list(get_type_hints(ThresholdEntry))
    assert list(report["open_model"]) == ["late_starts", "dropped"]
    assert report["target_process"] is not None
    assert list(report["target_process"]) == TARGET_PROCESS == list(get_type_hints(TargetProcess))
    assert set(get_type_hints(Websocket)) == {*STREAM, "streams"}
    assert set(get_type_hints(StreamRow)) == {*STREAM, "name"}


def test_streams_sections_have_their_keys(ws_final: Snapshot) -> None:
    ws = build_report(ws_final, [], info={})["websocket"]
    assert ws is not None
    assert list(ws) == [*STREAM, "streams"]
    assert [list(st) for st in ws["streams"]] == [["name", *STREAM]] * 2


def test_the_json_reads_back_to_the_same_report(final: Snapshot, ws_final: Snapshot) -> None:
    for report in (
        full_report(final),
        build_report(ws_final, [], info={"scenario": "chat"}),
        build_report(final, [], info={"operator": "ci-bot", "odd": float("nan")}),
    ):
        text = to_json(report)
        again = from_json(json.loads(text))
        assert again == report and to_json(again) == text  # byte for byte


# A report as an early version wrote it: the contract's first keys, nothing else.
OLD: dict[str, Any] = {
    "requests": 12,
    "failures": 1,
    "rps": 2.4,
    "duration_s": 5.0,
    "latency_ms": {"p50": 3.0, "p95": 9.5, "max": 12.0},
    "status_codes": {"200": 11, "500": 1},
    "errors": {"HTTP 500": 1},
    "endpoints": [{"name": "/a", "requests": 12, "failures": 1, "rps": 2.4}],
    "thresholds": [{"name": "p95 < 10ms", "ok": True, "observed": 9.5, "limit": 10}],
    "passed": True,
    "operator": "ci-bot",  # a fact its caller passed through
}


def test_an_old_report_reads_with_every_key_filled() -> None:
    report = from_json(json.loads(json.dumps(OLD)))
    assert list(report)[: len(OLD) - 1] == list(OLD)[:-1]  # what it had, in its order
    assert set(report) == {*TOP, "operator"} and facts_of(report) == {"operator": "ci-bot"}
    measured = {"p50": 3.0, "p95": 9.5, "max": 12.0}
    assert report["latency_ms"] == {**dict.fromkeys(LATENCY, 0.0), **measured}
    (row,) = report["endpoints"]
    assert (row["method"], row["rate_limited"], row["bytes_in"]) == ("", {"responses": 0}, 0)
    (entry,) = report["thresholds"]
    assert (entry["scope"], entry["unit"], entry["op"], entry["reason"]) == ("run", None, "", None)
    assert (report["websocket"], report["target_process"], report["unserved"]) == (None,) * 3
    assert report["saturation"] == [] and report["generator_saturated"] is False
    assert report["open_model"] == {"late_starts": 0, "dropped": 0}
    assert report["iterations"] == 0  # a report from before iterations were counted
    # Every renderer takes it.
    assert "PASS  p95 < 10ms" in summary_table(report)
    assert "✅ **loadtui: passed** (1 thresholds)" in render_markdown(report)
    assert 'name="p95 &lt; 10ms"' in render_junit(report)


def test_an_old_report_writes_its_csv_tables(tmp_path: Path) -> None:
    writer = CsvWriter(tmp_path / "old")
    writer.close(from_json(OLD))
    stats = (tmp_path / "old_stats.csv").read_text().splitlines()
    assert stats[1].startswith(",/a,12,1,2.400,0.200,0,0,0,0,0,0,0,0,0,0,0")
    assert (tmp_path / "old_failures.csv").read_text().splitlines()[1:] == []


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ({"passed": "yes"}, "report.passed: expected true or false, got text"),
        ({"requests": 1.5}, "report.requests: expected a whole number, got a number"),
        ({"latency_ms": {"p99.9": None}}, "report.latency_ms.p99.9: expected a number, got null"),
        (
            {"thresholds": [{"name": "x", "scope": "galaxy"}]},
            "report.thresholds[0].scope: expected one of run, target, websocket, got 'galaxy'",
        ),
        ({"thresholds": [{"ok": 1}]}, "report.thresholds[0].ok: expected true or false"),
        ({"saturation": [[1.0]]}, "report.saturation[0]: expected [start, end]"),
        ({"saturation": [[1.0, -2]]}, "report.saturation[0][1]: -2 is out of range"),
        ({"status_codes": {"200": "many"}}, "report.status_codes.200: expected a whole number"),
        ({"websocket": []}, "report.websocket: expected a table, got a list"),
        ({"endpoints": [{"name": 7}]}, "report.endpoints[0].name: expected text, got a number"),
    ],
)
def test_a_wrong_type_is_one_line_naming_the_field(damage: dict[str, Any], message: str) -> None:
    with pytest.raises(Malformed) as caught:
        from_json({**OLD, **damage})
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_unknown_keys_inside_a_part_are_dropped_and_top_level_facts_kept() -> None:
    report = from_json({**OLD, "open_model": {"late_starts": 2, "new_figure": 1}})
    assert report["open_model"] == {"late_starts": 2, "dropped": 0}
    assert facts_of(report) == {"operator": "ci-bot"}


def recorded(path: Path, final: Snapshot, summary: dict[str, Any] | None) -> Path:
    """A session of one tick, `final`, written by the real writer and closed with
    `summary` (None: the run was killed before its summary)."""
    target = Target("t", "http://127.0.0.1:9")
    profile = Profile("flat", stages=(Stage(10.0, users=1),))
    users = (UserClass("u", tasks=(HttpTask("x"),)),)
    scenario = Scenario("shop", targets=(target,), users=users, profiles=(profile,))
    writer = SessionWriter(path, scenario, target, profile)
    writer.on_snapshot(final)
    if summary is not None:
        writer.close(summary)
    return path


def test_a_session_with_an_old_summary_reports(final: Snapshot, tmp_path: Path) -> None:
    old = {**OLD, "saturation": [[2.0, 3.5]]}
    session = read_session(recorded(tmp_path / "s.json", final, {"report": old}))
    stored = recorded_report(session)
    assert stored is not None and stored["saturation"] == [[2.0, 3.5]]
    report = report_from_session(session)  # figures from the tick, facts from the summary
    assert report["requests"] == final.total.requests and report["scenario"] == "shop"
    assert report["generator_saturated"] is True and report["saturation"] == [[2.0, 3.5]]
    assert facts_of(report) == {"operator": "ci-bot"}
    killed = read_session(recorded(tmp_path / "k.json", final, None))
    assert recorded_report(killed) is None and report_from_session(killed)["saturation"] == []


def test_a_session_with_a_malformed_summary_is_a_session_error(
    final: Snapshot, tmp_path: Path
) -> None:
    bad = {"report": {**OLD, "thresholds": [{"name": "x", "ok": "no"}]}}
    session = read_session(recorded(tmp_path / "s.json", final, bad))  # reading is lazy
    with pytest.raises(SessionError) as caught:
        report_from_session(session)
    assert str(caught.value) == (
        f"{tmp_path / 's.json'}: summary.report.thresholds[0].ok: expected true or false, got text"
    )
