"""Per-tick cost of the console's 10 s window (metrics/window.py) against merging the
window's histograms afresh on every tick.

    python bench/window_bench.py [--endpoints 10] [--per-tick 5000] [--ticks 120]

Ticks of 0.25 s carry, per endpoint, an encoded interval histogram of `--per-tick`
lognormal latencies (1-200 ms, a wide spread: the costly case) plus their merged
total. Printed: the sliding window's cost per tick (fold the tick in, read every row's
percentiles), and the naive merge of the last 40 ticks per row. A few seconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtui.metrics.histogram import decode, encode, latency_of, merge, new_histogram, record
from loadtui.metrics.snapshot import EndpointStats, LoadState, Snapshot
from loadtui.metrics.window import SlidingWindow

TICK_S = 0.25
POOL = 8  # distinct ticks, reused in turn


def ticks(endpoints: int, per_tick: int, count: int) -> list[Snapshot]:
    rng = random.Random(7)
    pool = []
    for _ in range(POOL):
        rows = []
        for e in range(endpoints):
            h = new_histogram()
            for _ in range(per_tick):
                record(h, int(rng.lognormvariate(9.0, 0.9)))
            rows.append(EndpointStats(f"/e{e}", interval_requests=per_tick, histogram=encode(h)))
        total = merge(decode(r.histogram) for r in rows)
        pool.append((tuple(rows), EndpointStats("Total", histogram=encode(total))))
    return [
        Snapshot(i, i * TICK_S, 0.0, TICK_S, LoadState(), pool[i % POOL][1], pool[i % POOL][0])
        for i in range(1, count + 1)
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoints", type=int, default=10)
    ap.add_argument("--per-tick", type=int, default=5000)
    ap.add_argument("--ticks", type=int, default=120)
    args = ap.parse_args()
    snaps = ticks(args.endpoints, args.per_tick, args.ticks)
    window = SlidingWindow(10.0)
    sliding = []
    for snap in snaps:
        t0 = time.perf_counter()
        window.add(snap)
        window.view()
        sliding.append(time.perf_counter() - t0)
    held = int(10.0 / TICK_S)
    naive = []
    for k in range(held, min(len(snaps), held + 20)):
        t0 = time.perf_counter()
        last = snaps[k - held + 1 : k + 1]
        for r in range(args.endpoints + 1):
            rows = [s.total if r == args.endpoints else s.endpoints[r] for s in last]
            latency_of(merge(decode(row.histogram) for row in rows))
        naive.append(time.perf_counter() - t0)
    rows = f"{args.endpoints} endpoints + total, {args.per_tick} requests each per tick"
    print(f"{rows}, {held} ticks in the window")
    print(f"sliding window: median {statistics.median(sliding) * 1e3:.2f} ms per tick")
    print(f"merge afresh:   median {statistics.median(naive) * 1e3:.2f} ms per tick")


if __name__ == "__main__":
    main()
