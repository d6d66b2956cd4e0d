"""SVG snapshots of the dashboard from hand-built snapshots (fixed figures, no clocks).

Regenerate after an intended change with
`pytest tests/tui/test_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from typing import Any

from support.snapshots import MiB, snapshot
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


def test_overview_80x24(snap_compare: Any) -> None:
    assert snap_compare(closed_run(), terminal_size=(80, 24))


def test_charts_tab_80x24(snap_compare: Any) -> None:
    assert snap_compare(closed_run(), terminal_size=(80, 24), press=["2"])


def test_wide_120x40(snap_compare: Any) -> None:
    assert snap_compare(closed_run(), terminal_size=(120, 40))


def test_open_model_saturated_120x40(snap_compare: Any) -> None:
    assert snap_compare(open_run_saturated(), terminal_size=(120, 40))
