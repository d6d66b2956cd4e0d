"""Scaling over workers: what `--workers N` buys on this machine, beside Locust's own
distributed mode, and how large a fleet one controller can merge.

    python bench/scale.py [--duration 10] [--connections 64] [--rounds 3] [--workers 1,2]
    python bench/scale.py --fold-only

1. Throughput against nginx (worker_processes auto) on loopback: loadtui with
   --workers 1, 2, ... and Locust FastHttpUser with --processes 1, 2, ..., the same
   connection count, each generator alone, in alternating rounds; medians of the
   rounds. CPU is user + system of the generator's whole process tree. On a 2-core
   machine the target shares the cores, so this shows the gain there is, not linear
   scaling.
2. The controller alone: synthetic deltas of 50 endpoints (each a realistic interval
   histogram) folded into one Snapshot per tick, for fleets of 1 to 256 workers. The
   cost per worker-delta and the largest fleet one controller folds at 4 ticks/s within
   20 % of a core.

Results are saved as JSON under bench/results/. Loopback only; every run is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import NATIVE, run_measured
from suite import LOCUST, ensure_tools
from targets import nginx

from loadtui.metrics.fold import Fold
from loadtui.metrics.histogram import new_histogram, record
from loadtui.metrics.recorder import Recorder
from loadtui.metrics.snapshot import LoadState

HERE = Path(__file__).resolve().parent
ENDPOINTS = 50
TICKS_PER_S = 4
CORE_SHARE = 0.20


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_loadtui(url: str, workers: int, connections: int, duration: int, tmp: Path) -> dict:
    scen = tmp / "scale.toml"
    scen.write_text(NATIVE.format(url=url, path="/"))
    report = tmp / f"loadtui-{workers}.json"
    cmd = [sys.executable, "-m", "loadtui", "run", str(scen), "-u", str(connections)]
    cmd += ["-r", "100000", "-t", f"{duration}s", "-q", "--workers", str(workers)]
    cmd += ["--report-json", str(report)]
    code, cpu, _ = run_measured(cmd)
    if code not in (0, 1):
        raise RuntimeError(f"loadtui --workers {workers} exited {code}")
    data = json.loads(report.read_text())
    return {"rps": data["rps"], "cpu_s": cpu, "requests": data["requests"],
            "p99_ms": data["latency_ms"]["p99"]}  # fmt: skip


def run_locust(url: str, processes: int, connections: int, duration: int, tmp: Path) -> dict:
    prefix = tmp / f"locust-{processes}"
    cmd = [str(LOCUST), "-f", str(HERE / "locust_users.py"), "--headless"]
    cmd += ["-u", str(connections), "-r", str(connections), "-t", f"{duration}s"]
    cmd += ["--host", url, "--csv", str(prefix), "--only-summary", "--loglevel", "ERROR"]
    if processes > 1:
        cmd += ["--processes", str(processes)]
    cmd += ["FastUser"]
    _, cpu, _ = run_measured(cmd, stderr=subprocess.DEVNULL)
    import csv

    with open(f"{prefix}_stats.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    return {"rps": float(row["Requests/s"]), "cpu_s": cpu,
            "requests": float(row["Request Count"]), "p99_ms": float(row["99%"])}  # fmt: skip


def throughput(args: argparse.Namespace) -> dict:
    counts = [int(x) for x in args.workers.split(",")]
    runs: dict[str, list[dict]] = {}
    with nginx("auto") as url, tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for r in range(args.rounds):
            order = counts if r % 2 == 0 else counts[::-1]
            for n in order:
                for name, fn in ((f"loadtui --workers {n}", run_loadtui),
                                 (f"locust --processes {n}", run_locust)):  # fmt: skip
                    row = fn(url, n, args.connections, args.duration, tmp)
                    row["load"] = loadavg()
                    runs.setdefault(name, []).append(row)
                    print(f"  round {r + 1}: {name:<22} {row['rps']:>9,.0f} req/s "
                          f"(load {row['load']})", flush=True)  # fmt: skip
    table = {}
    for name, rows in runs.items():
        rps = median(x["rps"] for x in rows)
        per_cpu = median(x["requests"] / x["cpu_s"] for x in rows if x["cpu_s"])
        table[name] = {
            "rps": rps,
            "req_per_cpu_s": per_cpu,
            "p99_ms": median(x["p99_ms"] for x in rows),
            "rounds": [x["rps"] for x in rows],
            "load": [x["load"] for x in rows],
        }
    return table


def synthetic_delta(worker: int, rng: random.Random, per_endpoint: int, timeouts: bool):
    """One worker's tick: 50 endpoints, each with `per_endpoint` latencies around a few
    ms (a tick of a worker doing 50 x per_endpoint x 4 req/s); with `timeouts`, one
    endpoint in ten also has a 5 s timeout, which widens its histograms' span."""
    rec = Recorder()
    for e in range(ENDPOINTS):
        ep = rec.endpoint(f"endpoint-{e:02d}", "GET")
        for _ in range(per_endpoint):
            ep.success(int(rng.lognormvariate(7.5, 0.6)), 200, bytes_in=120)
        if timeouts and rng.random() < 0.1:
            ep.failure("timeout", 5_000_000)
    return rec.take_delta(worker)


