"""Session files are data: crafted or damaged ones give a result or one line, never a
traceback.

A real session is recorded once for the module (a short run against the demo target:
HTTP endpoints, a WebSocket stream, thresholds of three scopes, the target's process
watched). Hypothesis then mutates its records (wrong types, NaN, Infinity, huge numbers,
deep nesting, strings where tables are, missing keys, cut or shuffled lines) and runs
what `report`, `replay`, `compare` and `rerun` run, in-process: each must either work
or raise SessionError with a one-line message. A few cases go through the CLI (exit 2,
one line on stderr), and the replay app is driven onto a malformed tick.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cli import loadtui
from support.scenarios import api_fast, get, scenario, user, write
from support.sessions import pause

from loadtui.report.compare import compare
from loadtui.report.from_session import report_from_session
from loadtui.report.markdown import render_markdown
from loadtui.report.outputs import Outputs, write_reports
from loadtui.report.svg import render_svg
from loadtui.report.text import summary_table
from loadtui.report.writers import render_json, render_junit
from loadtui.session.reader import Session, SessionError, read_session
from loadtui.session.rerun import rerun_plan
from loadtui.tui.app import LoadtuiApp
from loadtui.tui.replay_player import ReplayPlayer

BROWSER = user(
    api_fast(),
    get("/api/flaky", "flaky", query={"fail": "0.3"}),
    name="browser",
    weight=3,
    wait="constant(0.02s)",
)
CHATTER = user(
    name="chatter",
    weight=1,
    websocket={
        "path": "/ws/echo",
        "send": {"every": "100ms", "json": {"seq": "{seq}"}},
        "expect": {"reply_field": "seq"},
    },
)


def mutable(url: str) -> str:
    """HTTP endpoints, a WebSocket stream and thresholds of four scopes, aimed at `url`."""
    return scenario(
        BROWSER,
        CHATTER,
        target=url,
        name="mutable",
        # 2 s: the stream and the endpoints must all have shown before the end, which a
        # busy machine can hold the loop for a second of.
        profiles={"flat": {"stages": [{"duration": "2s", "users": 4, "spawn_rate": 100}]}},
        thresholds={
            "p99": "< 5s",
            "error_rate": "< 90%",
            "endpoints": {"fast": {"status_5xx": "== 0"}},
            "websocket": {"rtt_p99": "< 5s"},
            "target": {"rss_max": "< 64GiB"},
        },
    )


@pytest.fixture(scope="module")
def recorded(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a real run's session, s.json, with one operator event added."""
    tmp = tmp_path_factory.mktemp("recorded")
    write(tmp, mutable(demo_url))
    run = loadtui("run", "scenario.toml", "-q", "--tick", "0.2", "--session", "s.json", cwd=tmp)
    assert run.returncode in (0, 1), run.stderr
    lines = (tmp / "s.json").read_text().splitlines()
    lines.insert(2, json.dumps(pause(0.3)))  # something for rerun's plan to read
    (tmp / "s.json").write_text("\n".join(lines) + "\n")
    return tmp


@pytest.fixture(scope="module")
def records(recorded: Path) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in (recorded / "s.json").read_text().splitlines()]
    kinds = {r["type"] for r in found}
    assert kinds == {"header", "tick", "event", "summary"}
    tick = next(r for r in reversed(found) if r["type"] == "tick")
    assert tick["streams"] and tick["endpoints"] and tick["total"]["histogram"]
    assert found[0]["target_pids"] and found[0]["scenario"]["thresholds"]
    return found


@pytest.fixture(scope="module")
def original(recorded: Path) -> Session:
    return read_session(recorded / "s.json")


# ---- building damaged files -----------------------------------------------------------

# Raw JSON text a Python value cannot stand for; put in as a marker, swapped in after
# dumping.
RAW = {
    "nan": "NaN",
    "inf": "Infinity",
    "-inf": "-Infinity",
    "1e999": "1e999",
    "1e400-int": "1" + "0" * 400,
    "digits": "9" * 5000,
    "deep-lists": "[" * 5000 + "]" * 5000,
    "deep-tables": '{"a":' * 100 + "1" + "}" * 100,
}


def raw(name: str) -> str:
    return f"\x00raw:{name}\x00"


def wrong_layout_histogram() -> str:
    """A valid HdrHistogram of a range loadtui never writes (millions of counters)."""
    h = HdrHistogram(1, 2**62, 5)
    h.record_value(12345)
    return bytes(h.encode()).decode("ascii")


ANYWHERE = [None, True, "x", [], {}, raw("deep-lists"), raw("deep-tables")]
BAD_NUMBERS = [
    *(raw(name) for name in ("nan", "inf", "-inf", "1e999", "1e400-int", "digits")),
    -1,
    -0.5,
    0.5,
    1e308,
    -1e308,
    10**30,
    2**64,
    1e9 + 1,
    253_402_300_800.0,
    "12",
]
BAD_TEXTS = [
    "",
    "\x00",
    "x" * 200_000,
    "HISTFAAAAC",
    "bm90IGEgaGlzdG9ncmFt",
    wrong_layout_histogram(),
    7,
]
BAD_TABLES = ["evil", [1, 2], {"": {}}, [[[[[]]]]]]


