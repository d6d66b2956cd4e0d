"""Every metric and every operator, passing and failing, and the no-data rule."""

from __future__ import annotations

import pytest

from loadtui.metrics.snapshot import Snapshot
from loadtui.report.thresholds import evaluate, threshold_name
from loadtui.scenario.model import Threshold

P10 = 10.007  # 10 ms recorded: highest equivalent value of its bucket, in ms
P100 = 100.031

# (metric, endpoint, observed) in the fixture snapshot (see conftest.run_snapshot)
OBSERVED = [
    ("p50", None, P10),
    ("p75", None, P10),
    ("p90", None, P10),
    ("p95", None, P10),
    ("p99", None, P10),
    ("p99.9", None, P100),
    ("max", None, P100),
    ("min", None, 10.0),
    ("mean", "/a", (99 * 10.004 + 100.0) / 100),  # median-equivalent values
    ("error_rate", None, 3 / 102),
    ("error_rate", "/a", 0.01),
    ("status_5xx", None, 1.0),
    ("status_4xx", None, 1.0),  # the 429 answers count as a status class
    ("status_2xx", "/a", 99.0),
    ("rps", None, 10.2),
    ("rps", "/a", 10.0),
]

# (op, limit as a function of observed x, expected ok)
CASES = [
    ("<", lambda x: x + 0.5, True),
    ("<", lambda x: x, False),
    ("<=", lambda x: x, True),
    ("<=", lambda x: x - 0.5, False),
    (">", lambda x: x - 0.5, True),
    (">", lambda x: x, False),
    (">=", lambda x: x, True),
    (">=", lambda x: x + 0.5, False),
    ("==", lambda x: x, True),
    ("==", lambda x: x + 1, False),
]


@pytest.mark.parametrize(("metric", "endpoint", "expected"), OBSERVED)
def test_every_metric_and_op(final: Snapshot, metric: str, endpoint: str | None, expected):
    # observe it first, then check the observed value independently
    probe = evaluate([Threshold(metric, "<", 1e9, endpoint=endpoint)], final)[0]
    assert probe.observed == pytest.approx(expected, rel=1e-9)
    x = probe.observed
    for op, limit, ok in CASES:
        t = Threshold(metric, op, limit(x), endpoint=endpoint)  # type: ignore[arg-type]
        (r,) = evaluate([t], final)
        assert r.ok is ok, (metric, op, limit(x), x)
        assert r.observed == x
        assert r.limit == limit(x)
        assert r.threshold is t


def test_no_data_fails_closed(final: Snapshot) -> None:
    ts = [
        Threshold("p95", "<", 1e9, endpoint="b | pipe"),  # only rate-limited answers
        Threshold("error_rate", "<", 1.0, endpoint="b | pipe"),
        Threshold("rps", "<", 1e9, endpoint="b | pipe"),
        Threshold("p99", "<", 1e9, endpoint="c"),  # failures without any latency
        Threshold("p99", "<", 1e9, endpoint="missing"),
        Threshold("status_5xx", "==", 0, endpoint="missing"),
        Threshold("bogus_metric", "<", 1),
        Threshold("p95", "~", 1),  # type: ignore[arg-type]
    ]
    results = evaluate(ts, final)
    assert [r.ok for r in results] == [False] * len(ts)
    assert [r.observed for r in results[:-1]] == [None] * (len(ts) - 1)
    # but what was measured is still observed
    (r,) = evaluate([Threshold("status_4xx", "==", 1, endpoint="b | pipe")], final)
    assert r.ok and r.observed == 1.0
    (r,) = evaluate([Threshold("error_rate", "==", 1, endpoint="c")], final)
    assert r.ok and r.observed == 1.0


def test_names() -> None:
    assert threshold_name(Threshold("p95", "<", 2000)) == "p95 < 2000ms"
    assert threshold_name(Threshold("p99", "<", 500, endpoint="GET /x")) == "GET /x: p99 < 500ms"
    assert threshold_name(Threshold("error_rate", "<", 0.01)) == "error_rate < 1%"
    assert threshold_name(Threshold("status_5xx", "==", 0)) == "status_5xx == 0"
    assert threshold_name(Threshold("rps", ">=", 100.5)) == "rps >= 100.5"
    t = Threshold("p95", "<", 2000, endpoint="login", text="< 2s")
    assert threshold_name(t) == "login: p95 < 2s"


def test_results_keep_order(final: Snapshot) -> None:
    ts = [Threshold("p50", "<", 1), Threshold("p50", "<", 1000), Threshold("rps", ">", 1)]
    assert [r.ok for r in evaluate(ts, final)] == [False, True, True]
    assert evaluate([], final) == []
