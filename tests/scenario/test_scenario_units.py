"""Durations, waits and threshold expressions: the value languages of scenario files."""

from __future__ import annotations

import pytest

from loadtui.scenario.model import Wait
from loadtui.scenario.units import (
    format_duration,
    parse_duration,
    parse_threshold,
    parse_wait,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("1s", 1.0),
        ("1.5s", 1.5),
        ("2m", 120.0),
        ("12h", 43200.0),
        ("1h30m", 5400.0),
        ("1h 30m", 5400.0),
        ("1m30s", 90.0),
        ("500us", 0.0005),
        ("1d", 86400.0),
        ("0s", 0.0),
        (".5s", 0.5),
        ("5", 5.0),
        ("2.5", 2.5),
        (7, 7.0),
        (0.125, 0.125),
        ("  3S ", 3.0),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("-1s", "negative"),
        (-3, "negative"),
        ("1x", "expected a duration like"),
        ("", "empty duration"),
        ("s", "expected a duration like"),
        ("1h30", "expected a duration like"),
        ("1e400s", "finite"),
        (float("inf"), "finite"),
        (float("nan"), "finite"),
        (True, "expected a duration"),
        (None, "expected a duration"),
        ([1], "expected a duration"),
    ],
)
def test_duration_errors(value: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_duration(value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (0.25, "250ms"), (90, "1m30s"), (5400, "1h30m"), (43200, "12h"), (1.5, "1.5s")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "wait"),
    [
        ("none", Wait("none")),
        ("none()", Wait("none")),
        ("constant(1s)", Wait("constant", 1.0)),
        ("constant(0s)", Wait("constant", 0.0)),
        ("uniform(0.5s, 2s)", Wait("uniform", 0.5, 2.0)),
        ("uniform(1s,1s)", Wait("uniform", 1.0, 1.0)),
        ("exponential(1s)", Wait("exponential", 1.0)),
        ("pacing(250ms)", Wait("pacing", 0.25)),
        ("Pacing( 2m )", Wait("pacing", 120.0)),
        ("1.5s", Wait("constant", 1.5)),
        (2, Wait("constant", 2.0)),
    ],
)
def test_waits(text: object, wait: Wait) -> None:
    assert parse_wait(text) == wait


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("sometimes(1s)", "unknown wait kind 'sometimes'"),
        ("uniform(2s, 1s)", "low bound is above the high"),
        ("uniform(1s)", r"uniform takes 2 argument\(s\), like uniform\(0.5s, 2s\)"),
        ("constant", r"constant takes 1 argument"),
        ("constant(1s, 2s)", r"constant takes 1 argument"),
        ("none(1s)", r"none takes 0 argument"),
        ("exponential(0s)", "positive duration"),
        ("pacing(0)", "positive duration"),
        ("pacing(soon)", "cannot read 'soon' as a duration"),
        ("constant(-1s)", "negative"),
        ("(1s)", "expected none, constant"),
        (True, "expected a wait"),
        ({"kind": "none"}, "expected a wait"),
    ],
)
def test_wait_errors(text: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_wait(text)


def test_wait_text_round_trips() -> None:
    for text in ("none", "constant(1s)", "uniform(0.5s, 2s)", "exponential(3s)", "pacing(1s)"):
        assert parse_wait(parse_wait(text).text()) == parse_wait(text)


@pytest.mark.parametrize(
    ("metric", "text", "expected"),
    [
        ("p99", "< 2000ms", ("<", 2000.0)),
        ("p95", "<= 2s", ("<=", 2000.0)),
        ("p50", "<250", ("<", 250.0)),
        ("p99.9", "< 1.5s", ("<", 1500.0)),
        ("max", "< 1m", ("<", 60000.0)),
        ("mean", "< 500us", ("<", 0.5)),
        ("error_rate", "< 1%", ("<", 0.01)),
        ("error_rate", "<= 0.05", ("<=", 0.05)),
        ("error_rate", "== 0%", ("==", 0.0)),
        ("status_5xx", "== 0", ("==", 0.0)),
        ("status_5xx", "< 10", ("<", 10.0)),
        ("rps", "> 100", (">", 100.0)),
        ("rps", ">= 50/s", (">=", 50.0)),
    ],
)
def test_thresholds(metric: str, text: str, expected: tuple[str, float]) -> None:
    assert parse_threshold(metric, text) == expected


@pytest.mark.parametrize(
    ("metric", "value", "fragment"),
    [
        ("p100", "< 1s", "unknown metric 'p100'"),
        ("p99", "2000ms", "expected a comparison"),
        ("p99", "= 2s", 'use "==" to compare'),
        ("p99", "< fast", "cannot read 'fast'"),
        ("p99", "< 2 seconds", "cannot read"),
        ("p99", 2000, "expected a string like"),
        ("error_rate", "< 150%", "above 100 %"),
        ("error_rate", "< 2", "above 100 %"),
        ("error_rate", "< 1ms", "cannot read"),
        ("status_5xx", "== 0.5", "a count"),
        ("status_5xx", "< 1%", "a count"),
        ("rps", "> 10ms", "requests per second"),
    ],
)
def test_threshold_errors(metric: str, value: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_threshold(metric, value)