def fold_cost(per_endpoint: int, timeouts: bool) -> dict:
    rng = random.Random(7)
    pool = [synthetic_delta(i, rng, per_endpoint, timeouts) for i in range(16)]
    h = new_histogram()
    record(h, 1)  # warm the tables
    out = {}
    for fleet in (1, 4, 16, 64, 128, 256):
        deltas = [pool[i % len(pool)] for i in range(fleet)]
        fold = Fold()
        fold.start()
        for d in deltas:  # a first tick: every endpoint known
            fold.add(d)
        fold.snapshot(load=LoadState())
        reps = max(3, 200 // fleet)
        t0 = time.perf_counter()
        for _ in range(reps):
            for d in deltas:
                fold.add(d)
            fold.snapshot(load=LoadState())
        out[fleet] = (time.perf_counter() - t0) / reps
    # cost(tick) = fixed + per_delta * fleet, from the two largest fleets
    per_delta = (out[256] - out[64]) / (256 - 64)
    fixed = max(0.0, out[64] - per_delta * 64)
    def ceiling(ticks_per_s: int) -> int:
        budget = CORE_SHARE / ticks_per_s
        return int((budget - fixed) / per_delta) if per_delta > 0 else 0

    return {"tick_s": out, "per_delta_us": per_delta * 1e6, "fixed_ms": fixed * 1e3,
            "ceiling_workers": ceiling(TICKS_PER_S), "ceiling_at_2_ticks": ceiling(2),
            "per_endpoint_values": per_endpoint,
            "timeouts": timeouts}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--fold-only", action="store_true")
    args = ap.parse_args()
    result: dict = {"machine": {"cpus": os.cpu_count(), "load_start": loadavg()}}
    if not args.fold_only:
        ensure_tools()
        print(f"throughput: nginx (auto), {args.connections} connections, "
              f"{args.duration} s, {args.rounds} alternating rounds", flush=True)  # fmt: skip
        table = throughput(args)
        result["throughput"] = table
        print("\n| generator | req/s (median) | req per CPU-s | p99 ms | rounds |")
        print("|---|---:|---:|---:|---|")
        for name, row in table.items():
            rounds = ", ".join(f"{x:,.0f}" for x in row["rounds"])
            print(f"| {name} | {row['rps']:,.0f} | {row['req_per_cpu_s']:,.0f} | "
                  f"{row['p99_ms']:.2f} | {rounds} |")  # fmt: skip
        one = table.get("loadtui --workers 1", {}).get("rps")
        two = table.get("loadtui --workers 2", {}).get("rps")
        if one and two:
            print(f"\nloadtui 2 workers / 1 worker: {two / one:.2f}x")
    print("\ncontroller fold, 50 endpoints, one tick:")
    print("| values per endpoint per delta | 5 s timeouts | per worker-delta | fixed per tick "
          f"| fleet within {CORE_SHARE:.0%} of a core at {TICKS_PER_S} ticks/s | at 2 ticks/s |")
    print("|---:|---|---:|---:|---:|---:|")
    result["fold"] = []
    for per_endpoint, timeouts in ((25, False), (250, False), (25, True)):
        cost = fold_cost(per_endpoint, timeouts)
        result["fold"].append(cost)
        ceiling, at_two = max(0, cost["ceiling_workers"]), max(0, cost["ceiling_at_2_ticks"])
        print(f"| {per_endpoint} | {'1 endpoint in 10' if timeouts else 'none'} | "
              f"{cost['per_delta_us']:,.0f} µs | {cost['fixed_ms']:.1f} ms | "
              f"{ceiling:,} workers | {at_two:,} workers |")  # fmt: skip
    result["machine"]["load_end"] = loadavg()
    print(f"\nload average: start {result['machine']['load_start']}, "
          f"end {result['machine']['load_end']}")  # fmt: skip
    out = HERE / "results" / f"scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
