"""The reader's own guards: strict JSON, histograms checked before decoding, tick times
in order, no waiting on a pipe, bounded lines. Each refusal is one line."""

from __future__ import annotations

import base64
import json
import os
import struct
import threading
import zlib
from pathlib import Path

import pytest
from hdrh.histogram import HdrHistogram
from support.sessions import write

from loadtui.metrics.histogram import decode, encode, new_histogram, record
from loadtui.session import reader
from loadtui.session.histcheck import MAX_PAYLOAD, check_histogram
from loadtui.session.reader import SessionError, read_session
from loadtui.session.strict_json import depth, loads

HEADER = {"type": "header", "format": "loadtui-session", "version": 1, "scenario": {}}
TICK = {"type": "tick", "seq": 0, "t": 0.5, "wall": 0.0, "interval_s": 0.5, "load": {}}


def tick(t: float, **fields: object) -> dict[str, object]:
    return {**TICK, "t": t, "total": {"name": "Aggregated", **fields}}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"a": NaN}', "NaN is not a number"),
        ('{"a": -Infinity}', "-Infinity is not a number"),
        ('{"a": 1e999}', "1e999 is beyond the range"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a": 1', "Expecting"),
    ],
)
def test_strict_json_refuses_in_one_line(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words) as err:
        loads(text)
    assert "\n" not in str(err.value)


def test_strict_json_reads_what_the_writer_writes() -> None:
    assert loads('{"t": 0.5, "n": 3, "s": "x", "l": [true, null]}') == {
        "t": 0.5,
        "n": 3,
        "s": "x",
        "l": [True, None],
    }
    assert depth({"a": [{"b": 1}]}) == 3 and depth(5) == 0
    assert depth([[[[]]]], limit=2) == 3  # given up past the limit


def histogram_text(low: int, high: int, figures: int) -> str:
    h = HdrHistogram(low, high, figures)
    h.record_value(1500)
    return bytes(h.encode()).decode("ascii")


def test_histograms_of_both_loadtui_layouts_pass_and_decode() -> None:
    ours = new_histogram()
    record(ours, 1234)
    text = encode(ours).decode("ascii")
    assert check_histogram(text) == text.encode() and decode(check_histogram(text)).total_count == 1
    old = histogram_text(1, 60_000_000, 3)  # sessions from before the range grew
    assert check_histogram(old) == old.encode()
    assert check_histogram("") == b""


def bomb() -> str:
    """A histogram whose header is loadtui's but whose payload inflates to 50 MB."""
    head = struct.pack(">IIIIQQd", 0x1C849313, 50 << 20, 0, 3, 1, 3_600_000_000, 1.0)
    packed = zlib.compress(head + bytes(50 << 20), 9)
    return base64.b64encode(struct.pack(">II", 0x1C849314, len(packed)) + packed).decode()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (histogram_text(1, 2**62, 5), "a layout loadtui does not write"),
        (histogram_text(1, 3_600_000_000, 2), "a layout loadtui does not write"),
        (bomb(), "inflates beyond any loadtui layout"),
        ("not base64!", "not base64"),
        ("AAAA", "too short"),
        (base64.b64encode(b"\x00" * 40).decode(), "not an encoded HdrHistogram"),
        ("A" * (4 * MAX_PAYLOAD), "too large"),
        (12, "expected an encoded histogram"),
    ],
)
def test_other_histograms_are_refused_before_decoding(text: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        check_histogram(text)


def test_a_session_with_a_foreign_histogram_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / "s.json", HEADER, tick(0.5, histogram=bomb()))
    with pytest.raises(SessionError) as err:
        read_session(path)
    assert str(err.value) == (
        f"{path}:2: malformed tick: tick.total.histogram: encoded histogram inflates beyond"
        " any loadtui layout"
    )


def test_tick_times_must_not_go_back(tmp_path: Path) -> None:
    path = write(tmp_path / "s.json", HEADER, tick(2.0), tick(1.0))
    with pytest.raises(SessionError, match=r"s.json:3: tick.t: 1 is before the previous"):
        read_session(path)


