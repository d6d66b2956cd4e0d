"""The report dict honours its contract (docs/contracts.md) and is strict-JSON safe."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from loadtui.metrics.snapshot import Snapshot
from loadtui.report.build import build_report, json_safe
from loadtui.report.thresholds import evaluate
from loadtui.scenario.model import Threshold

TOP = {
    "requests",
    "failures",
    "rps",
    "duration_s",
    "latency_ms",
    "status_codes",
    "errors",
    "endpoints",
    "websocket",
    "thresholds",
    "passed",
    "scenario",
    "target",
    "profile",
    "started",
    "rate_limited",
    "open_model",
}
LAT = {"p50", "p90", "p95", "p99", "p99.9", "max", "min", "mean"}
INFO = {"scenario": "shop", "target": "staging", "profile": "smoke"}


def test_contract_keys_and_values(final: Snapshot) -> None:
    results = evaluate([Threshold("p95", "<", 2000), Threshold("status_5xx", "==", 0)], final)
    rep = build_report(final, results, info=INFO)
    assert rep.keys() >= TOP
    assert rep["latency_ms"].keys() >= LAT
    assert (rep["requests"], rep["failures"]) == (102, 3)
    assert rep["rps"] == pytest.approx(10.2)
    assert rep["duration_s"] == pytest.approx(10.0)
    assert rep["latency_ms"]["p99.9"] == pytest.approx(100.031)
    assert rep["status_codes"] == {"200": 99, "429": 1, "500": 1}
    assert list(rep["errors"].items()) == [("refused", 2), ("HTTP 500", 1)]  # most first
    assert [e["name"] for e in rep["endpoints"]] == ["/a", "b | pipe", "c"]
    for e in rep["endpoints"]:
        assert {"name", "method", "requests", "failures", "rps", "latency_ms"} <= e.keys()
        assert {"status_codes", "errors"} <= e.keys()
        assert e["latency_ms"].keys() >= LAT
    a = rep["endpoints"][0]
    assert (a["method"], a["requests"], a["failures"], a["bytes_in"]) == ("GET", 100, 1, 9900)
    assert rep["websocket"] is None
    assert rep["rate_limited"] == {
        "responses": 1,
        "with_retry_after": 1,
        "honoured": 1,
        "waited_s": 2.0,
    }
    assert rep["open_model"] == {"late_starts": 3, "dropped": 1}
    assert [t["name"] for t in rep["thresholds"]] == ["p95 < 2000ms", "status_5xx == 0"]
    for t in rep["thresholds"]:
        assert {"name", "ok", "observed", "limit"} <= t.keys()
    assert [t["ok"] for t in rep["thresholds"]] == [True, False]
    assert rep["passed"] is False
    assert (rep["scenario"], rep["target"], rep["profile"]) == ("shop", "staging", "smoke")
    assert rep["started"] == datetime.fromtimestamp(1_750_000_000.0, tz=UTC).isoformat(
        timespec="milliseconds"
    )
    assert json.loads(json.dumps(rep, allow_nan=False)) == rep


def test_passed_and_no_data_is_null(final: Snapshot) -> None:
    assert build_report(final, [], info={})["passed"] is True
    results = evaluate([Threshold("p95", "<", 1e9, endpoint="c")], final)
    rep = build_report(final, results, info={})
    assert rep["thresholds"][0]["observed"] is None and rep["passed"] is False
    assert '"observed": null' in json.dumps(rep, allow_nan=False)
    assert (rep["scenario"], rep["target"], rep["profile"]) == ("", "", "")


def test_info_is_passed_through_without_shadowing(final: Snapshot) -> None:
    info = {
        **INFO,
        "started": 0.0,
        "requests": -1,  # would shadow a figure: ignored
        "tool_version": "0.1.0",
        "websocket": {"sessions": 3},  # comes from the snapshot's streams: ignored
        "odd": float("nan"),
    }
    rep = build_report(final, [], info=info)
    assert rep["requests"] == 102
    assert rep["tool_version"] == "0.1.0"
    assert rep["websocket"] is None  # no stream ran
    assert rep["started"].startswith("1970-01-01T00:00:00")
    assert rep["odd"] is None
    json.dumps(rep, allow_nan=False)
    rep = build_report(final, [], info={"started": "2024-05-01T10:00:00Z"})
    assert rep["started"] == "2024-05-01T10:00:00Z"


def test_json_safe() -> None:
    value = {
        1: (math.inf, -math.inf, math.nan, 1.5),
        "b": b"SGk=",
        "d": datetime(2024, 1, 2, tzinfo=UTC),
        "s": {3},
        "p": object,
    }
    out = json_safe(value)
    assert out["1"] == [None, None, None, 1.5]
    assert out["b"] == "SGk=" and out["s"] == [3]
    assert out["d"].startswith("2024-01-02T00:00:00")
    assert out["p"] == str(object)
    json.dumps(out, allow_nan=False)
