"""Sessions written before issue 9 still read: ticks without the new per-endpoint figures
read them as 0, and interval histograms encoded with the old 60 s range decode and merge
exactly with today's 1 h ones (windows, replay, reports)."""

from __future__ import annotations

from pathlib import Path

from hdrh.histogram import HdrHistogram
from support.sessions import HEADER, write

from loadtui.metrics.histogram import latency_of, new_histogram, record
from loadtui.report.from_session import report_from_session
from loadtui.session.reader import read_session, window_latency


def old_histogram(values: list[int]) -> str:
    """An interval histogram encoded as loadtui wrote them before: 1 µs .. 60 s."""
    h = HdrHistogram(1, 60_000_000, 3)
    for v in values:
        h.record_value(v)
    return bytes(h.encode()).decode("ascii")


def tick(seq: int, values: list[int]) -> dict[str, object]:
    stats = {
        "name": "a",
        "method": "GET",
        "requests": 10 * (seq + 1),
        "failures": seq,
        "status_codes": {"200": 10 * (seq + 1) - seq, "500": seq},
        "errors": {"HTTP 500": seq},
        "histogram": old_histogram(values),
    }
    return {
        "type": "tick",
        "seq": seq,
        "t": float(seq + 1),
        "wall": 0.0,
        "interval_s": 1.0,
        "load": {},
        "total": {**stats, "name": "Aggregated", "method": ""},
        "endpoints": [stats],
        "streams": [{"name": "s", "opened": 2, "rtt": {"count": 1, "max": 3.0}}],
    }


def test_an_old_session_reads_with_zero_new_figures_and_exact_windows(tmp_path: Path) -> None:
    per_tick = [[1_000, 2_500, 59_000_000], [40_000, 40_000, 7], [60_000_000, 123_456]]
    ticks = (tick(i, v) for i, v in enumerate(per_tick))
    s = read_session(write(tmp_path / "old.json", HEADER, *ticks))
    assert len(s.ticks) == 3 and not s.truncated
    final = s.ticks[-1]
    for stats in (final.total, final.endpoint("a")):
        assert stats is not None
        assert (stats.clamped, stats.checks, stats.checks_failed, stats.rate_limited) == (0,) * 4
    assert final.stream("s") is not None and final.stream("s").clamped == 0  # type: ignore[union-attr]

    everything = new_histogram()  # today's layout, holding every value once
    for values in per_tick:
        for v in values:
            record(everything, v)
    assert window_latency(s, 0, 3) == latency_of(everything)
    assert window_latency(s, 0, 3, endpoint="a") == latency_of(everything)
    second = new_histogram()
    for v in per_tick[1]:
        record(second, v)
    assert window_latency(s, 1, 2) == latency_of(second)
    report = report_from_session(s)
    assert report["clamped"] == 0 and report["endpoints"][0]["checks"] == 0
