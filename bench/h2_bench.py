"""HTTP/2 throughput of loadtui's native client beside h2load, on one TLS connection.

    python bench/h2_bench.py [--duration 10] [--streams 32] [--rounds 3]

nginx (one worker, TLS with ALPN h2, self-signed) serves a small body. Each round runs
h2load -c1 -m STREAMS and then `loadtui run` with STREAMS users without think time on
an `http2 = true` target held to one connection; the table shows the medians of req/s,
the ratio to h2load, p50/p99 and the generator's CPU. Results are saved as JSON under
bench/results/. Loopback only; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import run_loadtui, run_measured
from targets import bench_nginx

SCENARIO = """
name = "bench-h2"
[targets.t]
url = "{url}"
http2 = true
verify_tls = false
max_connections = 1
[[users]]
name = "u"
wait = "none"
[[users.tasks]]
name = "root"
path = "/"
"""

Row = dict[str, float]


def run_h2load(url: str, streams: int, duration: int) -> Row | None:
    h2load = shutil.which("h2load")
    if h2load is None:
        return None
    cmd = [h2load, "-c1", f"-m{streams}", f"-D{duration}", url]
    code, cpu, out = run_measured(cmd)
    done = re.search(r"finished in ([\d.]+)s, ([\d.]+) req/s", out)
    if code != 0 or done is None:
        raise RuntimeError(f"h2load failed ({code}):\n{out}")
    failed = re.search(r"requests: .*?(\d+) failed", out)
    return {
        "rps": float(done.group(2)),
        "cpu_percent": 100.0 * cpu / float(done.group(1)),
        "failures": float(failed.group(1)) if failed else float("nan"),
    }


def median_row(rows: list[Row]) -> Row:
    return {k: statistics.median(r[k] for r in rows) for k in rows[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--streams", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    runs: dict[str, list[Row]] = {"h2load": [], "loadtui h2": []}
    with bench_nginx(tls=True) as server, tempfile.TemporaryDirectory() as tmp:
        assert server.tls_url is not None
        scenario = Path(tmp) / "h2.toml"
        scenario.write_text(SCENARIO.format(url=server.tls_url))
        print(f"nginx at {server.tls_url}: 1 connection, {args.streams} streams", flush=True)
        for n in range(args.rounds):
            print(f"round {n + 1} of {args.rounds}", flush=True)
            row = run_h2load(server.tls_url + "/", args.streams, args.duration)
            if row is not None:
                runs["h2load"].append(row)
            runs["loadtui h2"].append(run_loadtui(scenario, args.streams, args.duration))
    rows = {name: median_row(r) if r else None for name, r in runs.items()}
    base = rows["h2load"]["rps"] if rows["h2load"] else None
    print(f"\n{'generator':<12} {'req/s':>10} {'x h2load':>9} {'CPU %':>7} {'failures':>9}")
    for name, row in rows.items():
        if row is None:
            print(f"{name:<12} {'(not installed)':>10}")
            continue
        ratio = f"{row['rps'] / base:.2f}" if base else "-"
        print(
            f"{name:<12} {row['rps']:>10,.0f} {ratio:>9} {row['cpu_percent']:>7.0f} "
            f"{row['failures']:>9,.0f}"
        )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    result = {"streams": args.streams, "duration_s": args.duration, "runs": runs, "rows": rows}
    clean = json.loads(json.dumps(result), parse_constant=lambda _: None)  # NaN -> null
    (out / f"h2-{stamp}.json").write_text(json.dumps(clean, indent=2))
    print(f"\nsaved bench/results/h2-{stamp}.json")


if __name__ == "__main__":
    main()
