"""The HTML report of a 12-hour soak: its size, the time to build it, and the time it
takes Chromium to open it (from navigation to every chart drawn).

    python bench/html_soak.py [--ticks 43200] [--rps 40] [--session PATH] [--keep DIR]

A real `Recorder` is fed synthetic requests on a simulated clock, one tick a second, and
every Snapshot goes through the real `SessionWriter` (gzip'd, as the console writes
it): six endpoints (lognormal latencies, one slow, one that fails now and then, one that
is rate limited), a burst every hour, an operator action every 20 minutes, a breach
and its recovery every few hours, the target's CPU and a slowly leaking RSS. Then
`loadtui report SESSION --report-html` builds the page, as a user would, and Debian's
chromium (headless, through Playwright) opens it from disk three times: the page
records when its last chart was drawn (`data-open-ms`, ms since navigation started).

Goals (issue 15): the file under 20 MB, open under 3 s. Synthesising 12 hours takes a
few minutes; `--session` reuses a session written before. Results go to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

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

SIZE_GOAL = 20_000_000
OPEN_GOAL_MS = 3000
# name, method, share of requests, median latency (µs), spread
ENDPOINTS = (
    ("home", "GET", 0.30, 8_000, 0.35),
    ("items", "GET", 0.25, 15_000, 0.45),
    ("item", "GET", 0.20, 12_000, 0.40),
    ("search", "GET", 0.10, 40_000, 0.60),
    ("checkout", "POST", 0.10, 90_000, 0.55),
    ("report", "GET", 0.05, 250_000, 0.80),
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.wall0 = time.time() - 12 * 3600

    def mono(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall0 + self.now


def plan() -> tuple[Scenario, Target, Profile]:
    target = Target("staging", "http://127.0.0.1:8089")
    tasks = tuple(HttpTask(name, method=m, path=f"/api/{name}") for name, m, *_ in ENDPOINTS)
    profile = Profile("soak", stages=(Stage(duration=12 * 3600, users=80, spawn_rate=5),))
    scen = Scenario(
        "soak",
        targets=(target,),
        users=(UserClass("steady", wait=Wait("uniform", 1, 3), tasks=tasks),),
        profiles=(profile,),
        thresholds=(Threshold("p95", "<", 500.0), Threshold("error_rate", "<", 0.01)),
    )
    return scen, target, profile


def synthesise(path: Path, ticks: int, rps: float, seed: int = 7) -> None:
    rnd = random.Random(seed)
    clock = Clock()
    rec = Recorder(clock=clock.mono, wall=clock.wall)
    rec.start()
    scen, target, profile = plan()
    eps = [
        (rec.endpoint(name, m), share, math.log(med), sd) for name, m, share, med, sd in ENDPOINTS
    ]
    writer = SessionWriter(path, scen, target, profile, target_pids=(4242,))
    rec.add_event("info", "run started: profile soak against http://127.0.0.1:8089")
    rec.add_event("stage", "stage 1/1: 80 users at 5/s for 12h", stage=0)
    rss, target_rss, snap = 70_000_000, 180_000_000, None
    for n in range(ticks):
        burst = n % 3600 < 60  # a minute-long burst at the top of every hour
        level = rps * (3.0 if burst else 1.0) * (1 + 0.1 * math.sin(n / 900))
        slow = 1.8 if burst else 1.0
        for ep, share, mu, sd in eps:
            for _ in range(max(0, round(rnd.gauss(level * share, math.sqrt(level * share))))):
                lat = int(rnd.lognormvariate(mu, sd) * slow)
                r = rnd.random()
                if ep.name == "checkout" and r < 0.004:
                    ep.failure("HTTP 500", lat, 500)
                elif ep.name == "search" and burst and r < 0.2:
                    ep.rate_limited(429, 1.0)
                elif r < 0.0005:
                    ep.failure("timeout")
                else:
                    ep.success(lat, 200, bytes_in=rnd.randint(300, 6000), bytes_out=120)
        if n and n % 1200 == 0:
            rec.add_event("operator", "users set to 80", action="set_users", args=[80])
        if n % 3600 == 30:
            rec.add_event("breach", "threshold breached: p95 < 500ms", threshold="p95 < 500ms")
        if n % 3600 == 75:
            rec.add_event(
                "info", "threshold within limit again: p95 < 500ms", threshold="p95 < 500ms"
            )
        clock.now += 1.0 + rnd.uniform(-0.003, 0.003)
        rss += rnd.randint(0, 2048)
        target_rss += rnd.randint(0, 6000)
        snap = rec.tick(
            load=LoadState(state="running", profile="soak", users=80, users_target=80,
                           inflight=rnd.randint(0, 30), stage=0, stages=1),
            pool=PoolGauges(open=80, in_use=rnd.randint(0, 80), connects=80),
            system=SystemGauges(cpu_percent=rnd.uniform(8, 35), rss_bytes=rss,
                                loop_lag_ms=rnd.uniform(0.1, 2.5), fds=95,
                                target_cpu_percent=rnd.uniform(20, 90) * (2 if burst else 1),
                                target_rss_bytes=target_rss),
        )  # fmt: skip
        writer.on_snapshot(snap)
    rec.add_event("info", "run finished")
    writer.close({"report": {}})


def open_times(page: Path, rounds: int) -> list[dict[str, float]]:
    from support.browser import chromium, opened

    out = []
    for _ in range(rounds):
        with chromium() as browser:  # a fresh profile each time: no cache helps
            t0 = time.perf_counter()
            seen = opened(browser, page, timeout_s=120)
            wall = (time.perf_counter() - t0) * 1000
            failed = seen.state("document.getElementById('failure').textContent")
            if failed or seen.errors or seen.foreign_requests:
                why = [failed, *seen.errors, *seen.foreign_requests]
                raise SystemExit(f"the page did not open cleanly: {why}")
            charts = seen.state("document.querySelectorAll('figure.chart canvas').length")
            ready = float(seen.state("document.documentElement.dataset.openMs"))
            out.append({"ready_ms": ready, "wall_ms": wall, "charts": charts})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ticks", type=int, default=43_200, help="1 s ticks (43,200: 12 hours)")
    ap.add_argument("--rps", type=float, default=40.0, help="requests per second between bursts")
    ap.add_argument("--session", type=Path, help="use this session instead of writing one")
    ap.add_argument("--rounds", type=int, default=3, help="times the page is opened")
    ap.add_argument("--keep", type=Path, help="keep the session and the page in this folder")
    ap.add_argument("--no-save", action="store_true", help="do not save under bench/results")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="loadtui-html-soak-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        session = args.session or folder / "soak.json.gz"
        synth_s = 0.0
        if args.session is None:
            t0 = time.perf_counter()
            synthesise(session, args.ticks, args.rps)
            synth_s = time.perf_counter() - t0
            mb = session.stat().st_size / 1e6
            print(f"session: {args.ticks:,} ticks in {synth_s:.0f} s, {mb:.1f} MB")
        page = folder / "soak.html"
        t0 = time.perf_counter()
        built = subprocess.run(
            [sys.executable, "-m", "loadtui", "report", str(session), "--report-html", str(page),
             "-q"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        build_s = time.perf_counter() - t0
        if not page.exists():
            raise SystemExit(f"no page written: {built.stderr.strip()}")
        size = page.stat().st_size
        times = open_times(page, args.rounds)
        ready = statistics.median(t["ready_ms"] for t in times)
        wall = statistics.median(t["wall_ms"] for t in times)
        print(
            f"page: {size / 1e6:.2f} MB (goal < 20 MB: {'ok' if size < SIZE_GOAL else 'OVER'}), "
            f"built in {build_s:.1f} s; opened in {ready / 1000:.2f} s to every chart drawn "
            f"(median of {args.rounds}; goal < 3 s: {'ok' if ready < OPEN_GOAL_MS else 'OVER'}), "
            f"{wall / 1000:.2f} s with the browser's own start"
        )
        result = {
            "ticks": args.ticks,
            "rps": args.rps,
            "session_bytes": session.stat().st_size,
            "synth_s": synth_s,
            "page_bytes": size,
            "build_s": build_s,
            "opens": times,
            "ready_ms_median": ready,
        }
    if not args.no_save:
        out = HERE / "results" / time.strftime("html-soak-%Y%m%d-%H%M%S.json")
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"saved {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
