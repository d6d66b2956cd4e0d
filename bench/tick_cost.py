"""Per-tick cost of the latency histograms: what a wider range (60 s → 1 h) costs.

    python bench/tick_cost.py [--endpoints 10] [--per-tick 250] [--ticks 400] [--range-s 60]
                              [--sigma 0.8]

A real `Recorder` with `--endpoints` endpoints gets `--per-tick` requests per endpoint
(lognormal latencies around 20 ms, spread `--sigma`) between ticks; only `Recorder.tick`
is timed: it folds each interval histogram into the cumulative one, reads the
percentiles of both, encodes the interval histogram, and resets it. Printed: the median
and p90 of the tick time, and the cost of `record` per request. A few seconds at the
defaults. A wide spread makes reading percentiles the main cost; a narrow one
(`--sigma 0.001`) leaves the fixed per-histogram costs (fold, encode, reset), which grow
with the range.

`--range-s 60` builds the histograms with the old 60 s range instead (the module's
range is swapped before anything is built), for a before/after in one process.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtui.metrics import histogram
from loadtui.metrics.recorder import Recorder
from loadtui.metrics.snapshot import LoadState


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoints", type=int, default=10)
    ap.add_argument("--per-tick", type=int, default=250)
    ap.add_argument("--ticks", type=int, default=400)
    ap.add_argument("--range-s", type=int, default=0, help="histogram range (default: 1 h)")
    ap.add_argument("--sigma", type=float, default=0.8, help="spread of the latencies")
    args = ap.parse_args()
    if args.range_s:
        histogram.HIGHEST_US = args.range_s * 1_000_000
    rng = random.Random(7)
    rec = Recorder()
    eps = [rec.endpoint(f"/e{i}", "GET") for i in range(args.endpoints)]
    latencies = [int(rng.lognormvariate(9.9, args.sigma)) for _ in range(4096)]
    load = LoadState()
    tick_us: list[float] = []
    for n in range(args.ticks):
        for ep in eps:
            for k in range(args.per_tick):
                ep.success(latencies[(n * 31 + k) & 4095], 200)
        t0 = time.perf_counter()
        rec.tick(load=load)
        tick_us.append((time.perf_counter() - t0) * 1e6)
    h = histogram.new_histogram()
    record = histogram.record
    t0 = time.perf_counter()
    for v in latencies * 50:
        record(h, v)
    per_record_ns = (time.perf_counter() - t0) / (len(latencies) * 50) * 1e9
    deciles = statistics.quantiles(tick_us, n=10)
    print(
        f"range {histogram.HIGHEST_US / 1e6:g} s, counts {h.counts_len}: "
        f"{args.endpoints} endpoints, "
        f"tick median {statistics.median(tick_us):.0f} µs, p90 {deciles[-1]:.0f} µs; "
        f"record {per_record_ns:.0f} ns"
    )


if __name__ == "__main__":
    main()
