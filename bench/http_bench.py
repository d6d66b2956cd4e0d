"""HTTP throughput of loadtui's native path and its httpx path, beside wrk, on loopback.

    python bench/http_bench.py [--duration 10] [--connections 32] [--target nginx|demo]

Each generator runs alone, one after the other, against the same target for the same
time with the same connection count; the table shows req/s, ratio to wrk, p50/p99 and
the generator's CPU. Results are saved as JSON under bench/results/. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from targets import demo_target, nginx, nginx_binary

NATIVE = """
name = "bench-native"
[targets.t]
url = "{url}"
[[users]]
name = "u"
wait = "none"
[[users.tasks]]
name = "root"
path = "{path}"
"""

HTTPX = """
name = "bench-httpx"
[targets.t]
url = "{url}"
[[users]]
name = "u"
wait = "none"
[[users.tasks]]
name = "root"
call = "flow:get_root"
"""

FLOW = """
async def get_root(client, vars):
    await client.get("{path}")
"""


def run_loadtui(scenario: Path, connections: int, duration: int) -> dict[str, float]:
    report = scenario.with_suffix(".json")
    cmd = [
        sys.executable,
        "-m",
        "loadtui",
        "run",
        str(scenario),
        "-u",
        str(connections),
        "-r",
        "10000",
        "-t",
        f"{duration}s",
        "-q",
        "--report-json",
        str(report),
    ]
    code, cpu, _ = run_measured(cmd)
    if code not in (0, 1):
        raise RuntimeError(f"loadtui exited {code}")
    data = json.loads(report.read_text())
    return {
        "rps": data["rps"],
        "p50_ms": data["latency_ms"]["p50"],
        "p99_ms": data["latency_ms"]["p99"],
        "cpu_percent": 100.0 * cpu / data["duration_s"] if data["duration_s"] else 0.0,
        "requests": data["requests"],
        "failures": data["failures"],
    }


def run_measured(cmd: list[str], stderr: int | None = None) -> tuple[int, float, str]:
    """Run a generator to completion: exit code, CPU seconds (user + system), stdout."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    return proc.returncode, usage.ru_utime + usage.ru_stime, out


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(url: str, connections: int, duration: int) -> dict[str, float] | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    _, cpu, out = run_measured([wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url])
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+(\S+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    return {
        "rps": rps,
        "p50_ms": _ms(p50.group(1)) if p50 else float("nan"),
        "p99_ms": _ms(p99.group(1)) if p99 else float("nan"),
        "cpu_percent": 100.0 * cpu / duration,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--target", choices=["nginx", "demo"], default=None)
    args = ap.parse_args()
    kind = args.target or ("nginx" if nginx_binary() else "demo")
    path = "/" if kind == "nginx" else "/api/fast"
    rows: dict[str, dict[str, float] | None] = {}
    with nginx() if kind == "nginx" else demo_target() as url, tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "native.toml").write_text(NATIVE.format(url=url, path=path))
        (d / "httpx.toml").write_text(HTTPX.format(url=url))
        (d / "flow.py").write_text(FLOW.format(path=path))
        print(
            f"target: {kind} at {url}{path}; {args.connections} connections, {args.duration}s each",
            flush=True,
        )
        rows["wrk"] = run_wrk(url + path, args.connections, args.duration)
        rows["loadtui native"] = run_loadtui(d / "native.toml", args.connections, args.duration)
        rows["loadtui httpx"] = run_loadtui(d / "httpx.toml", args.connections, args.duration)
    wrk_rps = rows["wrk"]["rps"] if rows["wrk"] else None
    print(
        f"\n{'generator':<16} {'req/s':>10} {'x wrk':>7} {'p50 ms':>8} {'p99 ms':>8} {'CPU %':>7}"
    )
    for name, row in rows.items():
        if row is None:
            print(f"{name:<16} {'(not installed)':>10}")
            continue
        ratio = f"{row['rps'] / wrk_rps:.2f}" if wrk_rps else "-"
        print(
            f"{name:<16} {row['rps']:>10,.0f} {ratio:>7} {row['p50_ms']:>8.2f} "
            f"{row['p99_ms']:>8.2f} {row['cpu_percent']:>7.0f}"
        )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    result = {
        "target": kind,
        "connections": args.connections,
        "duration_s": args.duration,
        "rows": rows,
    }
    clean = json.loads(json.dumps(result), parse_constant=lambda _: None)  # NaN -> null
    (out / f"http-{stamp}.json").write_text(json.dumps(clean, indent=2))
    print(f"\nsaved bench/results/http-{stamp}.json")


if __name__ == "__main__":
    main()
