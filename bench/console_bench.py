"""What the live console costs: req/s of the same run headless and in the console.

    python bench/console_bench.py [--duration 10] [--rounds 2] [--users 32]

The console runs for real in a tmux terminal (160x48), rendering as an operator would
see it; the figure is read from the session log it writes. Runs alternate (headless,
console, headless, ...) against the same loopback nginx (or the demo target when nginx
is missing), so drift on this shared machine hits both sides alike.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import NATIVE
from targets import demo_target, nginx, nginx_binary

# The http bench's native scenario plus a fixed-length profile (the console needs one).
SCENARIO = (
    NATIVE.replace('"bench-native"', '"console-bench"')
    + """
[profiles.flat]
stages = [{{ duration = "{duration}s", users = {users}, spawn_rate = 10000 }}]
"""
)


def headless(scen: Path, out: Path) -> float:
    cmd = [
        sys.executable,
        "-m",
        "loadtui",
        "run",
        str(scen),
        "-q",
        "--tick",
        "0.25",
        "--report-json",
        str(out),
    ]  # the console's tick, so only rendering differs
    subprocess.run(cmd, check=False, timeout=600)
    return float(json.loads(out.read_text())["rps"])


def console(scen: Path, session: Path, duration: int) -> float:
    name = f"loadtui-bench-{time.monotonic_ns()}"
    cmd = f"{sys.executable} -m loadtui {scen} --target t --profile flat --session {session}"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "48", cmd], check=True
    )
    try:
        deadline = time.monotonic() + duration + 60
        while time.monotonic() < deadline:
            time.sleep(0.5)
            text = session.read_text() if session.exists() else ""
            if '"state":"stopped"' in text:
                break
        subprocess.run(["tmux", "send-keys", "-t", name, "q"], check=False)
        while time.monotonic() < deadline:
            lines = session.read_text().splitlines() if session.exists() else []
            if lines and lines[-1].startswith('{"type":"summary"'):
                return float(json.loads(lines[-1])["report"]["rps"])
            time.sleep(0.2)
        raise RuntimeError("the console did not finish its session in time")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, stderr=subprocess.DEVNULL)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--users", type=int, default=32)
    args = ap.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is needed (apt-get install tmux)")
    kind = "nginx" if nginx_binary() else "demo"
    path = "/" if kind == "nginx" else "/api/fast"
    rows: list[tuple[str, float]] = []
    with nginx() if kind == "nginx" else demo_target() as url, tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        scen = tmp / "bench.toml"
        scen.write_text(
            SCENARIO.format(url=url, path=path, duration=args.duration, users=args.users)
        )
        print(
            f"target: {kind} at {url}{path}; {args.users} users, {args.duration}s runs", flush=True
        )
        for i in range(args.rounds):
            rows.append(("headless", headless(scen, tmp / f"h{i}.json")))
            print(f"round {i + 1}: headless {rows[-1][1]:,.0f} req/s", flush=True)
            rows.append(("console", console(scen, tmp / f"c{i}.json", args.duration)))
            print(f"round {i + 1}: console  {rows[-1][1]:,.0f} req/s", flush=True)
    mean = {k: sum(v for n, v in rows if n == k) / args.rounds for k in ("headless", "console")}
    cost = 1 - mean["console"] / mean["headless"]
    print(
        f"\nheadless {mean['headless']:,.0f} req/s, console {mean['console']:,.0f} req/s: "
        f"the console costs {cost:.1%} (goal <= 10%)"
    )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"console-{stamp}.json").write_text(
        json.dumps(
            {
                "target": kind,
                "users": args.users,
                "duration_s": args.duration,
                "runs": rows,
                "mean_rps": mean,
                "console_cost": cost,
            },
            indent=2,
        )
    )
    print(f"saved bench/results/console-{stamp}.json")


if __name__ == "__main__":
    main()
