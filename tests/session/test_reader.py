"""Reading sessions back: error paths, cut tails, a SIGKILLed run, and property tests."""

from __future__ import annotations

import contextlib
import gzip
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.scenarios import api_fast, scenario, user, write
from support.sessions import HEADER, TICK, lines, pause
from support.waits import wait_until

from loadtui.metrics.histogram import decode, encode, latency_of, merge, new_histogram, record
from loadtui.session.reader import SessionError, read_session, window_latency


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty file, not a session"),
        ("hello world\n", "not a loadtui session"),
        (lines({"type": "header", "format": "other"}), "not a loadtui session"),
        (lines({**HEADER, "version": 99}), "format version 99 is newer"),
        (lines({**HEADER, "version": "1"}), "without a format version"),
        (lines(HEADER, TICK)[:-1] + "\n{broken\n" + lines(TICK), "damaged line inside"),
    ],
)
def test_clear_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(content)
    with pytest.raises(SessionError) as err:
        read_session(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="no such file"):
        read_session(tmp_path / "nope.json")
    with pytest.raises(SessionError, match="is a folder"):
        read_session(tmp_path)


def test_cut_last_line_is_a_truncated_session(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    full = lines(HEADER, TICK, {**TICK, "seq": 1, "t": 1.0})
    path.write_text(full[: len(full) - 20])  # a kill in the middle of the last write
    s = read_session(path)
    assert s.truncated and len(s.ticks) == 1 and s.summary is None
    assert s.final is not None and s.final.total.status_codes == {200: 3}
    assert s.profile().stages[0].users == 2


def test_gzip_sessions_read_transparently_even_when_cut(tmp_path: Path) -> None:
    path = tmp_path / "s.json.gz"
    data = gzip.compress(lines(HEADER, TICK, {**TICK, "seq": 1, "t": 1.0}).encode())
    path.write_bytes(data[:-12])  # no gzip trailer: the writer was killed
    s = read_session(path)
    assert len(s.ticks) >= 1


def test_events_attach_to_the_following_tick(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    summary = {"type": "summary", "report": {}}
    path.write_text(lines(HEADER, pause(0.4), TICK, {**TICK, "seq": 1}, summary))
    s = read_session(path)
    assert [e.message for e in s.ticks[0].events] == ["paused"] and s.ticks[1].events == ()
    assert s.events[0].data["action"] == "pause" and s.summary == {"type": "summary", "report": {}}
    assert not s.truncated


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_bytes_give_a_session_or_a_session_error(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.json"
        path.write_bytes(lines(HEADER).encode() + data if data[:1] == b"{" else data)
        with contextlib.suppress(SessionError):
            read_session(path)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(1, 60_000_000), min_size=0, max_size=30), max_size=8))
def test_window_percentiles_equal_one_histogram_of_all_values(ticks: list[list[int]]) -> None:
    import tempfile

    everything = new_histogram()
    records = [HEADER]
    for i, values in enumerate(ticks):
        h = new_histogram()
        for v in values:
            record(h, v)
            record(everything, v)
        total = {"name": "Aggregated", "histogram": encode(h).decode("ascii")}
        records.append({**TICK, "seq": i, "t": float(i + 1), "total": total})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.json"
        path.write_text(lines(*records))
        s = read_session(path)
    assert window_latency(s, 0, len(ticks) + 1) == latency_of(everything)
    if ticks:  # the codec itself round-trips exactly
        assert latency_of(merge([decode(encode(everything))])) == latency_of(everything)


def test_sigkilled_run_replays_up_to_its_last_tick(demo_url: str, tmp_path: Path) -> None:
    scen = write(tmp_path, scenario(user(api_fast(), wait="constant(0.01s)"), target=demo_url))
    session = tmp_path / "killed.json"
    args = ["run", str(scen), "-u", "3", "-t", "60s", "-q", "--tick", "0.2", "--session"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadtui", *args, str(session)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(
            lambda: session.exists() and session.read_text().count('"type":"tick"') >= 5,
            timeout=20,
            what="five ticks in the session",
        )
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    s = read_session(session)
    assert s.summary is None and len(s.ticks) >= 5
    assert s.final is not None and s.final.total.requests > 0
    assert [t.seq for t in s.ticks] == list(range(len(s.ticks)))