def test_a_record_whose_two_times_disagree_is_malformed(tmp_path: Path) -> None:
    line = json.dumps(tick(1.0)).replace('"load"', '"t": 7.0, "load"')  # the last one wins
    (tmp_path / "s.json").write_text(json.dumps(HEADER) + "\n" + line + "\n")
    with pytest.raises(SessionError, match="two different times"):
        read_session(tmp_path / "s.json")


def test_a_pipe_is_not_read(tmp_path: Path) -> None:
    """A FIFO would block the reader until someone writes to it."""
    fifo = tmp_path / "s.json"
    os.mkfifo(fifo)
    done: list[str] = []
    worker = threading.Thread(target=lambda: done.append(_error_of(fifo)), daemon=True)
    worker.start()
    worker.join(10)
    assert done == [f"{fifo}: not a regular file"]


def _error_of(path: Path) -> str:
    try:
        read_session(path)
    except SessionError as exc:
        return str(exc)
    return "read"


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_lines_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    import gzip

    monkeypatch.setattr(reader, "MAX_LINE", 4096)
    text = json.dumps(HEADER) + "\n" + json.dumps({"type": "event", "x": "y" * 10_000}) + "\n"
    path = tmp_path / f"s{suffix}"
    path.write_bytes(gzip.compress(text.encode()) if suffix.endswith(".gz") else text.encode())
    with pytest.raises(SessionError, match="a line longer than"):
        read_session(path)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"profile": {"name": "p", "stages": [{"duration": -1}]}}, "profile.stages[0].duration"),
        ({"profile": {"name": "p", "model": "sideways"}}, "profile.model: expected one of"),
        ({"profile": {"name": "p", "repeat": 0}}, "profile.repeat: 0 is out of range"),
        (
            {"profile": {"name": "p", "stages": [{"duration": 1, "users": 10**9}]}},
            "profile.stages[0].users: 1000000000 is out of range (0 to 1e+07)",
        ),
        ({"target_pids": [1, "2"]}, "target_pids[1]: expected a whole number"),
        ({"workers": True}, "workers: expected a whole number, got a boolean"),
        ({"target": ["http://x"]}, "target: expected a table, got a list"),
        ({"scenario": {"users": [{"tasks": "call"}]}}, "scenario.users[0].tasks"),
        (
            {"scenario": {"thresholds": [{"metric": "p95", "op": "~", "value": 1}]}},
            "scenario.thresholds[0].op: expected one of",
        ),
        (
            {"scenario": {"thresholds": [{"metric": "rss_max", "op": "<", "value": 1}]}},
            "'rss_max' is not a run metric",
        ),
    ],
)
def test_header_fields_are_checked(tmp_path: Path, change: dict[str, object], words: str) -> None:
    path = write(tmp_path / "s.json", {**HEADER, **change}, tick(0.5))
    with pytest.raises(SessionError) as err:
        read_session(path)
    assert str(err.value).startswith(f"{path}:1: session header: ") and words in str(err.value)


@pytest.mark.parametrize(
    ("action", "args", "words"),
    [
        ("set_users", [10**9, 5], "asks for [1000000000, 5]; at most 10,000,000"),
        ("set_rate", [1e12], "at most 1,000,000,000"),
        ("set_users", ["x" * 500], "has arguments ['xxxxxxxx"),
    ],
)
def test_rerun_asks_no_more_than_a_scenario_could(
    tmp_path: Path, action: str, args: list[object], words: str
) -> None:
    from loadtui.session.rerun import rerun_plan

    header = {**HEADER, "profile": {"name": "p", "stages": [{"duration": 5.0, "users": 2}]}}
    event = {"type": "event", "t": 1.0, "kind": "operator", "message": action}
    event["data"] = {"action": action, "args": args}
    session = read_session(write(tmp_path / "s.json", header, event, tick(1.5)))
    with pytest.raises(SessionError) as err:
        rerun_plan(session)
    assert words in str(err.value) and len(str(err.value)) < 300
