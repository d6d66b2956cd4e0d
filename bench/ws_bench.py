"""WebSocket figures of loadtui against a node `ws` echo server on loopback.

    python bench/ws_bench.py [--sessions 10000] [--echo-sessions 200] [--duration 10]

1. Sessions per process: one `loadtui run` process holds `--sessions / 5`, then
   `--sessions` mostly idle streams (one echo every 10 s each); RSS per session is the
   RSS growth between the two plateaus divided by the sessions added.
2. Echo throughput: `--echo-sessions` streams sending every 10 ms (expect = "echo");
   round trips per second, and per CPU-second of the generator process (per core).
Installs the node packages (ws, and Artillery for bench/suite.py) with npm into
bench/node/ when missing. Results are saved under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tools import ensure_tools

HERE = Path(__file__).resolve().parent
NODE = HERE / "node"

SCENARIO = """
name = "ws-bench"
[targets.t]
url = "{url}"
[[users]]
name = "streamer"
[users.websocket]
path = "/"
send = {{ every = "{every}", text = "ping-{{seq}}" }}
expect = "echo"
ping = "off"
"""


PLATEAU_S = 15
PLATEAUS = """
[profiles.plateaus]
stages = [
  {{ duration = "{hold}s", users = {low}, spawn_rate = 2000 }},
  {{ duration = "{hold}s", users = {high}, spawn_rate = 2000 }},
]
"""


@contextmanager
def node_echo_server() -> Iterator[str]:
    """The node `ws` echo server on a free loopback port (tools.ensure_tools installs ws)."""
    proc = subprocess.Popen(
        ["node", str(NODE / "ws_echo_server.js"), "0"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        proc.stdout.close()


def run_loadtui(
    scen: Path,
    users: int | None,
    spawn: int | None,
    seconds: int | None,
    report: Path,
    watch: bool = False,
) -> tuple[dict, float, list[tuple[float, int]]]:
    """Run headless (the scenario's own profile unless users are given); return the
    report, CPU seconds used and (t, RSS) samples."""
    cmd = [sys.executable, "-m", "loadtui", "run", str(scen), "-q", "--report-json", str(report)]
    if users is not None:
        cmd += ["-u", str(users), "-r", str(spawn), "-t", f"{seconds}s"]
    proc = subprocess.Popen(cmd)
    ps = psutil.Process(proc.pid)
    samples: list[tuple[float, int]] = []
    t0 = time.monotonic()
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            break
        if watch:
            with suppress(psutil.NoSuchProcess):
                samples.append((time.monotonic() - t0, ps.memory_info().rss))
        time.sleep(0.25)
    cpu = usage.ru_utime + usage.ru_stime
    return json.loads(report.read_text()), cpu, samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10_000)
    ap.add_argument("--echo-sessions", type=int, default=200)
    ap.add_argument("--duration", type=int, default=10)
    args = ap.parse_args()
    ensure_tools(("node-packages",))
    results: dict[str, object] = {}
    with node_echo_server() as url, tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        # Two plateaus in one process: RSS per session is the slope between them, so the
        # interpreter's fixed cost is left out.
        low, high = args.sessions // 5, args.sessions
        idle = tmp / "idle.toml"
        idle.write_text(
            SCENARIO.format(url=url, every="10s")
            + PLATEAUS.format(low=low, high=high, hold=PLATEAU_S)
        )
        report, _, samples = run_loadtui(idle, None, None, None, tmp / "idle.json", watch=True)
        ws = report["websocket"]
        rss_low = max(rss for t_, rss in samples if PLATEAU_S - 4 < t_ < PLATEAU_S - 0.5)
        rss_high = max(rss for t_, rss in samples if 2 * PLATEAU_S - 4 < t_ < 2 * PLATEAU_S - 0.5)
        per = (rss_high - rss_low) / (high - low)
        results["sessions"] = {
            "asked": high,
            "opened": ws["sessions_opened"],
            "failed": ws["sessions_failed"],
            f"rss_mib_at_{low}": rss_low / 2**20,
            f"rss_mib_at_{high}": rss_high / 2**20,
            "kib_per_session": per / 1024,
        }
        print(
            f"sessions: {high:,} held in one process (opened {ws['sessions_opened']:,}, failed "
            f"{ws['sessions_failed']:,}); RSS {rss_low / 2**20:.0f} MiB at {low:,} -> "
            f"{rss_high / 2**20:.0f} MiB at {high:,}: {per / 1024:.1f} KiB per session "
            f"(goal <= 20)",
            flush=True,
        )

        echo = tmp / "echo.toml"
        echo.write_text(SCENARIO.format(url=url, every="10ms"))
        report, cpu, _ = run_loadtui(
            echo, args.echo_sessions, 10_000, args.duration, tmp / "echo.json"
        )
        ws = report["websocket"]
        rtt = ws["rtt_ms"]
        secs = report["duration_s"]
        per_s = ws["messages_received"] / secs
        per_cpu = ws["messages_received"] / cpu if cpu else float("nan")
        results["echo"] = {
            "sessions": args.echo_sessions,
            "seconds": secs,
            "messages_sent": ws["messages_sent"],
            "messages_received": ws["messages_received"],
            "round_trips_per_s": per_s,
            "cpu_s": cpu,
            "round_trips_per_cpu_s": per_cpu,
            "rtt_ms": rtt,
        }
        print(
            f"echo: {args.echo_sessions} sessions x every 10 ms for {secs:.1f}s: "
            f"{per_s:,.0f} round trips/s, {per_cpu:,.0f} per CPU-second (goal >= 15,000); "
            f"RTT p50 {rtt['p50']:.2f} p99 {rtt['p99']:.2f} ms",
            flush=True,
        )
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"ws-{stamp}.json").write_text(json.dumps(results, indent=2))
    print(f"saved bench/results/ws-{stamp}.json")


if __name__ == "__main__":
    main()
