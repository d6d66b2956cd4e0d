"""Plain-text summary table and the headless progress line."""

from __future__ import annotations

from dataclasses import replace

from loadtui.metrics.snapshot import Latency, LoadState, Snapshot
from loadtui.report.build import build_report
from loadtui.report.text import progress_line, summary_table
from loadtui.report.thresholds import evaluate
from loadtui.scenario.model import Threshold


def _report(final: Snapshot) -> dict:
    ts = [Threshold("p95", "<", 2000), Threshold("error_rate", "<", 0.01)]
    return build_report(final, evaluate(ts, final), info={"scenario": "shop"})


def test_summary_table_has_every_part(final: Snapshot) -> None:
    text = summary_table(_report(final))
    lines = text.splitlines()
    assert all(len(line) <= 100 for line in lines)
    assert "scenario shop" in lines[0]
    assert "102 requests in 10.0s (10.2 req/s), 3 failed (2.94%)" in text
    header = next(line for line in lines if line.startswith("Endpoint"))
    for col in ("Requests", "Fail", "req/s", "p50", "p90", "p95", "p99", "p99.9", "max"):
        assert col in header.split()
    rows = {line.split("  ")[0].strip(): line for line in lines}
    for name in ("GET /a", "b | pipe", "c", "Total"):
        assert name in rows, name
    assert rows["GET /a"].split()[2:5] == ["100", "1", "10.0"]
    assert rows["GET /a"].split()[-1] == "100"  # max 100.031 ms
    assert rows["c"].split()[-1] == "-"  # nothing measured
    assert "Status codes: 200 x99, 429 x1, 500 x1" in text
    assert "Errors: refused x2, HTTP 500 x1" in text
    assert (
        "Rate limited: 1 of 101 responses (0.99%), 1 with Retry-After; honoured 1, waited 2.0s"
        in " ".join(text.split())
    )
    assert "Open model: 3 late starts, 1 dropped" in text
    assert "  PASS  p95 < 2000ms  (observed 10.0ms)" in text
    assert "  FAIL  error_rate < 1%  (observed 2.94%)" in text
    assert text.endswith("Result: FAILED (1 of 2 thresholds)")


def test_summary_table_narrow_and_long_names(final: Snapshot) -> None:
    rep = _report(final)
    rep["endpoints"][1]["name"] = "a very long endpoint name " * 6
    for width in (60, 72, 100, 160):
        lines = summary_table(rep, width=width).splitlines()
        table = [line for line in lines if line.startswith(("Endpoint", "GET /a", "a very"))]
        assert len(table) == 3
        assert all(len(line) <= width for line in table), width
        assert any(line.startswith("a very") and line.split()[-1] for line in table)
    narrow = summary_table(rep, width=60)
    assert "Fail" in narrow and "p99" in narrow and "~" in narrow


def test_summary_table_single_endpoint_and_no_thresholds(final: Snapshot) -> None:
    one = replace(final, endpoints=final.endpoints[:1])
    text = summary_table(build_report(one, [], info={}))
    assert "Total" not in text  # one endpoint is its own total
    assert "Thresholds" not in text and "Result" not in text
    empty = replace(final, endpoints=(), total=replace(final.total, status_codes={}, errors={}))
    text = summary_table(build_report(empty, [], info={}))
    assert "Status codes: none" in text and "Errors: none" in text


def test_progress_line(final: Snapshot) -> None:
    """Request figures are the snapshot's interval ones over its interval_s (Progress
    hands it the seconds since the previous line); time left is the run's."""
    closed = replace(
        final,
        t=65.0,
        interval_s=5.0,
        load=LoadState(
            state="running",
            users=40,
            users_target=50,
            stage=1,
            stages=3,
            stage_left_s=12,
            run_left_s=95.0,
        ),
        total=replace(
            final.total,
            rps=200.0,
            interval_requests=1000,
            interval_failures=5,
            interval_latency=Latency(count=10, p50=3.14159, p95=12.34, p99=45.6),
        ),
    )
    line = progress_line(closed)
    assert line == (
        "[1m05s] users 40/50 | 5.0s: 1,000 req, 200.0 req/s, 5 failed (0.50%)"
        " | p50 3.14 p95 12.3 p99 45.6 ms | stage 2/3 | 1m35s left"
    )
    unbounded = progress_line(replace(closed, load=replace(closed.load, run_left_s=None)))
    assert unbounded.endswith("| stage 2/3 (12.0s)")  # nothing ends the run: the stage's
    forever = replace(closed.load, run_left_s=None, stage_left_s=10 * 365 * 24 * 3600.0)
    assert progress_line(replace(closed, load=forever)).endswith("| stage 2/3 (until stopped)")
    open_paused = replace(
        closed,
        load=LoadState(state="paused", model="open", rate=200, inflight=7, stage=-1),
        total=replace(closed.total, interval_latency=Latency(), interval_requests=0, rps=0.0),
    )
    line = progress_line(open_paused)
    assert line.startswith("[1m05s] paused | rate 200.0/s inflight 7 |")
    assert "p50 - p95 - p99 - ms" in line and "(0%)" in line and line.endswith("manual")
    stopping = progress_line(replace(closed, load=replace(closed.load, state="stopping")))
    assert stopping.startswith("[1m05s] stopping |") and "left" not in stopping


def test_a_mostly_throttled_run_says_so_unless_a_threshold_gates_it(final: Snapshot) -> None:
    codes = {200: 30, 429: 70}
    throttled = replace(
        final,
        total=replace(final.total, status_codes=codes, rate_limited=70),
        rate_limit=replace(final.rate_limit, responses=70),
    )
    text = " ".join(summary_table(build_report(throttled, [], info={})).split())
    assert "Rate limited: 70 of 100 responses (70.0%)" in text
    assert "WARNING: 70.0% of responses were rate-limited" in text
    gate = [Threshold("rate_limited", "<", 0.05)]
    gated = summary_table(build_report(throttled, evaluate(gate, throttled), info={}))
    assert "were rate-limited" not in gated
    assert "FAIL  rate_limited < 5%  (observed 70.0%)" in gated


def test_target_processes_clamps_and_no_data_reasons_are_shown(final: Snapshot) -> None:
    from loadtui.metrics.target_process import TargetProcessSummary

    mib = 1024 * 1024
    tp = TargetProcessSummary(
        pids=(10, 11, 12),
        rss_start_bytes=100 * mib,
        rss_end_bytes=160 * mib,
        rss_max_bytes=161 * mib,
        rss_growth_bytes=60 * mib,
        cpu_mean_percent=12.4,
        cpu_max_percent=40.0,
    )
    clamped = replace(final, total=replace(final.total, clamped=2))
    missing = [Threshold("p95", "<", 100, endpoint="GET /nowhere")]
    report = build_report(clamped, evaluate(missing, clamped), info={}, target_process=tp)
    text = summary_table(report)
    assert (
        "Target processes (3): RSS 100.0 -> 160.0 MiB (max 161.0, growth +60.0);"
        " CPU mean 12%, max 40%" in text
    )
    assert "WARNING: 2 latencies beyond 1 h were recorded as 1 h" in text
    fail = next(line for line in text.splitlines() if "GET /nowhere" in line)
    assert "observed no data: " in fail
