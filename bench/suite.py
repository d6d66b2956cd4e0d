"""The benchmark suite in one command: loadtui beside Locust and wrk, memory per virtual
user and measurement error, all on loopback.

    python bench/suite.py [--quick] [--duration 10] [--rounds 2] [--connections 32]

1. Throughput: loadtui's native path, Locust FastHttpUser, Locust HttpUser, wrk and
   loadtui's httpx path take turns (round after round, so drift on a shared machine hits
   all alike) against one nginx answering a small fixed body, with the same connection
   count and duration. Table: mean req/s, ratios to wrk and Locust FastHttpUser, p50/p99,
   generator CPU (rusage of the child) and req per CPU-second (the per-core figure).
2. Memory per idle closed-model user: one loadtui process holds 1k, 5k then 10k users
   that each sleep for an hour after one request; KiB per user is the RSS slope across
   the plateaus, so the interpreter's fixed cost is left out.
3. Measurement error: open model at 1,000 req/s against the demo target's
   /api/delay?ms=20; reported p50 minus the true 20 ms. wrk's p50 on the same target
   (20 connections, so ~1,000 req/s) is shown beside it: what the Python target adds.
Installs what is missing: nginx-light and wrk with apt-get, Locust from PyPI into
bench/.venv-locust. The table is saved as strict JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import fmean

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import FLOW, HTTPX, NATIVE, run_loadtui, run_measured, run_wrk
from targets import demo_target, nginx, nginx_binary
from ws_bench import run_loadtui as run_watched

HERE = Path(__file__).resolve().parent
LOCUST_VENV = HERE / ".venv-locust"
LOCUST = LOCUST_VENV / "bin" / "locust"
DELAY_MS = 20.0
MEMORY_USERS = (1_000, 5_000, 10_000)
GOALS = {"native_rps_per_core": 45_000, "httpx_rps_per_core": 3_500, "kib_per_user": 50}

Row = dict[str, float]

IDLE = """
name = "bench-idle-users"
[targets.t]
url = "{url}"
[[users]]
name = "idle"
wait = "constant(1h)"
[[users.tasks]]
name = "root"
path = "/"
[profiles.plateaus]
stages = [{stages}]
"""

DELAY = """
name = "bench-delay"
[targets.t]
url = "{url}"
[[users]]
name = "u"
[[users.tasks]]
name = "delay"
path = "/api/delay?ms={ms:g}"
"""


def ensure_tools() -> None:
    """Install nginx and wrk (Debian) and Locust (its own venv) when missing."""
    missing = [
        pkg
        for pkg, found in (("nginx-light", nginx_binary()), ("wrk", shutil.which("wrk")))
        if not found
    ]
    if missing:
        if os.geteuid() != 0:
            raise SystemExit(f"missing {', '.join(missing)}: run as root or apt-get install them")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=True, env=env)
    if not LOCUST.exists():
        print("installing Locust into bench/.venv-locust", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(LOCUST_VENV)], check=True)
        pip = str(LOCUST_VENV / "bin" / "pip")
        subprocess.run([pip, "install", "-q", "locust"], check=True)


def run_locust(user: str, url: str, connections: int, duration: int, tmp: Path) -> Row:
    """One Locust process (no workers), the user class picked by name; figures from its
    CSV's Aggregated row (its percentiles are rounded to 2 significant digits)."""
    prefix = tmp / f"locust-{user}"
    cmd = [str(LOCUST), "-f", str(HERE / "locust_users.py"), "--headless"]
    cmd += ["-u", str(connections), "-r", str(connections), "-t", f"{duration}s"]
    cmd += ["--host", url, "--csv", str(prefix), "--only-summary", "--loglevel", "ERROR", user]
    _, cpu, _ = run_measured(cmd, stderr=subprocess.DEVNULL)  # its summary goes to stderr
    with open(f"{prefix}_stats.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    return {
        "rps": float(row["Requests/s"]),
        "p50_ms": float(row["50%"]),
        "p99_ms": float(row["99%"]),
        "cpu_percent": 100.0 * cpu / duration,
        "requests": float(row["Request Count"]),
        "failures": float(row["Failure Count"]),
    }


