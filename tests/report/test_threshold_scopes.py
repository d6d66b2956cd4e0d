"""The gates teams use: rate limiting, checks, unfinished, open-model starts, WebSocket
streams, the target's processes and the generator itself, evaluated on hand-built
snapshots; and how each result reads in every report."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from support.scenarios import get, load, scenario, user
from support.snapshots import endpoint, snapshot, stream

from loadtui.metrics.snapshot import Latency, Snapshot
from loadtui.metrics.target_process import TargetProcessSummary
from loadtui.report.breaches import BreachWatch
from loadtui.report.build import build_report
from loadtui.report.facts import RunFacts
from loadtui.report.markdown import render_markdown
from loadtui.report.observe import NOT_WATCHED
from loadtui.report.text import summary_table
from loadtui.report.thresholds import evaluate, threshold_name
from loadtui.report.writers import render_junit
from loadtui.scenario.model import Threshold
from loadtui.session.reader import read_session
from loadtui.session.writer import SessionWriter

MiB = 1 << 20


def throttled() -> Snapshot:
    """/x: 100 answers, 75 of them 429 (rate-limited, not requests); 20 judged by
    checks, 4 failed one; 3 cut off at stop. login: never rate-limited, no checks."""
    x = replace(
        endpoint(
            "/x",
            requests=28,
            failures=7,
            status_codes={200: 21, 500: 4, 429: 75},
            errors={"status 500": 4, "unfinished": 3},
        ),
        rate_limited=75,
        checks=20,
        checks_failed=4,
    )
    login = endpoint("login", "POST", requests=50, status_codes={200: 50})
    snap = snapshot(endpoints=[x, login])
    total = replace(snap.total, rate_limited=75, checks=20, checks_failed=4)
    return replace(snap, total=total)


def run(thresholds: list[Threshold], final: Snapshot, facts: RunFacts | None = None):
    return [(r.ok, r.observed, r.reason) for r in evaluate(thresholds, final, facts)]


def test_rate_limited_share_and_count() -> None:
    final = throttled()
    share, count, login, overall = evaluate(
        [
            Threshold("rate_limited", "<", 0.05, endpoint="/x"),
            Threshold("rate_limited_count", "<", 10, endpoint="/x"),
            Threshold("rate_limited", "==", 0, endpoint="login"),
            Threshold("rate_limited", "<=", 0.5),
        ],
        final,
    )
    assert (share.ok, share.observed) == (False, 0.75)  # 75 of 100 responses
    assert (count.ok, count.observed) == (False, 75)
    assert (login.ok, login.observed) == (True, 0.0)
    assert (overall.ok, overall.observed) == (True, 75 / 150)
    assert share.name == "/x: rate_limited < 5%"
    assert count.name == "/x: rate_limited < 10"  # written without %, read as a count


def test_status_codes_checks_and_unfinished() -> None:
    final = throttled()
    assert run(
        [
            Threshold("status_429", "==", 0, endpoint="/x"),
            Threshold("status_4xx", "<=", 75),
            Threshold("status_503", "==", 0),  # never seen: a count of 0 is data
            Threshold("checks", "<", 0.01, endpoint="/x"),
            Threshold("unfinished", "==", 0, endpoint="/x"),
            Threshold("unfinished", "==", 0, endpoint="login"),
        ],
        final,
    ) == [
        (False, 75.0, ""),
        (True, 75.0, ""),
        (True, 0.0, ""),
        (False, 0.2, ""),
        (False, 3.0, ""),
        (True, 0.0, ""),
    ]
    assert threshold_name(Threshold("status_429", "==", 0, endpoint="GET /x")) == (
        "GET /x: status_429 == 0"
    )


def test_no_data_fails_closed_with_a_reason() -> None:
    final = throttled()
    results = run(
        [
            Threshold("checks", "<", 1, endpoint="login"),
            Threshold("rate_limited", "<", 1, endpoint="gone"),
            Threshold("status_429", "==", 0, endpoint="gone"),
            Threshold("dropped", "==", 0),  # a closed run schedules no start
            Threshold("generator_saturated", "==", 0),  # no facts
            Threshold("success_rate", ">", 0),  # no stream ran
            Threshold("rss_max", "<", 1e15, scope="target"),
        ],
        final,
    )
    assert results == [
        (False, None, "no response was judged by a check"),
        (False, None, "endpoint 'gone' never ran"),
        (False, None, "endpoint 'gone' never ran"),
        (False, None, "not an open-model run: no start was scheduled"),
        (False, None, "saturation not known for this run"),
        (False, None, "unknown metric 'success_rate'"),  # written for scope run
        (False, None, NOT_WATCHED),
    ]
    ws = run([Threshold("success_rate", ">", 0, scope="websocket")], final)
    assert ws == [(False, None, "no WebSocket stream ran")]
    target = run([Threshold("cpu_max", "<", 1e9, scope="target")], final, RunFacts())
    assert target == [(False, None, NOT_WATCHED)]


def test_open_model_starts_and_the_generator() -> None:
    snap = snapshot(model="open")
    final = replace(snap, load=replace(snap.load, dropped=4, late_starts=0))
    dropped = Threshold("dropped", "==", 0)
    late = Threshold("late", "<", 10)
    saturated = Threshold("generator_saturated", "==", 0, text="== false")
    assert run([dropped, late], final) == [(False, 4.0, ""), (True, 0.0, "")]
    assert run([saturated], final, RunFacts(saturated=True)) == [(False, 1.0, "")]
    assert run([saturated], final, RunFacts(saturated=False)) == [(True, 0.0, "")]
    assert threshold_name(saturated) == "generator_saturated == false"


def streams_run() -> Snapshot:
    chat = stream("chat", opened=40, failed=60, disconnects=50, reconnects=7, received=900)
    feed = stream("feed", opened=60, failed=0, disconnects=0, rtt_p50=0.0, gap_p50=20.0)
    return snapshot(endpoints=[], streams=[chat, feed])


def test_websocket_all_streams_and_one() -> None:
    final = streams_run()
    results = evaluate(
        [
            Threshold("success_rate", ">", 0.95, scope="websocket", text="> 95%"),
            Threshold("success_rate", ">", 0.95, scope="websocket", stream="feed"),
            Threshold("success_rate", ">", 0.95, scope="websocket", stream="chat"),
            Threshold("rtt_p95", "<", 50, scope="websocket", stream="chat", text="< 50ms"),
            Threshold("handshake_p99.9", "<", 1000, scope="websocket"),
            Threshold("first_message_max", "<", 1000, scope="websocket", stream="chat"),
            Threshold("gap_p99", "<", 10, scope="websocket", stream="feed"),
            Threshold("disconnects", "==", 0, scope="websocket"),
            Threshold("reconnects", "<", 10, scope="websocket", stream="chat"),
            Threshold("messages_received", ">", 100, scope="websocket", stream="chat"),
        ],
        final,
    )
    got = [(r.name, r.ok, r.observed) for r in results]
    assert got == [
        ("websocket: success_rate > 95%", False, 100 / 160),  # both streams merged
        ("websocket feed: success_rate > 95%", True, 1.0),
        ("websocket chat: success_rate > 95%", False, 0.4),
        ("websocket chat: rtt_p95 < 50ms", True, 1.2 * 2.5),
        ("websocket: handshake_p99.9 < 1000ms", True, 3.0 * 6),
        ("websocket chat: first_message_max < 1000ms", True, 6.0 * 8),
        ("websocket feed: gap_p99 < 10ms", False, 80.0),
        ("websocket: disconnects == 0", False, 50.0),
        ("websocket chat: reconnects < 10", True, 7.0),
        ("websocket chat: messages_received > 100", True, 900.0),
    ]


def test_websocket_no_data() -> None:
    final = streams_run()
    assert run(
        [
            Threshold("gap_p99", "<", 1e9, scope="websocket", stream="chat"),  # echo: no gaps
            Threshold("rtt_p50", "<", 1e9, scope="websocket", stream="feed"),  # pushes only
            Threshold("rtt_p50", "<", 1e9, scope="websocket", stream="gone"),
        ],
        final,
    ) == [
        (False, None, "no gap between pushed messages timed"),
        (False, None, "no round trip timed"),
        (False, None, "stream 'gone' never ran"),
    ]
    idle = replace(final.streams[0], opened=0, failed=0, handshake=Latency())
    only_idle = replace(final, streams=(idle,))
    assert run(
        [
            Threshold("success_rate", ">", 0.9, scope="websocket"),
            Threshold("handshake_p50", "<", 1e9, scope="websocket"),
        ],
        only_idle,
    ) == [
        (False, None, "no session was attempted"),
        (False, None, "no handshake completed"),
    ]


def target_facts(growth: int) -> RunFacts:
    summary = TargetProcessSummary(
        pids=(41, 42),
        rss_start_bytes=100 * MiB,
        rss_end_bytes=100 * MiB + growth,
        rss_max_bytes=110 * MiB + growth,
        rss_growth_bytes=growth,
        cpu_mean_percent=83.0,
        cpu_max_percent=190.5,
    )
    return RunFacts(target_process=summary)


TARGET = [
    Threshold("rss_growth", "<", 50 * MiB, scope="target", text="< 50MiB"),
    Threshold("rss_max", "<", 2 << 30, scope="target"),
    Threshold("cpu_mean", "<", 80, scope="target", text="< 80%"),
    Threshold("cpu_max", "<=", 200, scope="target"),
]


def test_target_figures() -> None:
    final = snapshot()
    results = evaluate(TARGET, final, target_facts(80 * MiB))
    assert [(r.name, r.ok, r.observed) for r in results] == [
        ("target: rss_growth < 50MiB", False, 80.0 * MiB),
        ("target: rss_max < 2GiB", True, 190.0 * MiB),
        ("target: cpu_mean < 80%", False, 83.0),
        ("target: cpu_max <= 200%", True, 190.5),
    ]
    shrank = evaluate(TARGET[:1], final, target_facts(-3 * MiB))
    assert shrank[0].ok and shrank[0].observed == -3.0 * MiB


def test_breach_watch_without_facts_stays_silent_then_reports() -> None:
    final = throttled()
    watch = BreachWatch([*TARGET[:1], Threshold("status_429", "==", 0, endpoint="/x", text="== 0")])
    events = watch.check(final)  # one argument, as live callers do
    assert [e.message for e in events] == ["threshold breached: /x: status_429 == 0 (75)"]
    events = watch.check(final, target_facts(60 * MiB))
    assert [e.message for e in events] == [
        "threshold breached: target: rss_growth < 50MiB (60.0 MiB)"
    ]
    # a target breach marks no endpoint row, not even the whole run's
    assert watch.breached(None) == []
    assert [r.name for r in watch.breached("/x")] == ["/x: status_429 == 0"]


@pytest.fixture
def report() -> dict:
    final = replace(streams_run(), endpoints=throttled().endpoints, total=throttled().total)
    thresholds = [
        Threshold("rate_limited", "<", 0.05, text="< 5%"),
        Threshold("success_rate", ">", 0.95, scope="websocket", stream="chat", text="> 95%"),
        TARGET[0],
        Threshold("cpu_max", "<", 100, scope="target", text="< 100%"),
        Threshold("generator_saturated", "==", 0, text="== false"),
        Threshold("status_429", "==", 75, endpoint="/x", text="== 75"),
    ]
    facts = RunFacts(target_process=None, saturated=True)
    return build_report(final, evaluate(thresholds, final, facts), info={"scenario": "s"})


def test_report_entries(report: dict) -> None:
    keys = ("name", "ok", "observed", "unit", "scope", "endpoint", "stream", "reason")
    entries = [tuple(t[k] for k in keys) for t in report["thresholds"]]
    assert entries == [
        ("rate_limited < 5%", False, 0.5, "fraction", "run", None, None, None),
        ("websocket chat: success_rate > 95%", False, 0.4, "fraction", "websocket", None,
         "chat", None),
        ("target: rss_growth < 50MiB", False, None, "bytes", "target", None, None, NOT_WATCHED),
        ("target: cpu_max < 100%", False, None, "percent", "target", None, None, NOT_WATCHED),
        ("generator_saturated == false", False, 1.0, "bool", "run", None, None, None),
        ("/x: status_429 == 75", True, 75.0, "count", "run", "/x", None, None),
    ]  # fmt: skip
    assert report["passed"] is False


def test_text_markdown_and_junit_read_naturally(report: dict) -> None:
    text = summary_table(report, width=120)
    assert "FAIL  rate_limited < 5%  (observed 50.0%)" in text
    assert "FAIL  websocket chat: success_rate > 95%  (observed 40.0%)" in text
    assert "FAIL  generator_saturated == false  (observed true)" in text
    assert "PASS  /x: status_429 == 75  (observed 75)" in text

    md = render_markdown(report)
    assert "| ❌ | websocket chat: success_rate > 95% | 40.0% | > 95% |" in md
    assert f"| ❌ | target: rss_growth < 50MiB | no data ({NOT_WATCHED}) | < 50MiB |" in md
    assert "| ❌ | generator_saturated == false | true | == false |" in md

    suite = ET.fromstring(render_junit(report)).find("testsuite")
    assert suite is not None and suite.get("failures") == "5"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    target = cases["target: rss_growth < 50MiB"]
    assert target.get("classname") == "loadtui.thresholds.target"
    failure = target.find("failure")
    assert failure is not None
    assert failure.get("message") == f"observed no data ({NOT_WATCHED}), limit < 50MiB"
    ws = cases["websocket chat: success_rate > 95%"]
    assert ws.get("classname") == "loadtui.thresholds.websocket"
    assert ws.find("failure").get("message") == "observed 40.0%, limit > 95%"  # type: ignore[union-attr]
    assert cases["/x: status_429 == 75"].find("failure") is None


def test_every_scope_survives_the_session_log(tmp_path: Path) -> None:
    """`loadtui report` and replay judge a recorded run by the thresholds in its header."""
    thresholds = {
        "rate_limited": "< 10",
        "generator_saturated": False,
        "endpoints": {"/x": {"status_429": "== 0"}},
        "websocket": {"streams": {"chat": {"rtt_p99.9": "< 50ms"}}},
        "target": {"rss_growth": "< 50MiB"},
    }
    chat = user(get("/x", "/x"), name="chat", websocket={"path": "/ws"})
    profile = {"stages": [{"duration": "1s", "users": 1}]}
    scen = load(scenario(chat, profiles={"p": profile}, thresholds=thresholds))
    writer = SessionWriter(tmp_path / "s.json", scen, scen.targets[0], scen.profiles[0])
    writer.on_snapshot(throttled())
    writer.close()
    recorded = read_session(tmp_path / "s.json").thresholds()
    assert recorded == list(scen.thresholds)
    assert [threshold_name(t) for t in recorded] == [
        "rate_limited < 10",
        "generator_saturated == false",
        "/x: status_429 == 0",
        "websocket chat: rtt_p99.9 < 50ms",
        "target: rss_growth < 50MiB",
    ]
