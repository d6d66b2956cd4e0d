"""The SVG chart of a session: valid, self-contained XML with the series and markers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from support.clocks import recorder

from loadtui.metrics.histogram import decode, latency_of, merge
from loadtui.metrics.snapshot import LoadState
from loadtui.report.svg import ChartPoints, nice_scale, render_svg, time_label
from loadtui.scenario.model import Profile, Scenario, Stage, Target, Threshold
from loadtui.session.reader import Session, read_session
from loadtui.session.writer import SessionWriter

NS = "{http://www.w3.org/2000/svg}"


def session(
    tmp_path: Path,
    ticks: int,
    *,
    name: str = "chart",
    limit: float = 1000.0,
    close: bool = True,
) -> Session:
    """A real session: Recorder snapshots through the real writer, events included."""
    rec, clock = recorder()
    ep = rec.endpoint("home", "GET")
    target = Target("t", "http://127.0.0.1:8089")
    profile = Profile("ramp", stages=(Stage(10.0, users=5),))
    scen = Scenario(name, targets=(target,), thresholds=(Threshold("p95", "<", limit),))
    w = SessionWriter(tmp_path / "c.json", scen, target, profile)
    for i in range(ticks):
        for k in range(5 + i % 7):
            ep.success(1_000 * (k + 1) + 50 * i, 200)
        if i % 9 == 0:
            ep.failure("timeout")
        if i == 0:
            rec.add_event("stage", "stage 1/2: 5 users", stage=0)
            rec.add_event("info", "run started")  # not marked
        if i == 3:
            rec.add_event("operator", "users set to 9", action="set_users", args=[9])
            rec.add_event("breach", "threshold breached: p95", threshold="p95 < 1ms")
        clock.now += 1.0
        w.on_snapshot(rec.tick(load=LoadState(state="running", users=5)))
    w.close({"report": {}} if close else None)
    return read_session(tmp_path / "c.json")


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def points(root: ET.Element, key: str) -> list[tuple[float, float]]:
    line = root.find(f".//{NS}polyline[@id='series-{key}']")
    assert line is not None, key
    return [tuple(map(float, p.split(","))) for p in line.get("points", "").split()]


def test_chart_holds_series_markers_and_title(tmp_path: Path) -> None:
    s = session(tmp_path, 12)
    svg = render_svg(s)
    root = parse(svg)
    assert (root.get("width"), root.get("height")) == ("900", "420")
    for key in ("rps", "failures", "p50", "p95", "p99"):
        assert len(points(root, key)) == 12  # one point per tick
    markers = root.findall(f".//{NS}g[@class]")
    kinds = [g.get("class", "").split()[-1] for g in markers]
    assert kinds == ["marker-stage", "marker-operator", "marker-breach"]
    texts = " ".join(t.text or "" for t in root.iter(f"{NS}text"))
    assert "chart → http://127.0.0.1:8089 · profile ramp" in texts
    assert "set_users 9" in texts and "stage 1/2" in texts
    assert root.find(f".//{NS}text[@id='verdict']").text.startswith("passed")
    # the p99 line is above (smaller y) or on the p50 line everywhere
    pairs = zip(points(root, "p99"), points(root, "p50"), strict=True)
    assert all(y99 <= y50 for (_, y99), (_, y50) in pairs)


def test_self_contained_and_themed(tmp_path: Path) -> None:
    svg = render_svg(session(tmp_path, 5))
    root = parse(svg)
    tags = {el.tag.removeprefix(NS) for el in root.iter()}
    assert not tags & {"script", "foreignObject", "image", "a", "use"}
    for el in root.iter():
        assert not any("href" in attr or attr.startswith("on") for attr in el.attrib)
    style = root.find(f"{NS}style").text
    assert "prefers-color-scheme:dark" in style and "url(" not in style and "@import" not in style
    bg = root.find(f"{NS}rect")
    assert bg.get("class") == "bg" and bg.get("fill") == "#ffffff"  # opaque on any page


def test_failed_and_cut_short_runs_say_so(tmp_path: Path) -> None:
    s = session(tmp_path, 6, limit=0.5, close=False)
    verdict = parse(render_svg(s)).find(f".//{NS}text[@id='verdict']").text
    assert verdict.startswith("FAILED: p95 < 0.5") and "(run cut short)" in verdict


def test_hostile_names_stay_text(tmp_path: Path) -> None:
    s = session(tmp_path, 3, name='<script>alert("x")</script> & \x07bell')
    root = parse(render_svg(s, width=10, height=10))  # clamped to a readable minimum
    assert root.get("width") == "320" and root.find(f".//{NS}script") is None
    assert '<script>alert("x")</script> & ?bell' in root.find(f"{NS}title").text


def test_empty_session_still_renders(tmp_path: Path) -> None:
    root = parse(render_svg(session(tmp_path, 0, close=False)))
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "no ticks recorded" in texts
    assert points(root, "rps") == []


def test_long_runs_get_one_point_per_column_with_exact_percentiles(tmp_path: Path) -> None:
    s = session(tmp_path, 1500)
    root = parse(render_svg(s, width=600))
    assert 200 <= len(points(root, "p95")) <= 600 - 74  # at most one per plot pixel
    cols = ChartPoints(s.ticks, 500)  # 3 ticks per column
    assert len(cols.t) == 500 and cols.t[0] == s.ticks[2].t
    exact = latency_of(merge(decode(t.total.histogram) for t in s.ticks[3:6]))
    assert cols.lat[1] == exact
    reqs = sum(t.total.interval_requests for t in s.ticks[3:6])
    assert cols.rps[1] == reqs / sum(t.interval_s for t in s.ticks[3:6])


def test_scales_and_time_labels() -> None:
    assert nice_scale(0) == (1.0, 4) and nice_scale(float("nan")) == (1.0, 4)
    assert nice_scale(37.9) == (40, 4) and nice_scale(49) == (50, 5)
    assert nice_scale(2856) == (3000, 3) and nice_scale(1) == (1, 5)
    assert [time_label(s) for s in (0, 45, 60, 90, 3600, 5400, 43200)] == [
        "0s",
        "45s",
        "1m",
        "1m30s",
        "1h",
        "1h30m",
        "12h",
    ]


def test_time_axis_ticks_stay_few_on_a_long_run(tmp_path: Path) -> None:
    s = session(tmp_path, 700)
    labels = [
        t.text
        for t in parse(render_svg(s)).iter(f"{NS}text")
        if t.text and re.fullmatch(r"\d+[hms][\dhms]*", t.text)
    ]
    assert labels[0] == "0s" and 3 <= len(labels) <= 12
