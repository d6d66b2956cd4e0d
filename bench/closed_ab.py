"""The closed model of two (or more) source trees beside wrk -t1, alternating rounds.

    python bench/closed_ab.py NAME=PATH [NAME=PATH ...] [--seconds 8] [--rounds 3]

Each NAME runs `python -m loadtui run` with PYTHONPATH=PATH, so a worktree of another
commit, or a tree with compiled modules built in place, is compared with this one on
the same nginx, 32 connections, in alternating order (as bench/suite.py's closed mode).
Prints the medians of req/s and user/system CPU µs per request; saved as
bench/results/closed-ab-*.json. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import peers
from loadtui_runs import http_row, run_loadtui, scenario
from modes_closed import CONNECTIONS, _closed_args
from rounds import Context, Runner, alternate
from targets import bench_nginx

RESULTS = Path(__file__).parent / "results"


def _tree(path: str, text: str, ctx: Context) -> Runner:
    def go() -> dict[str, Any]:
        os.environ["PYTHONPATH"] = path
        try:
            s = ctx.seconds
            return http_row(run_loadtui("closed", text, _closed_args(s), s, ctx.tmp))
        finally:
            os.environ.pop("PYTHONPATH", None)

    return go


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trees", nargs="+", metavar="NAME=PATH")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    trees = dict(t.split("=", 1) for t in args.trees)
    with tempfile.TemporaryDirectory() as tmp, bench_nginx() as server:
        ctx = Context(args.seconds, args.rounds, False, Path(tmp))
        text = scenario("closed", server.url)
        gens = {name: _tree(path, text, ctx) for name, path in trees.items()}
        gens["wrk -t1"] = lambda: peers.wrk(server.url + "/", CONNECTIONS, ctx.seconds)
        result = alternate("closed", gens, ctx)
    for name, m in result["median"].items():
        print(
            f"{name:<10} {m.get('rps', 0):>10,.0f} req/s  user {m.get('user_us', 0):.2f} µs"
            f"  system {m.get('system_us', 0):.2f} µs per request"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"closed-ab-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"trees": trees, **result}, indent=1, default=str))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
