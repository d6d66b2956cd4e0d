"""SVG snapshots of the dashboard from hand-built snapshots (fixed figures, no clocks).

Regenerate after an intended change with
`pytest tests/tui/test_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from typing import Any

from support.snapshots import MiB, snapshot, stream
from tui.dashboard_host import OPEN, THRESHOLDS, DashboardHost, story

from loadtui.metrics.snapshot import RateLimit, SystemGauges
from loadtui.report.breaches import BreachWatch


def closed_run() -> DashboardHost:
    """A closed-model run with a failing endpoint breaching two thresholds."""
    return DashboardHost(snapshots=[*story(40), snapshot(41)], watch=BreachWatch(THRESHOLDS))


def open_run_saturated() -> DashboardHost:
    """An open-model run, target watched, rate limited, generator saturated."""
    load: dict[str, Any] = {"model": "open", "rate": 600.0, "users": 0, "users_target": 0}
    system = SystemGauges(
        cpu_percent=97.0,
        rss_bytes=180 * MiB,
        loop_lag_ms=14.0,
        fds=230,
        target_cpu_percent=64.0,
        target_rss_bytes=410 * MiB,
    )
    last = snapshot(
        41,
        system=system,
        rate_limit=RateLimit(responses=30, with_retry_after=30, honoured=12, waited_s=4.5),
        warnings=("generator saturated",),
        **load,
    )
    return DashboardHost(profile=OPEN, snapshots=[*story(40, **load), last])


def streaming_run() -> DashboardHost:
    """A closed-model run with an echo stream and a push stream, 40 of 50 stream-only
    sessions open, a few handshakes refused."""
    feed = stream(
        "feed",
        sessions_open=40,
        connecting=0,
        failed=0,
        sent=0,
        sent_per_s=0.0,
        rtt_p50=0.0,
        interval_rtt_p50=0.0,
        gap_p50=100.0,
        close_codes={4001: 3},
        handshake_failures={},
    )
    last = snapshot(41, streams=(stream("chat"), feed), streams_now=40, streams_target=50)
    return DashboardHost(snapshots=[*story(40), last])


def test_overview_80x24(snap_compare: Any) -> None:
    assert snap_compare(closed_run(), terminal_size=(80, 24))


def test_charts_tab_80x24(snap_compare: Any) -> None:
    assert snap_compare(closed_run(), terminal_size=(80, 24), press=["2"])


def test_wide_120x40(snap_compare: Any) -> None:
    assert snap_compare(closed_run(), terminal_size=(120, 40))


def test_open_model_saturated_120x40(snap_compare: Any) -> None:
    assert snap_compare(open_run_saturated(), terminal_size=(120, 40))


def test_streams_wide_120x40(snap_compare: Any) -> None:
    assert snap_compare(streaming_run(), terminal_size=(120, 40))


def test_streams_system_tab_80x24(snap_compare: Any) -> None:
    assert snap_compare(streaming_run(), terminal_size=(80, 24), press=["4"])
