"""A target that answers but serves nothing fails the run whatever the thresholds: a
p95 gate over error pages is no evidence the target served load."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import loadtui

from loadtui.metrics.snapshot import EndpointStats, LoadState, Snapshot, StreamStats
from loadtui.report.answered import nothing_succeeded

SCENARIO = """
name = "broken"
[targets.t]
url = "{url}"
[[users]]
name = "u"
wait = "constant(0.05s)"
[[users.tasks]]
name = "flaky"
path = "/api/flaky?fail={fail}"
[thresholds]
p95 = "< 10s"
"""


def _run(tmp_path: Path, url: str, fail: int) -> tuple[int, str, dict]:
    (tmp_path / "s.toml").write_text(SCENARIO.format(url=url, fail=fail))
    # A count of passes, not a length: a run of fixed length could end before any request.
    proc = loadtui(
        "run", "s.toml", "-u", "2", "-i", "10", "--grace", "0.5s", "-q",
        "--report-json", "r.json", "--junit", "j.xml", cwd=tmp_path,
    )  # fmt: skip
    return proc.returncode, proc.stderr, json.loads((tmp_path / "r.json").read_text())


def test_every_request_failing_fails_the_run_though_thresholds_pass(
    tmp_path: Path, demo_url: str
) -> None:
    code, err, report = _run(tmp_path, demo_url, fail=1)
    assert code == 1, err
    assert all(t["ok"] for t in report["thresholds"])
    assert report["passed"] is False
    assert report["unserved"].startswith("nothing succeeded: ")
    assert "all failed (HTTP 50" in report["unserved"]
    assert err.startswith("loadtui: nothing succeeded: "), err
    junit = (tmp_path / "j.xml").read_text()
    assert 'name="target served"' in junit and 'failures="1"' in junit


def test_a_served_run_is_not_flagged(tmp_path: Path, demo_url: str) -> None:
    code, err, report = _run(tmp_path, demo_url, fail=0)
    assert code == 0, err
    assert report["passed"] is True and report["unserved"] is None


def _snap(requests: int, failures: int, streams: tuple[StreamStats, ...] = ()) -> Snapshot:
    total = EndpointStats("Aggregated", requests=requests, failures=failures, errors={"x": 1})
    return Snapshot(0, 1.0, 0.0, 1.0, LoadState(), total, streams=streams)


def test_the_rule() -> None:
    assert nothing_succeeded(_snap(0, 0)) is None  # nothing attempted: not this rule's
    assert nothing_succeeded(_snap(3, 2)) is None
    assert nothing_succeeded(_snap(3, 3)) is not None
    dropped = StreamStats("s", opened=4, disconnects=4)
    assert nothing_succeeded(_snap(0, 0, (dropped,))) == (
        "nothing succeeded: 4 WebSocket sessions, none served"
    )
    held = StreamStats("s", opened=4, disconnects=3)
    assert nothing_succeeded(_snap(0, 0, (held,))) is None
    talked = StreamStats("s", opened=4, disconnects=4, messages_received=1)
    assert nothing_succeeded(_snap(3, 3, (talked,))) is None
