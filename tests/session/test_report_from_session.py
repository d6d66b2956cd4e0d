"""Reports rebuilt from a session equal the live run's, figure for figure and file for file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.cli import loadtui
from support.clocks import recorder
from support.scenarios import api_fast, get, scenario, user, write

from loadtui.metrics.snapshot import LoadState
from loadtui.report.build import build_report
from loadtui.report.from_session import report_from_session, session_info
from loadtui.report.outputs import Outputs, write_reports
from loadtui.report.thresholds import evaluate
from loadtui.scenario.model import HttpTask, Profile, Scenario, Stage, Target, Threshold, UserClass
from loadtui.session.reader import SessionError, read_session
from loadtui.session.writer import SessionWriter

USER = user(api_fast(weight=3), get("/api/nope", "missing"), wait="constant(0.01s)")
PROFILE = {"stages": [{"duration": "2s", "users": 3, "spawn_rate": 100}]}
CSV_FILES = ("stats", "history", "failures", "streams")


def diff(a: Any, b: Any, where: str = "") -> list[str]:
    """Every place two JSON values differ, for a readable failure."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{where}.{k}: only in one" for k in a.keys() ^ b.keys()]
        for k in a.keys() & b.keys():
            out += diff(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in diff(x, y, f"{where}[{i}]")
        ]
    return [] if a == b and type(a) is type(b) else [f"{where}: {a!r} != {b!r}"]


