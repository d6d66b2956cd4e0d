"""The open model's first second at a high rate: how the pool grows and what is dropped.

    python bench/open_start.py [--rate 40000] [--seconds 8] [--warmup 100] [--rounds 4]
                               [--workers N]

Each round runs `loadtui run --rate` against nginx (one worker) with a 50 ms tick and
prints the run's dropped and late starts, p99, the worst loop lag, and the pool's open
connections / dropped starts / loop lag tick by tick for the first second, read from
the session. This is where the 40,000/s start-up stall showed (the pool doubling in
steps, each a loop stall); compare commits by running it from a worktree of each:
`PYTHONPATH=/path/to/worktree python bench/open_start.py` (the `python -m loadtui`
it starts imports from there). Saved as bench/results/open-start-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from loadtui_runs import open_profile, scenario
from targets import bench_nginx

RESULTS = Path(__file__).parent / "results"
TICK_S = 0.05


def _find(record: Any, key: str) -> Any:
    """The first value under `key` anywhere in a session record."""
    if isinstance(record, dict):
        if key in record:
            return record[key]
        record = list(record.values())
    if isinstance(record, list):
        for item in record:
            found = _find(item, key)
            if found is not None:
                return found
    return None


def one_round(url: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    scen, session, report = folder / "s.toml", folder / "s.jsonl", folder / "r.json"
    scen.write_text(scenario("start", url) + open_profile(args.rate, args.seconds, args.warmup))
    cmd = [sys.executable, "-m", "loadtui", "run", str(scen), "--profile", "open", "-q"]
    cmd += ["--tick", str(TICK_S), "--session", str(session), "--report-json", str(report)]
    cmd += ["--workers", str(args.workers)] if args.workers > 1 else []
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.seconds + 60)
    if done.returncode not in (0, 1):
        raise SystemExit(f"loadtui exited {done.returncode}: {done.stderr.strip()[-200:]}")
    ticks = [
        r for r in map(json.loads, session.read_text().splitlines()) if r.get("type") == "tick"
    ]
    rep = json.loads(report.read_text())
    first = [
        (round(t["t"], 2), _find(t, "open"), _find(t, "dropped"), round(_find(t, "loop_lag_ms")))
        for t in ticks
        if t["t"] <= 1.0
    ]
    om = rep.get("open_model") or {}
    return {
        "rps": rep["rps"],
        "dropped": om.get("dropped", 0),
        "late": om.get("late_starts", 0),
        "p99_ms": rep["latency_ms"]["p99"],
        "worst_lag_ms": max(_find(t, "loop_lag_ms") or 0 for t in ticks),
        "pool_open_at_end": _find(ticks[-1], "open"),
        "first_second": first,
        "load": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=40_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (--workers)")
    args = parser.parse_args()
    rounds = []
    with bench_nginx() as nginx, tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            r = one_round(nginx.url, args, Path(tmp))
            rounds.append(r)
            print(
                f"round {i + 1}: {r['rps']:,.0f}/s, dropped {r['dropped']:,}, late {r['late']:,},"
                f" p99 {r['p99_ms']:.2f} ms, worst lag {r['worst_lag_ms']:.0f} ms,"
                f" pool {r['pool_open_at_end']} (load {r['load'][0]:.2f})"
            )
            print(
                "  t:open/dropped/lag_ms  "
                + " ".join(f"{t}:{o}/{d}/{g}" for t, o, d, g in r["first_second"])
            )
    print(
        f"median: dropped {statistics.median(r['dropped'] for r in rounds):,.0f},"
        f" p99 {statistics.median(r['p99_ms'] for r in rounds):.2f} ms"
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"open-start-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"args": vars(args), "rounds": rounds}, indent=1))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