def throughput(url: str, connections: int, duration: int, rounds: int, tmp: Path) -> dict:
    """Every generator once per round, in turn; rows are the means over rounds."""
    (tmp / "native.toml").write_text(NATIVE.format(url=url, path="/"))
    (tmp / "httpx.toml").write_text(HTTPX.format(url=url))
    (tmp / "flow.py").write_text(FLOW.format(path="/"))
    runners: dict[str, Callable[[], Row | None]] = {
        "loadtui native": lambda: run_loadtui(tmp / "native.toml", connections, duration),
        "Locust FastHttpUser": lambda: run_locust("FastUser", url, connections, duration, tmp),
        "Locust HttpUser": lambda: run_locust("SlowUser", url, connections, duration, tmp),
        "wrk": lambda: run_wrk(url + "/", connections, duration),
        "loadtui httpx": lambda: run_loadtui(tmp / "httpx.toml", connections, duration),
    }
    runs: dict[str, list[Row]] = {name: [] for name in runners}
    for i in range(rounds):
        for name, run in runners.items():
            row = run()
            if row is None:
                raise SystemExit(f"{name} is not installed")
            runs[name].append(row)
            print(f"round {i + 1}/{rounds}: {name:<20} {row['rps']:>10,.0f} req/s", flush=True)
    rows = {name: mean_row(r) for name, r in runs.items()}
    add_ratios(rows)
    return {"rows": rows, "runs": runs}


def mean_row(runs: list[Row]) -> Row:
    keys = ("rps", "p50_ms", "p99_ms", "cpu_percent")
    row = {k: fmean(r[k] for r in runs) for k in keys}
    row["rps_per_cpu_s"] = row["rps"] / (row["cpu_percent"] / 100) if row["cpu_percent"] else 0.0
    row["failures"] = sum(r.get("failures", 0.0) for r in runs)
    return row


def add_ratios(rows: dict[str, Row]) -> None:
    wrk, fast = rows["wrk"]["rps"], rows["Locust FastHttpUser"]["rps"]
    for row in rows.values():
        row["x_wrk"] = row["rps"] / wrk if wrk else math.nan
        row["x_locust_fast"] = row["rps"] / fast if fast else math.nan


def memory_per_user(url: str, hold: int, tmp: Path) -> dict[str, float]:
    """RSS at each plateau of idle users in one process; KiB/user is the least-squares
    slope of RSS over users."""
    stages = ", ".join(
        f'{{ duration = "{hold}s", users = {n}, spawn_rate = 5000 }}' for n in MEMORY_USERS
    )
    scen = tmp / "idle.toml"
    scen.write_text(IDLE.format(url=url, stages=stages))
    report, _, samples = run_watched(scen, None, None, None, tmp / "idle.json", watch=True)
    rss = []
    for i in range(len(MEMORY_USERS)):
        end = (i + 1) * hold
        window = [r for t, r in samples if end - 0.4 * hold < t < end - 0.5]
        rss.append(max(window) if window else math.nan)
    xs, ys = MEMORY_USERS, rss
    mx, my = fmean(xs), fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    result = {f"rss_mib_at_{n}": r / 2**20 for n, r in zip(xs, ys, strict=True)}
    result["kib_per_user"] = slope / 1024
    result["requests"] = report["requests"]  # one per user: all 10k were started
    return result


def measurement_error(url: str, duration: int, tmp: Path) -> dict[str, float]:
    """Open model at 1,000 req/s against a fixed 20 ms delay: p50 minus 20 ms."""
    scen, report = tmp / "delay.toml", tmp / "delay.json"
    scen.write_text(DELAY.format(url=url, ms=DELAY_MS))
    cmd = [sys.executable, "-m", "loadtui", "run", str(scen), "--rate", "1000"]
    cmd += ["-t", f"{duration}s", "-q", "--report-json", str(report)]
    code, cpu, _ = run_measured(cmd)
    if code not in (0, 1):
        raise RuntimeError(f"loadtui exited {code}")
    data = json.loads(report.read_text())
    lat = data["latency_ms"]
    # Reference: wrk, 20 connections x 20 ms ~ 1,000 req/s; what the target itself adds.
    wrk = run_wrk(f"{url}/api/delay?ms={DELAY_MS:g}", 20, duration) or {"p50_ms": math.nan}
    return {
        "rate": 1000.0,
        "rps": data["rps"],
        "requests": data["requests"],
        "failures": data["failures"],
        "true_delay_ms": DELAY_MS,
        "p50_ms": lat["p50"],
        "p99_ms": lat["p99"],
        "p50_error_ms": lat["p50"] - DELAY_MS,
        "cpu_percent": 100.0 * cpu / data["duration_s"] if data["duration_s"] else 0.0,
        "wrk_p50_ms": wrk["p50_ms"],
    }