@pytest.fixture(scope="module", params=["s.json", "s.json.gz"])
def live_run(
    request: pytest.FixtureRequest, demo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A real headless run against the demo target, with every output of `loadtui run`."""
    tmp = tmp_path_factory.mktemp("live")
    thresholds = {"p99": "< 5s", "error_rate": "< 1%"}
    text = scenario(
        USER, target=demo_url, name="rebuilt", profiles={"flat": PROFILE}, thresholds=thresholds
    )
    # 80 passes (the profile's 2 s a guard): a run of fixed length could end with few
    # requests on a busy machine, and the figures compared need some of each endpoint.
    proc = loadtui(
        "run", str(write(tmp, text)), "-q", "--tick", "0.25", "-i", "80",
        "--session", request.param, "--report-json", "a.json", "--report-md", "a.md",
        "--junit", "a.xml", "--csv", "live",
        cwd=tmp,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # /api/nope is a 404: error_rate fails
    (tmp / "session").write_text(request.param)
    return tmp


def test_report_agrees_with_the_live_report_on_every_figure(live_run: Path) -> None:
    session = read_session(live_run / (live_run / "session").read_text())
    live = json.loads((live_run / "a.json").read_text())
    rebuilt = report_from_session(session)
    assert diff(live, rebuilt) == []
    assert rebuilt["started"] == live["started"] and rebuilt["passed"] is False
    assert live["requests"] > 50 and live["endpoints"][1]["status_codes"] == {
        "404": live["endpoints"][1]["requests"]
    }
    assert rebuilt == session.summary["report"]  # what the live run stored, too


def test_every_output_file_equals_the_live_one(live_run: Path, tmp_path: Path) -> None:
    session = read_session(live_run / (live_run / "session").read_text())
    outputs = Outputs(
        report_json=tmp_path / "b.json",
        report_md=tmp_path / "b.md",
        junit=tmp_path / "b.xml",
        csv_prefix=str(tmp_path / "again"),
        svg=tmp_path / "b.svg",
    )
    failed = write_reports(report_from_session(session), outputs, session=session)
    assert failed == []
    for ext in ("json", "md", "xml"):
        assert (tmp_path / f"b.{ext}").read_text() == (live_run / f"a.{ext}").read_text(), ext
    for kind in CSV_FILES:
        again = (tmp_path / f"again_{kind}.csv").read_text()
        assert again == (live_run / f"live_{kind}.csv").read_text(), kind
    history = (tmp_path / "again_history.csv").read_text().splitlines()
    assert len(history) == len(session.ticks) + 1  # one row per tick, after the header
    assert (tmp_path / "b.svg").read_text().startswith("<svg")


def small_session(tmp_path: Path, ticks: int, *, close: dict[str, Any] | None) -> Path:
    """A session written by the real writer from a real Recorder, closed or not."""
    rec, clock = recorder(now=10.0, epoch=1_700_000_000.5)
    ep = rec.endpoint("x", "GET")
    target = Target("t", "http://127.0.0.1:9")
    profile = Profile("flat", stages=(Stage(5.0, users=1),))
    scen = Scenario(
        "small",
        targets=(target,),
        users=(UserClass("u", tasks=(HttpTask("x"),)),),
        profiles=(profile,),
        thresholds=(Threshold("p95", "<", 5.0), Threshold("rps", ">", 1.0)),
    )
    path = tmp_path / "small.json"
    w = SessionWriter(path, scen, target, profile)
    for i in range(ticks):
        for k in range(10):
            ep.success(2_000 + 1_000 * k * i, 200)
        clock.now += 1.0
        w.on_snapshot(last := rec.tick(load=LoadState(state="running", users=1)))
    if close is not None:
        report = build_report(last, evaluate(scen.thresholds, last), info={})
        w.close({"report": {**report, **close}})
    return path


def test_a_killed_run_reports_from_its_last_tick(tmp_path: Path) -> None:
    session = read_session(small_session(tmp_path, 3, close=None))
    report = report_from_session(session)
    assert session.summary is None and report["saturation"] == []
    assert report["requests"] == 30 and report["duration_s"] == 3.0
    assert report["scenario"] == "small" and report["profile"] == "flat"
    assert report["target"] == "http://127.0.0.1:9"
    assert [t["ok"] for t in report["thresholds"]] == [False, True]  # p95 27 ms > 5 ms
    assert report["started"] == "2023-11-14T22:13:30.500+00:00"


def test_pass_through_info_of_the_live_run_is_kept(tmp_path: Path) -> None:
    extra = {"saturation": [[1.0, 2.5]], "operator": "ci-bot"}
    session = read_session(small_session(tmp_path, 2, close=extra))
    report = report_from_session(session)
    assert report["saturation"] == [[1.0, 2.5]] and report["operator"] == "ci-bot"
    assert session_info(session)["saturation"] == [[1.0, 2.5]]


def test_a_session_without_ticks_is_a_session_error(tmp_path: Path) -> None:
    session = read_session(small_session(tmp_path, 0, close=None))
    with pytest.raises(SessionError, match="no tick recorded"):
        report_from_session(session)


def test_one_unwritable_output_does_not_stop_the_others(tmp_path: Path) -> None:
    session = read_session(small_session(tmp_path, 2, close=None))
    report = report_from_session(session)
    blocker = tmp_path / "file"
    blocker.write_text("")
    outputs = Outputs(
        report_json=blocker / "r.json",
        report_md=tmp_path / "r.md",
        csv_prefix=str(blocker / "c"),
        svg=blocker / "c.svg",
    )
    failed = write_reports(report, outputs, session=session)
    csv_files = [
        f"{blocker / 'c'}_{kind}.csv" for kind in ("history", "stats", "failures", "streams")
    ]
    assert [f.split(": ")[0] for f in failed] == [
        f"cannot write {path}" for path in (blocker / "r.json", *csv_files, blocker / "c.svg")
    ]
    assert all(f.endswith((": File exists", ": Not a directory")) for f in failed)
    assert "scenario `small`" in (tmp_path / "r.md").read_text()
    assert write_reports(report, Outputs(svg=tmp_path / "x.svg")) == [
        f"cannot write {tmp_path / 'x.svg'}: an SVG chart needs the session's ticks"
    ]
    no_history = Outputs(csv_prefix=str(tmp_path / "c"))
    assert write_reports(report, no_history) == []  # no session: no history
    assert (tmp_path / "c_history.csv").read_text().count("\n") == 1
