"""TargetWatch folds the target's gauges of hand-built snapshots into a run's summary."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from loadtui.metrics.snapshot import EndpointStats, LoadState, Snapshot, SystemGauges
from loadtui.metrics.target_process import TargetProcessSummary, TargetWatch

MiB = 1024 * 1024


def tick(t: float, rss: int | None, cpu: float | None = 0.0) -> Snapshot:
    gauges = SystemGauges(target_rss_bytes=rss, target_cpu_percent=None if rss is None else cpu)
    return Snapshot(
        seq=round(t * 4),
        t=t,
        wall=1_700_000_000 + t,
        interval_s=0.25,
        load=LoadState(),
        total=EndpointStats("Aggregated"),
        system=gauges,
    )


def fold(snaps: Iterable[Snapshot], pids: tuple[int, ...] = (7,)) -> TargetWatch:
    watch = TargetWatch(pids)
    for snap in snaps:
        watch.add(snap)
    return watch


def test_nothing_sampled_is_no_summary() -> None:
    assert TargetWatch().summary() is None
    assert fold(tick(t, None) for t in (0.25, 0.5, 0.75)).summary() is None


def test_a_short_run_grows_by_its_last_sample_minus_its_first() -> None:
    rss = [100, 130, 160, 150, 155]
    cpu = [10.0, 50.0, 30.0, 20.0, 40.0]
    snaps = [tick(0.5 * (i + 1), r * MiB, c) for i, (r, c) in enumerate(zip(rss, cpu, strict=True))]
    snaps.insert(2, tick(1.2, None))  # a tick where no target process could be read
    assert fold(snaps, pids=(7, 8, 9)).summary() == TargetProcessSummary(
        pids=(7, 8, 9),
        rss_start_bytes=100 * MiB,
        rss_end_bytes=155 * MiB,
        rss_max_bytes=160 * MiB,
        rss_growth_bytes=55 * MiB,
        cpu_mean_percent=pytest.approx(30.0),
        cpu_max_percent=50.0,
    )


def test_a_long_run_grows_by_the_last_minutes_mean_minus_the_firsts() -> None:
    """Three minutes at 0.5 s: the first minute averages 100 MiB despite a spike and a
    dip, the last 150 MiB despite a collection dip in its final sample."""

    def rss(t: float) -> int:
        if t <= 60.5:  # the first minute from the first sample, at 0.5 s
            return (100 + {30.0: 30, 30.5: -30}.get(t, 0)) * MiB
        if t < 120:
            return 125 * MiB
        return (150 + {179.5: 30, 180.0: -30}.get(t, 0)) * MiB

    summary = fold(tick(0.5 * i, rss(0.5 * i)) for i in range(1, 361)).summary()
    assert summary is not None
    assert (summary.rss_start_bytes, summary.rss_end_bytes) == (100 * MiB, 120 * MiB)
    assert summary.rss_max_bytes == 180 * MiB
    assert summary.rss_growth_bytes == 50 * MiB


def test_two_minutes_is_where_the_windows_take_over() -> None:
    late = [tick(1.0, 100 * MiB), tick(30.0, 100 * MiB), tick(60.0, 200 * MiB)]
    end = tick(120.5, 300 * MiB)
    # 119.5 s between the first and last samples: last minus first.
    assert fold([*late, end]).rss_growth() == 200 * MiB
    # 120.5 s: the last minute's mean (300) minus the first minute's (100, 100, 100, 200).
    assert fold([tick(0.0, 100 * MiB), *late, end]).rss_growth() == 175 * MiB


def test_memory_stays_bounded_over_a_long_soak() -> None:
    watch = TargetWatch((7,))
    for i in range(1, 4 * 3600):  # an hour at 0.25 s ticks
        watch.add(tick(i / 4, (100 + i % 7) * MiB, 5.0))
    assert len(watch._tail) <= 4 * 60 + 1  # only the last minute is kept
    summary = watch.summary()
    assert summary is not None and summary.cpu_mean_percent == pytest.approx(5.0)
    assert abs(summary.rss_growth_bytes) < 1 * MiB
