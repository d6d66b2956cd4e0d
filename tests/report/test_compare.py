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
from support.scenarios import api_delay, api_fast, get, scenario, user, write
from support.sessions import at_length

from loadtui.metrics.snapshot import Latency
from loadtui.report.compare import FLOOR_MS, Comparison, compare, parse_tolerance
from loadtui.report.compare_render import comparison_markdown, comparison_text
from loadtui.session.reader import Session, SessionError, read_session

# BASE: "work" answers after 5 ms; NEW: after 120 ms under the same name, and "legacy"
# is replaced by "fresh". Every user also keeps a WebSocket echo stream ("chat") open.
CHAT = {
    "name": "chat",
    "path": "/ws/echo",
    "send": {"every": "100ms", "text": "hi {seq}"},
    "expect": "echo",
}
FLAT = {"stages": [{"duration": "10s", "users": 4, "spawn_rate": 1000}]}


def cmp_scenario(url: str, ms: int, third: str) -> str:
    tasks = api_delay(ms, "work"), api_fast(), get("/api/items", third)
    user_class = user(*tasks, wait="constant(0.01s)", websocket=CHAT)
    return scenario(user_class, target=url, name="cmp", profiles={"flat": FLAT})


Runs = tuple[Session, Session, Session]


@pytest.fixture(scope="module")
def all_runs(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """BASE and NEW (2 s each), and BASE's scenario again for 3 s: all at once, so the
    file costs one run's time. Each scenario file is cmp.toml, in its own folder."""
    tmp = tmp_path_factory.mktemp("compare")
    procs = []
    for tag, ms, third, length in (
        ("base", 5, "legacy", "2s"),
        ("new", 120, "fresh", "2s"),
        ("longer", 5, "legacy", "3s"),
    ):
        (tmp / tag).mkdir()
        scen = write(tmp / tag, cmp_scenario(demo_url, ms, third), "cmp.toml")
        cmd = [sys.executable, "-m", "loadtui", "run", str(scen), "-t", length, "--tick", "0.25"]
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
    for tag, seconds in (("base", 2.0), ("new", 2.0), ("longer", 3.0)):
        at_length(tmp / f"{tag}.jsonl", seconds)  # three runs at once may end late: see there
    base, new, longer = (read_session(tmp / f"{tag}.jsonl") for tag in ("base", "new", "longer"))
    return base, new, longer


@pytest.fixture
def runs(all_runs: Runs) -> tuple[Session, Session]:
    return all_runs[0], all_runs[1]


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
        # 5 ms against 120 ms: a busy machine inflates both sides, never by this much.
        assert d.base is not None and d.new is not None and d.new - d.base > 20
        assert d.relative is not None and d.relative > 1
    assert any(line.startswith("work: p50 ") for line in c.regressions)
    assert any(line.startswith("Total: p95 ") for line in c.regressions)
    fast = c.endpoint("fast")
    assert fast is not None
    # Sub-ms on a quiet machine: within the 1 ms floor, no regression. A loaded machine
    # can push one run's figure past the floor; it is then judged like any other.
    p50 = fast.delta("p50")
    assert p50.base is not None and p50.new is not None
    assert p50.new - p50.base > FLOOR_MS or p50.verdict != "regression", p50
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
    c = compare(base, replace(base, truncated=True))
    assert c.comparable and any("NEW was cut off" in n for n in c.notes)
    assert "Note: NEW was cut off" in comparison_text(c)
    assert "> ⚠️ NEW was cut off" in comparison_markdown(c)
    with pytest.raises(SessionError, match="no tick recorded"):
        compare(base, replace(base, ticks=(), path=Path("empty.jsonl")))


def with_header(session: Session, **parts: Any) -> Session:
    """The session with header parts changed; a dict value updates that part's keys."""
    header = dict(session.header)
    for key, value in parts.items():
        header[key] = {**header[key], **value} if isinstance(value, dict) else value
    return replace(session, header=header)


def lasting(session: Session, seconds: float) -> Session:
    return doctored(session, t=seconds)


def test_a_longer_real_run_is_not_comparable(all_runs: Runs) -> None:
    base, _, longer = all_runs
    assert base.final is not None and longer.final is not None
    c = compare(base, longer)
    assert [d.what for d in c.differences] == ["duration"]  # same scenario file and profile
    (line,) = (str(d) for d in c.differences)
    rel = (longer.final.t - base.final.t) / base.final.t * 100
    assert line == f"duration {base.final.t:.1f}s vs {longer.final.t:.1f}s (+{rel:.0f}%)"
    assert not c.judged and c.endpoint("work") is not None  # tabled all the same
    text = comparison_text(c).splitlines()
    assert text[0] == "loadtui compare: not comparable (1 difference)"
    assert text.index(f"not comparable: {line}") < text.index("Endpoints (latency in ms)")
    assert text[-1] == "Result: NOT COMPARABLE (1 difference): figures shown, not judged"
    md = comparison_markdown(c)
    assert md.startswith("⛔ **loadtui compare: not comparable (1 difference)**")
    assert md.index(f"> ⛔ not comparable: {line}") < md.index("### Endpoints")
    assert compare(base, longer, allow_different=True).judged


def test_every_difference_gets_its_line(runs: tuple[Session, Session]) -> None:
    base, _ = runs
    url = base.header["target"]["url"]
    other = with_header(
        lasting(base, 30.0),
        scenario={"name": "other", "path": "/elsewhere/other.toml"},
        profile={"name": "spike"},
        target={"url": "http://staging.example.com:8080"},
        workers=4,
    )
    c = compare(lasting(base, 10.0), other)
    assert [str(d) for d in c.differences] == [
        "scenario 'cmp' (cmp.toml) vs 'other' (other.toml)",
        "profile 'flat' vs 'spike' (same settings)",
        f"target {url} vs http://staging.example.com:8080",
        "duration 10.0s vs 30.0s (+200%)",
        "workers 1 vs 4",
    ]
    assert "NEW " in comparison_text(c) and "4 workers" in comparison_text(c)
    assert "| Workers | 1 | 4 |" in comparison_markdown(c)
    # The profile's shape counts under the same name, and a renamed profile says how.
    stages = [{"duration": 10.0, "users": 8, "spawn_rate": 1000.0, "rate": None}]
    doubled = with_header(base, profile={"stages": stages, "repeat": 2})
    assert [str(d) for d in compare(base, doubled).differences] == [
        "profile 'flat' differs: repeat 1 vs 2, stage 1 users 4 vs 8"
    ]
    two = with_header(base, profile={"name": "two", "stages": stages * 2})
    assert [str(d) for d in compare(base, two).differences] == [
        "profile 'flat' vs 'two' (stages 1 vs 2)"
    ]


def test_what_does_not_make_runs_incomparable(runs: tuple[Session, Session]) -> None:
    base, _ = runs
    moved = with_header(base, scenario={"path": "/another/checkout/cmp.toml"}, workers=1)
    assert compare(base, moved).comparable  # another folder, and 1 worker said outright
    assert compare(lasting(base, 10.0), lasting(base, 12.0)).comparable  # 20%: still in
    assert not compare(lasting(base, 10.0), lasting(base, 12.1)).comparable
    assert not compare(lasting(base, 10.0), lasting(base, 7.9)).comparable
    demo = with_header(base, target={"url": "http://127.0.0.1:1"})
    c = compare(base, demo)  # the embedded demo target on another free port
    assert c.comparable and any("differ only in a loopback port" in n for n in c.notes)
    elsewhere = with_header(base, target={"url": "http://127.0.0.2:1"})
    assert [d.what for d in compare(base, elsewhere).differences] == ["target"]


def test_allowed_differences_are_judged(runs: tuple[Session, Session]) -> None:
    base, new = runs
    c = compare(base, with_header(new, workers=2), allow_different=True)
    assert c.judged and not c.comparable and not c.ok and c.regressions
    text = comparison_text(c).splitlines()
    assert "not comparable: workers 1 vs 2" in text
    assert "compared anyway (--allow-different): the verdict is on runs that differ" in text
    assert text[-1].startswith("Result: FAILED, ")
    assert comparison_markdown(c).startswith("❌ ")


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