def print_table(result: dict) -> None:
    tp = result["throughput"]["rows"]
    head = f"{'generator':<20} {'req/s':>9} {'x wrk':>6} {'x Locust':>8} {'p50 ms':>7} "
    print("\n" + head + f"{'p99 ms':>7} {'CPU %':>6} {'req/CPU-s':>10}")
    for name, r in tp.items():
        print(
            f"{name:<20} {r['rps']:>9,.0f} {r['x_wrk']:>6.2f} {r['x_locust_fast']:>8.1f} "
            f"{r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {r['cpu_percent']:>6.0f} "
            f"{r['rps_per_cpu_s']:>10,.0f}"
        )
    mem, err = result["memory"], result["measurement_error"]
    plateaus = ", ".join(f"{n:,}: {mem[f'rss_mib_at_{n}']:.0f} MiB" for n in MEMORY_USERS)
    print(
        f"\nmemory per idle user: {mem['kib_per_user']:.1f} KiB (RSS {plateaus}; "
        f"{mem['requests']:,} first requests)"
    )
    print(
        f"measurement error at 1,000 req/s, {DELAY_MS:g} ms delay: p50 {err['p50_ms']:.3f} ms, "
        f"error {err['p50_error_ms']:+.3f} ms (p99 {err['p99_ms']:.2f} ms; "
        f"wrk's p50 on the same target {err['wrk_p50_ms']:.2f} ms)"
    )
    print("\ngoals:")
    for line, ok in goals(result).items():
        print(f"  [{'ok' if ok else 'MISS'}] {line}")


def goals(result: dict) -> dict[str, bool]:
    tp = result["throughput"]["rows"]
    native, httpx = tp["loadtui native"], tp["loadtui httpx"]
    return {
        f"native >= {GOALS['native_rps_per_core']:,} req/CPU-s": native["rps_per_cpu_s"]
        >= GOALS["native_rps_per_core"],
        "native >= 10x Locust FastHttpUser": native["x_locust_fast"] >= 10,
        "native >= 0.6x wrk": native["x_wrk"] >= 0.6,
        f"httpx >= {GOALS['httpx_rps_per_core']:,} req/CPU-s": httpx["rps_per_cpu_s"]
        >= GOALS["httpx_rps_per_core"],
        f"<= {GOALS['kib_per_user']} KiB per idle user": result["memory"]["kib_per_user"]
        <= GOALS["kib_per_user"],
        "|p50 error| <= 0.5 ms": abs(result["measurement_error"]["p50_error_ms"]) <= 0.5,
    }


def save(result: dict) -> Path:
    """Strict JSON: NaN and infinities become null."""
    clean = json.loads(json.dumps(result), parse_constant=lambda _: None)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    path = out / f"suite-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(clean, indent=2, allow_nan=False))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 s runs, 1 round: a smoke check")
    ap.add_argument("--duration", type=int, default=None, help="seconds per run (10)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds of every generator (2)")
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    duration = args.duration or (3 if args.quick else 10)
    rounds = args.rounds or (1 if args.quick else 2)
    hold = 5 if args.quick else 10
    ensure_tools()
    result: dict = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "connections": args.connections,
        "duration_s": duration,
        "rounds": rounds,
        "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        with nginx() as url:
            print(f"nginx at {url}/: {args.connections} connections, {duration}s runs", flush=True)
            result["throughput"] = throughput(url, args.connections, duration, rounds, tmp)
            print(f"memory: {', '.join(map(str, MEMORY_USERS))} idle users", flush=True)
            result["memory"] = memory_per_user(url, hold, tmp)
        with demo_target() as url:
            print(f"measurement error: demo target at {url}", flush=True)
            result["measurement_error"] = measurement_error(url, duration, tmp)
    result["goals"] = goals(result)
    print_table(result)
    print(f"\nsaved {save(result).relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
