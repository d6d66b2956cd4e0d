"""`compare`: two real recorded runs against the demo target, and copies of them doctored
in one figure to pin each rule down exactly."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from loadtui.metrics.snapshot import Latency
from loadtui.report.compare import Comparison, compare, parse_tolerance
from loadtui.report.compare_render import comparison_markdown, comparison_text
from loadtui.session.reader import Session, SessionError, read_session

# BASE: "work" answers after 5 ms; NEW: after 30 ms under the same name, and "legacy"
# is replaced by "fresh". Every user also keeps a WebSocket echo stream ("chat") open.
SCENARIO = """
name = "cmp"
[targets.local]
url = "{url}"
[[users]]
name = "u"
wait = "constant(0.01s)"
[[users.tasks]]
name = "work"
path = "/api/delay?ms={ms}"
[[users.tasks]]
name = "fast"
path = "/api/fast"
[[users.tasks]]
name = "{third}"
path = "/api/items"
[users.websocket]
name = "chat"
path = "/ws/echo"
send = {{ every = "100ms", text = "hi {{seq}}" }}
expect = "echo"
[profiles.flat]
stages = [{{ duration = "10s", users = 4, spawn_rate = 1000 }}]
"""


@pytest.fixture(scope="module")
def runs(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Session, Session]:
    """Both runs at once (2 s each), so the file costs one run's time."""
    tmp = tmp_path_factory.mktemp("compare")
    procs = []
    for tag, ms, third in (("base", 5, "legacy"), ("new", 30, "fresh")):
        scen = tmp / f"{tag}.toml"
        scen.write_text(SCENARIO.format(url=demo_url, ms=ms, third=third))
        cmd = [sys.executable, "-m", "loadtui", "run", str(scen), "-t", "2s", "--tick", "0.25"]
        procs.append(
            subprocess.Popen(
                [*cmd, "-q", "--session", str(tmp / f"{tag}.jsonl")],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
        )
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    return read_session(tmp / "base.jsonl"), read_session(tmp / "new.jsonl")


def doctored(session: Session, **final_changes: Any) -> Session:
    """The session with its final snapshot changed: the figures compare reads."""
    assert session.final is not None
    return replace(session, ticks=(*session.ticks[:-1], replace(session.final, **final_changes)))


def with_endpoint(session: Session, name: str, **changes: Any) -> Session:
    assert session.final is not None
    eps = tuple(replace(e, **changes) if e.name == name else e for e in session.final.endpoints)
    return doctored(session, endpoints=eps)


def with_stream(session: Session, **changes: Any) -> Session:
    assert session.final is not None
    (chat,) = session.final.streams
    return doctored(session, streams=(replace(chat, **changes),))


def lat(**values: float) -> Latency:
    return Latency(count=1000, **values)


def verdicts(c: Comparison) -> set[str]:
    return {d.verdict for r in c.rows() for d in r.deltas}


def test_a_session_against_itself_has_no_regression(runs: tuple[Session, Session]) -> None:
    base, _ = runs
    c = compare(base, base)
    assert c.ok and c.regressions == [] and c.improvements == []
    assert [r.name for r in c.endpoints.rows] == ["work", "fast", "legacy"]
    assert c.endpoints.total is not None and c.endpoints.added == c.endpoints.removed == ()
    assert [r.name for r in c.streams.rows] == ["chat"] and c.streams.total is None
    assert verdicts(c) == {"same"}  # every figure had data on both sides
    assert all(d.change == 0 for r in c.rows() for d in r.deltas)
    assert c.endpoint("work").delta("p50").base > 4  # type: ignore[union-attr]
    text = comparison_text(c)
    assert text.splitlines()[0] == "loadtui compare: no regression"
    assert text.endswith("Result: no regression") and "✗" not in text
    assert max(len(line) for line in text.splitlines()) <= 100
    md = comparison_markdown(c)
    assert md.startswith("✅ **loadtui compare: no regression**") and "✗" not in md
    assert "| chat |" in md and "| **Total** |" in md


def test_a_slower_endpoint_is_flagged_on_its_latency(runs: tuple[Session, Session]) -> None:
    base, new = runs
    c = compare(base, new)
    assert not c.ok
    work = c.endpoint("work")
    assert work is not None
    for figure in ("p50", "p95"):
        d = work.delta(figure)
        assert d.verdict == "regression", d
        assert d.base is not None and d.new is not None and d.new - d.base > 20
        assert d.relative is not None and d.relative > 2
    assert any(line.startswith("work: p50 ") for line in c.regressions)
    assert any(line.startswith("Total: p95 ") for line in c.regressions)
    fast = c.endpoint("fast")
    assert fast is not None and fast.delta("p50").verdict != "regression"  # sub-ms: floor
    assert c.endpoints.added == ("fresh",) and c.endpoints.removed == ("legacy",)
    assert c.endpoint("legacy") is None and c.endpoint("fresh") is None

    text = comparison_text(c)
    assert text.splitlines()[0].startswith("loadtui compare: ") and "regression" in text
    lines = text.splitlines()
    at = lines.index("work")
    assert lines[at + 1].startswith("  p50") and lines[at + 1].endswith("✗")
    assert "Only in NEW (added endpoints): fresh" in text
    assert "Only in BASE (removed endpoints): legacy" in text
    assert lines[-1] == f"Result: FAILED, {len(c.regressions)} regressions"
    md = comparison_markdown(c)
    assert md.startswith(f"❌ **loadtui compare: {len(c.regressions)} regressions**")
    work_row = next(line for line in md.splitlines() if line.startswith("| work |"))
    assert work_row.count("✗") >= 2
    assert "Only in NEW (added endpoints): `fresh`" in md and "### Regressions" in md

    back = compare(new, base)  # the other way round: the same figures are improvements
    assert back.endpoint("work").delta("p50").verdict == "improvement"  # type: ignore[union-attr]
    assert any(line.startswith("work: p50 ") for line in back.improvements)
    assert back.endpoints.added == ("legacy",) and back.endpoints.removed == ("fresh",)
    assert "✓" in comparison_text(back)


def test_tolerance_and_floor_widen_what_passes(runs: tuple[Session, Session]) -> None:
    base, new = runs
    lenient = compare(base, new, tolerance=parse_tolerance("5000%"))
    assert lenient.ok, lenient.regressions
    assert "Tolerance 5000%" in comparison_text(lenient)
    no_floor_hits = compare(base, new, floor_ms=10_000)
    assert no_floor_hits.regressions and all(" ms " not in r for r in no_floor_hits.regressions)
    with pytest.raises(ValueError, match="0 or more"):
        compare(base, new, tolerance=-0.1)
    with pytest.raises(ValueError):
        compare(base, new, floor_ms=float("nan"))


def test_latency_needs_both_the_relative_and_the_absolute_margin(
    runs: tuple[Session, Session],
) -> None:
    base, _ = runs
    cases = [  # (base p95, new p95, verdict) at 10% and a 1 ms floor
        (0.2, 0.9, "same"),  # +350% but +0.7 ms: noise
        (100.0, 109.0, "same"),  # +9 ms but +9%
        (100.0, 112.0, "regression"),
        (3.0, 4.5, "regression"),
        (100.0, 80.0, "improvement"),
        (2.0, 1.5, "same"),  # -25% but -0.5 ms
    ]
    for before, after, verdict in cases:
        a = with_endpoint(base, "fast", latency=lat(p50=0.1, p95=before, p99=before, max=before))
        b = with_endpoint(base, "fast", latency=lat(p50=0.1, p95=after, p99=before, max=after))
        d = compare(a, b).endpoint("fast").delta("p95")  # type: ignore[union-attr]
        assert d.verdict == verdict, (before, after)
    empty = with_endpoint(base, "fast", latency=Latency(), requests=0, failures=0)
    d = compare(empty, base).endpoint("fast")  # type: ignore[union-attr]
    assert d is not None and d.delta("p95").verdict == "n/a"
    assert d.delta("error rate").verdict == "n/a" and d.delta("p95").base is None
    assert "-" in comparison_text(compare(empty, base))


def test_error_rate_needs_a_tenth_of_a_point_and_req_s_the_tolerance(
    runs: tuple[Session, Session],
) -> None:
    base, _ = runs
    clean = with_endpoint(base, "fast", requests=10_000, failures=0, mean_rps=100.0)

    def against(**changes: Any) -> dict[str, str]:
        fast = compare(clean, with_endpoint(clean, "fast", **changes)).endpoint("fast")
        assert fast is not None
        return {d.figure: d.verdict for d in fast.deltas}

    assert against(failures=5)["error rate"] == "same"  # 0.05%: under 0.1 point
    assert against(failures=20)["error rate"] == "regression"  # 0.2%
    high = with_endpoint(clean, "fast", failures=1000)  # 10%: relative 10% means +1 point
    worse = compare(high, with_endpoint(clean, "fast", failures=1050)).endpoint("fast")
    assert worse is not None and worse.delta("error rate").verdict == "same"  # 10.5%
    worse = compare(high, with_endpoint(clean, "fast", failures=1200)).endpoint("fast")
    assert worse is not None and worse.delta("error rate").verdict == "regression"  # 12%
    assert against(mean_rps=91.0)["req/s"] == "same"
    assert against(mean_rps=89.0)["req/s"] == "regression"
    assert against(mean_rps=111.0)["req/s"] == "improvement"
    c = compare(clean, with_endpoint(clean, "fast", failures=20))
    assert "fast: error rate 0% → 0.20% (+0.20 pp, new)" in c.regressions


def test_stream_figures_are_judged_per_stream(runs: tuple[Session, Session]) -> None:
    base, _ = runs
    assert base.final is not None
    (chat,) = base.final.streams
    assert chat.rtt.count > 0 and chat.opened == 4 and chat.failed == 0
    slow = lat(p50=chat.rtt.p50 + 20, p95=chat.rtt.p95 + 40, p99=chat.rtt.p99 + 40, max=99.0)
    c = compare(base, with_stream(base, rtt=slow, failed=2))
    row = c.stream("chat")
    assert row is not None
    assert {d.figure: d.verdict for d in row.deltas} == {
        "RTT p50": "regression",
        "RTT p95": "regression",
        "RTT p99": "regression",
        "handshake p95": "same",
        "failed sessions": "regression",
    }
    assert row.delta("failed sessions").counts == (0, 2)
    assert any(r.startswith("stream chat: RTT p95 ") for r in c.regressions)
    assert "stream chat: failed sessions 0 (0%) → 2 (33.3%) (+33.33 pp, new)" in c.regressions
    assert c.endpoints.rows and all(not r.startswith(("work", "fast")) for r in c.regressions)
    md = comparison_markdown(c)
    assert "### WebSocket streams" in md and "0 (0%) → 2 (33.3%)" in md


def test_streams_and_endpoints_on_one_side_only(runs: tuple[Session, Session]) -> None:
    base, _ = runs
    assert base.final is not None
    no_ws = doctored(base, streams=(), stream_total=None)
    c = compare(no_ws, base)
    assert c.streams.added == ("chat",) and c.streams.rows == () and c.ok
    assert c.streams.total is not None  # the totals still side by side: nothing vs chat
    assert "Only in NEW (added streams): chat" in comparison_text(c)
    assert "Only in BASE (removed streams): `chat`" in comparison_markdown(compare(base, no_ws))
    piped = doctored(
        base, endpoints=tuple(replace(e, name=f"{e.name} | x") for e in base.final.endpoints)
    )
    c = compare(base, piped)
    assert c.endpoints.rows == () and len(c.endpoints.added) == 3
    assert "`work \\| x`" in comparison_markdown(c)
    neither = doctored(no_ws, endpoints=(), total=replace(base.final.total, requests=0))
    c = compare(neither, neither)
    assert not c.endpoints and not c.streams and c.ok
    assert "Endpoints" not in comparison_text(c)


def test_notes_and_session_errors(runs: tuple[Session, Session]) -> None:
    base, _ = runs
    other = replace(base, header={**base.header, "scenario": {"name": "other"}}, truncated=True)
    c = compare(base, other)
    assert "different scenario: 'cmp' vs 'other'" in c.notes
    assert any("NEW was cut off" in n for n in c.notes)
    assert "Note: different scenario" in comparison_text(c)
    assert "> ⚠️ different scenario" in comparison_markdown(c)
    with pytest.raises(SessionError, match="no tick recorded"):
        compare(base, replace(base, ticks=(), path=Path("empty.jsonl")))


@pytest.mark.parametrize(
    ("text", "value"),
    [("10%", 0.1), ("0.1", 0.1), (" 2.5 % ", 0.025), ("0", 0.0), ("150%", 1.5), ("0%", 0.0)],
)
def test_parse_tolerance(text: str, value: float) -> None:
    assert parse_tolerance(text) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected a percentage"),
        ("ten", "expected a percentage"),
        ("%", "expected a percentage"),
        ("-5%", "0 or more"),
        ("nan", "finite"),
        ("inf%", "finite"),
        ("10", "ambiguous: write 10% or 0.1"),
        ("1", "ambiguous"),
    ],
)
def test_parse_tolerance_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_tolerance(text)
