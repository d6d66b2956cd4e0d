"""Session log size, from simulated sessions (no network, no engine).

    python bench/session_size.py [--soak-ticks 3600] [--fast-ticks 120] [--format both]

A real `Recorder` is fed synthetic requests (lognormal latencies around 20 ms, a few
failures and 5xx, one slow endpoint) on a simulated clock and ticked once per second;
each Snapshot goes through the real `SessionWriter`, so the bytes are exactly what a run
would write. Two figures, against the goals of issue 5:

1. Soak: 50 users, 10 endpoints, 1 s ticks, ~25 req/s (uniform(1 s, 3 s) think time).
   `--soak-ticks` seconds are written and the size extrapolated to 12 hours (x 43200 /
   ticks; said so in the output). Goal: <= 100 MB.
2. 10,000 req/s over 10 endpoints: average bytes per tick over `--fast-ticks` ticks.
   Goal: <= 20 KB per tick.

Each figure is given for `.json` (plain JSON Lines) and `.json.gz` (gzip, synced every
tick). Results are also saved under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from loadtui.metrics.recorder import Recorder  # noqa: E402
from loadtui.metrics.snapshot import LoadState, PoolGauges, SystemGauges  # noqa: E402
from loadtui.scenario.model import (  # noqa: E402
    HttpTask,
    Profile,
    Scenario,
    Stage,
    Target,
    Threshold,
    UserClass,
    Wait,
)
from loadtui.session.writer import SessionWriter  # noqa: E402

ENDPOINTS = 10
SOAK_HOURS = 12
SOAK_GOAL = 100_000_000
TICK_GOAL = 20_000


class Clock:
    """A simulated monotonic clock and wall clock, stepped by the bench."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.wall0 = time.time()

    def mono(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall0 + self.now


def scenario(endpoints: int) -> tuple[Scenario, Target, Profile]:
    target = Target("demo", "http://127.0.0.1:8089", headers=(("Authorization", "Bearer x"),))
    tasks = tuple(
        HttpTask(f"endpoint {i}", path=f"/api/e{i}", query=(("page", "1"),))
        for i in range(endpoints)
    )
    profile = Profile("soak", stages=(Stage(duration=SOAK_HOURS * 3600, users=50, spawn_rate=5),))
    scen = Scenario(
        "session-size",
        targets=(target,),
        users=(UserClass("steady", wait=Wait("uniform", 1, 3), tasks=tasks),),
        profiles=(profile,),
        thresholds=(Threshold("p95", "<", 2000.0), Threshold("error_rate", "<", 0.01)),
    )
    return scen, target, profile


def simulate(path: Path, ticks: int, rps: float, *, seed: int = 1) -> int:
    """Write a session of `ticks` 1 s ticks at about `rps` requests/s; its size in bytes."""
    rnd = random.Random(seed)
    clock = Clock()
    rec = Recorder(clock=clock.mono, wall=clock.wall)
    rec.start()
    scen, target, profile = scenario(ENDPOINTS)
    eps = [rec.endpoint(f"endpoint {i}", "GET" if i % 3 else "POST") for i in range(ENDPOINTS)]
    # per endpoint: median latency (µs) and its spread; the last endpoint is slow
    shapes = [(math.log(20_000 * (1 + i / 5)), 0.45) for i in range(ENDPOINTS - 1)]
    shapes.append((math.log(250_000), 0.8))
    writer = SessionWriter(path, scen, target, profile)
    rss = 60_000_000
    rec.add_event("info", "run started: profile soak against http://127.0.0.1:8089")
    rec.add_event("stage", "stage 1/1: 50 users at 5/s for 12h", stage=0)
    for n in range(ticks):
        per = rps / ENDPOINTS
        for ep, (mu, sigma) in zip(eps, shapes, strict=True):
            k = max(0, round(rnd.gauss(per, math.sqrt(per))))
            for _ in range(k):
                lat = int(rnd.lognormvariate(mu, sigma))
                r = rnd.random()
                if r < 0.001:
                    ep.failure("timeout", None)
                elif r < 0.003:
                    ep.failure("status 500", lat, 500, bytes_in=120, bytes_out=90)
                else:
                    ep.success(lat, 200, bytes_in=rnd.randint(200, 4000), bytes_out=90)
        if n and n % 600 == 0:
            rec.add_event("operator", "users set to 50", action="set_users", args=[50])
        clock.now += 1.0 + rnd.uniform(-0.002, 0.002)
        rss += rnd.randint(0, 4096)
        snap = rec.tick(
            load=LoadState(
                state="running",
                profile="soak",
                users=50,
                users_target=50,
                inflight=rnd.randint(0, 20),
                stage=0,
                stages=1,
                stage_left_s=SOAK_HOURS * 3600 - clock.now + 1000.0,
            ),
            pool=PoolGauges(
                open=50,
                in_use=rnd.randint(0, 50),
                idle=rnd.randint(0, 50),
                connects=50,
                connect_ms_mean=rnd.uniform(0.1, 0.4),
            ),
            system=SystemGauges(
                cpu_percent=rnd.uniform(5, 60),
                rss_bytes=rss,
                loop_lag_ms=rnd.uniform(0.1, 3.0),
                fds=70,
            ),
        )
        writer.on_snapshot(snap)
    writer.close({"report": {"requests": snap.total.requests}})
    return path.stat().st_size


def measure(fmt: str, soak_ticks: int, fast_ticks: int, folder: Path) -> dict[str, float]:
    suffix = ".json.gz" if fmt == "gzip" else ".json"
    t0 = time.perf_counter()
    soak = simulate(folder / f"soak{suffix}", soak_ticks, 25.0)
    fast = simulate(folder / f"fast{suffix}", fast_ticks, 10_000.0)
    return {
        "soak_bytes_written": soak,
        "soak_ticks": soak_ticks,
        "soak_12h_bytes": soak * SOAK_HOURS * 3600 / soak_ticks,
        "fast_ticks": fast_ticks,
        "fast_bytes_per_tick": fast / fast_ticks,
        "seconds": time.perf_counter() - t0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--soak-ticks", type=int, default=3600, help="1 s ticks written for soak")
    ap.add_argument("--fast-ticks", type=int, default=120, help="ticks at 10,000 req/s")
    ap.add_argument("--format", choices=("json", "gzip", "both"), default="both")
    ap.add_argument("--no-save", action="store_true", help="do not save under bench/results")
    args = ap.parse_args()
    formats = ("json", "gzip") if args.format == "both" else (args.format,)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="loadtui-session-size-") as tmp:
        for fmt in formats:
            r = results[fmt] = measure(fmt, args.soak_ticks, args.fast_ticks, Path(tmp))
            soak_ok = "ok" if r["soak_12h_bytes"] <= SOAK_GOAL else "OVER"
            fast_ok = "ok" if r["fast_bytes_per_tick"] <= TICK_GOAL else "OVER"
            print(
                f"{fmt:4}: soak {r['soak_bytes_written'] / 1e6:.2f} MB for {args.soak_ticks} "
                f"ticks -> extrapolated x{SOAK_HOURS * 3600 / args.soak_ticks:g} to 12 h: "
                f"{r['soak_12h_bytes'] / 1e6:.1f} MB (goal <= 100 MB: {soak_ok}); "
                f"10,000 req/s: {r['fast_bytes_per_tick'] / 1e3:.2f} KB/tick average over "
                f"{args.fast_ticks} ticks (goal <= 20 KB: {fast_ok})  [{r['seconds']:.1f} s]"
            )
    if not args.no_save:
        out = HERE / "results" / time.strftime("session-size-%Y%m%d-%H%M%S.json")
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"saved {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