def bad_value(value: Any) -> st.SearchStrategy[Any]:
    """Something a writer never puts where `value` is: any wrong type, and what is worst
    for its own kind (NaN and huge numbers for a number, bad histograms for text...)."""
    if isinstance(value, bool):
        own = [0, 1, "true"]
    elif isinstance(value, int | float):
        own = BAD_NUMBERS
    elif isinstance(value, str):
        own = BAD_TEXTS
    else:
        own = BAD_TABLES
    return st.sampled_from([*ANYWHERE, *own])


def dump(record: Any) -> str:
    text = json.dumps(record, allow_nan=True)
    for name, value in RAW.items():
        text = text.replace(json.dumps(raw(name)), value)
    return text


def places(record: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in `record`: one is picked to be damaged."""
    found: list[tuple[Any, Any]] = []
    stack = [record]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            found.append((node, key))
            if isinstance(value, dict | list):
                stack.append(value)
    return found


def mutate(data: st.DataObject, records: list[dict[str, Any]]) -> str:
    """The session's text with one value changed or removed (or a line-level cut)."""
    records = json.loads(json.dumps(records))  # a copy
    how = data.draw(st.sampled_from(["replace", "replace", "replace", "delete", "lines"]))
    if how == "lines":
        return cut_or_shuffle(data, [dump(r) for r in records])
    index = data.draw(st.sampled_from([0, *range(len(records))]))  # the header twice
    # A kind of value first, then a place holding one: a record has hundreds of numbers
    # and a few histograms, and each kind deserves its own chance.
    by_kind: dict[str, list[tuple[Any, Any]]] = {"record": [(records, index)]}
    for container, key in places(records[index]):
        by_kind.setdefault(type(container[key]).__name__, []).append((container, key))
    kind = data.draw(st.sampled_from(sorted(by_kind)))
    container, key = data.draw(st.sampled_from(by_kind[kind]))
    if how == "delete" and container is not records:
        del container[key]
    else:
        container[key] = data.draw(bad_value(container[key]))
    return "".join(dump(r) + "\n" for r in records)


def cut_or_shuffle(data: st.DataObject, lines: list[str]) -> str:
    text = "".join(line + "\n" for line in lines)
    how = data.draw(st.sampled_from(["truncate", "drop", "duplicate", "swap"]))
    if how == "truncate":
        return text[: data.draw(st.integers(0, len(text)))]
    i = data.draw(st.integers(0, len(lines) - 1))
    j = data.draw(st.integers(0, len(lines) - 1))
    if how == "drop":
        del lines[i]
    elif how == "duplicate":
        lines.insert(j, lines[i])
    else:
        lines[i], lines[j] = lines[j], lines[i]
    return "".join(line + "\n" for line in lines)


# ---- what the commands do with a session ----------------------------------------------


def one_line(exc: SessionError) -> None:
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text, text


def reports(session: Session, out: Path) -> None:
    """`loadtui report` with every output."""
    report = report_from_session(session)
    for render in (render_json, render_markdown, render_junit, summary_table):
        assert render(report)
    assert render_svg(session).startswith("<svg")
    assert write_reports(report, Outputs(csv_prefix=out / "c"), session=session) == []


def replays(session: Session) -> None:
    """`loadtui replay`: open at the end, seek, play a while, jump, mark a window."""
    now = [0.0]
    player = ReplayPlayer(session, clock=lambda: now[0])
    player.home()
    player.seek((player.end_t - player.start_t) / 2)
    player.play()
    now[0] += 1.0
    player.update()
    player.next_event()
    player.end()
    player.window_snapshot(0.0, player.end_t)


def each_command(original: Session, path: Path, out: Path) -> None:
    try:
        session = read_session(path)
    except SessionError as exc:
        one_line(exc)
        return
    steps: list[Callable[[], object]] = [
        lambda: reports(session, out),
        lambda: rerun_plan(session),
        lambda: compare(original, session),
    ]
    if session.ticks:
        steps.append(lambda: replays(session))
    for step in steps:
        try:
            step()
        except SessionError as exc:
            one_line(exc)


def test_the_recorded_session_goes_through_every_command(original: Session, tmp_path: Path) -> None:
    each_command(original, original.path, tmp_path)  # the baseline must simply work
    report_from_session(original)
    assert rerun_plan(original).script == ((0.3, "pause", ()),)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_mutated_sessions_give_a_result_or_one_line(
    records: list[dict[str, Any]], original: Session, data: st.DataObject
) -> None:
    text = mutate(data, records)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.json"
        path.write_text(text)
        each_command(original, path, Path(tmp))


SWEEP = {"int": 2**64, "float": 1e308, "str": "HISTFAAAAC", "bool": "yes"}


def test_every_field_of_each_kind_of_record_is_checked(
    records: list[dict[str, Any]], original: Session, tmp_path: Path
) -> None:
    """Deterministically, every number, text and flag of the header, the last tick and an
    event gets the worst value of its kind (random mutations rarely land on the one
    field, `wall` say, where 1e308 breaks a date three calls later)."""
    last = max(i for i, r in enumerate(records) if r["type"] == "tick")
    chosen = [0, last, records.index(next(r for r in records if r["type"] == "event"))]
    path = tmp_path / "m.json"
    tried = 0
    for index in chosen:
        for n in range(len(places(records[index]))):
            damaged = json.loads(json.dumps(records))
            container, key = places(damaged[index])[n]
            kind = type(container[key]).__name__
            if kind in SWEEP:
                container[key] = SWEEP[kind]
                path.write_text("".join(dump(r) + "\n" for r in damaged))
                each_command(original, path, tmp_path)
                tried += 1
    assert tried > 200


# ---- through the command line ----------------------------------------------------------


def rewrite(folder: Path, name: str, change: Callable[[list[dict[str, Any]]], None]) -> str:
    lines = [json.loads(line) for line in (folder / "s.json").read_text().splitlines()]
    change(lines)
    (folder / name).write_text("".join(dump(r) + "\n" for r in lines))
    return name


def last_tick(lines: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for r in reversed(lines) if r["type"] == "tick")


def set_at(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, key = path.split(".")
    for part in parents:
        record = record[part]
    record[key] = value


CRAFTED: dict[str, tuple[Callable[[list[dict[str, Any]]], None], str]] = {
    "nan-latency": (
        lambda ls: set_at(last_tick(ls), "total.latency.p95", raw("nan")),
        "NaN is not a number",
    ),
    "infinite-time": (lambda ls: set_at(last_tick(ls), "t", raw("1e999")), "tick.t"),
    "huge-time": (lambda ls: set_at(last_tick(ls), "t", 1e308), "tick.t"),
    "scenario-string": (lambda ls: set_at(ls[0], "scenario", "evil"), "scenario"),
    "deep-event": (lambda ls: set_at(ls[2], "data", raw("deep-lists")), "nested too deeply"),
    "threshold-text": (
        lambda ls: set_at(ls[0]["scenario"]["thresholds"][0], "value", "fast"),
        "thresholds[0].value",
    ),
    "threshold-metric": (
        lambda ls: set_at(ls[0]["scenario"]["thresholds"][0], "metric", "p42"),
        "thresholds[0].metric",
    ),
    "thresholds-table": (
        lambda ls: set_at(ls[0]["scenario"], "thresholds", {"p95": "< 1s"}),
        "scenario.thresholds",
    ),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_report_of_a_crafted_session_exits_2_with_one_line(recorded: Path, case: str) -> None:
    change, words = CRAFTED[case]
    name = rewrite(recorded, f"{case}.json", change)
    out = loadtui("report", name, "--report-json", f"{case}-r.json", cwd=recorded)
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.startswith(f"loadtui: {name}:") and out.stderr.count("\n") == 1
    assert words in out.stderr and "Traceback" not in out.stderr
    assert not (recorded / f"{case}-r.json").exists()


@pytest.mark.parametrize("command", ["replay", "rerun", "compare"])
def test_other_commands_on_crafted_sessions_exit_2_with_one_line(
    recorded: Path, command: str
) -> None:
    for case in ("nan-latency", "scenario-string", "threshold-text"):
        name = rewrite(recorded, f"{case}.json", CRAFTED[case][0])
        args = ("s.json", name) if command == "compare" else (name,)
        out = loadtui(command, *args, cwd=recorded)
        assert out.returncode == 2, (case, out.stdout + out.stderr)
        assert re.fullmatch(rf"loadtui: {re.escape(name)}:[^\n]+\n", out.stderr), out.stderr


async def test_replay_meeting_a_malformed_tick_exits_2_with_its_line(recorded: Path) -> None:
    """The ticks near the end rebuild (the replay opens there, its charts holding the
    last 5 minutes); the first one, 400 s earlier, does not: seeking to it ends the app
    with the line and exit 2, not a traceback or exit 0."""

    def damage_first_tick(lines: list[dict[str, Any]]) -> None:
        ticks = [r for r in lines if r["type"] == "tick"]
        ticks[0]["total"]["requests"] = "many"
        for tick in ticks[1:]:
            tick["t"] += 400.0

    name = rewrite(recorded, "first-tick.json", damage_first_tick)
    session = read_session(recorded / name)
    app = LoadtuiApp(replay=session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("home")
        await pilot.pause()
    assert app.return_code == 2
    assert app.failure is not None and "\n" not in app.failure
    assert app.failure.startswith(f"{recorded / name}:") and "total.requests" in app.failure
