"""The benchmark suite in one command: every mode of loadtui beside its best peer.

    python bench/suite.py [--quick] [--only MODE[,MODE]] [--duration 10] [--rounds 3]

Modes (all on loopback, against servers the suite starts):
  closed  32 connections, no think time: loadtui vs wrk -t1, ab -k, Locust FastHttpUser
  open    open model at 1k-40k req/s: loadtui --rate vs hey -q and h2load --rps
  truth   a fixed 20 ms answer (nginx echo_sleep) at 500 and 2,000 req/s: vs wrk and hey
  h2      HTTP/2 over TLS: loadtui (http2 = true) vs h2load -c1 -m32
  ws      WebSocket echo, 5,000 sessions x 10 msg/s: loadtui vs Artillery (node ws server)
  idle    idle users' RSS, 2k/10k/50k users: loadtui vs Locust
Generators alternate within each round (the order reversed every other round), for
3 rounds of 10 s by default; the tables show medians, every round and the load average
before it are in the JSON. `--quick` is a smoke check: 1 round of 3 s, 500 WebSocket
sessions. Each of the issue's goals is printed MET / MISSED / n/a with its figure.
Missing tools are installed first (apt-get, pip into bench/.venv-locust, npm into
bench/node). Markdown and strict JSON are saved under bench/results/suite-*.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import modes_closed
import modes_open
import modes_ws
from measure import loadavg
from rounds import Context, Goal
from targets import Nginx, bench_nginx
from tools import LOCUST, ensure_tools

__all__ = ["LOCUST", "ensure_tools", "main"]  # bench/scale.py imports the first two from here

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Mode:
    needs: tuple[str, ...]
    run: Callable[[Context, Nginx | None], dict[str, Any]]
    tables: Callable[[dict[str, Any]], list[str]]
    goals: Callable[[dict[str, Any]], list[Goal]]
    nginx: bool = True
    sleep: bool = False  # needs nginx's 20 ms location (echo module)
    tls: bool = False  # needs nginx's TLS + HTTP/2 port


def _on(
    run: Callable[[Context, Nginx], dict[str, Any]],
) -> Callable[[Context, Nginx | None], dict[str, Any]]:
    def with_nginx(ctx: Context, server: Nginx | None) -> dict[str, Any]:
        assert server is not None
        return run(ctx, server)

    return with_nginx


MODES: dict[str, Mode] = {
    "closed": Mode(modes_closed.CLOSED_NEEDS, _on(modes_closed.run_closed),
                   modes_closed.tables_closed, modes_closed.goals_closed),
    "open": Mode(modes_open.OPEN_NEEDS, _on(modes_open.run_open), modes_open.tables_open,
                 modes_open.goals_open),
    "truth": Mode(modes_open.TRUTH_NEEDS, _on(modes_open.run_truth), modes_open.tables_truth,
                  modes_open.goals_truth, sleep=True),
    "h2": Mode(modes_closed.H2_NEEDS, _on(modes_closed.run_h2), modes_closed.tables_h2,
               modes_closed.goals_h2, tls=True),
    "ws": Mode(modes_ws.WS_NEEDS, lambda ctx, _: modes_ws.run_ws(ctx), modes_ws.tables_ws,
               modes_ws.goals_ws, nginx=False),
    "idle": Mode(modes_ws.IDLE_NEEDS, _on(lambda ctx, n: modes_ws.run_idle(ctx, n.url)),
                 modes_ws.tables_idle, modes_ws.goals_idle),
}  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="1 round of 3 s: a smoke check")
    ap.add_argument("--only", default=None, metavar="MODE[,MODE]",
                    help=f"modes to run, of {', '.join(MODES)} (default: all)")  # fmt: skip
    ap.add_argument("--duration", type=int, default=None, metavar="S",
                    help="seconds per run (10; --quick: 3)")  # fmt: skip
    ap.add_argument("--rounds", type=int, default=None, metavar="N",
                    help="rounds of every generator (3; --quick: 1)")  # fmt: skip
    args = ap.parse_args(argv)
    names = [m.strip() for m in args.only.split(",") if m.strip()] if args.only else list(MODES)
    unknown = [m for m in names if m not in MODES]
    if unknown or not names:
        ap.error(f"--only {args.only!r}: unknown mode {', '.join(unknown) or '(none given)'}; "
                 f"choose from {', '.join(MODES)}")  # fmt: skip
    args.modes = names
    args.duration = args.duration or (3 if args.quick else 10)
    args.rounds = args.rounds or (1 if args.quick else 3)
    if args.duration < 1 or args.rounds < 1:
        ap.error("--duration and --rounds must be at least 1")
    return args


@contextlib.contextmanager
def servers(modes: list[Mode]) -> Iterator[Nginx | None]:
    """One nginx for every mode that needs it, with the parts they need."""
    if not any(m.nginx for m in modes):
        yield None
        return
    with bench_nginx(sleep=any(m.sleep for m in modes), tls=any(m.tls for m in modes)) as n:
        yield n


def run_modes(args: argparse.Namespace, tmp: Path) -> tuple[dict[str, Any], list[Goal]]:
    ctx = Context(seconds=args.duration, rounds=args.rounds, quick=args.quick, tmp=tmp)
    chosen = [MODES[name] for name in args.modes]
    sections: dict[str, Any] = {}
    goals: list[Goal] = []
    with servers(chosen) as server:
        for name in args.modes:
            mode = MODES[name]
            print(f"\n== {name} (load {' '.join(map(str, loadavg()))})", flush=True)
            try:
                sections[name] = mode.run(ctx, server)
                goals += mode.goals(sections[name])
            except Exception as exc:  # one broken mode must not lose a 20-minute run
                print(f"{name}: failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                sections[name] = {"error": f"{type(exc).__name__}: {exc}",
                                  "traceback": traceback.format_exc()}  # fmt: skip
                goals.append(Goal(f"{name}: every goal", None, f"the mode failed: {exc}"))
    return sections, goals


def render(result: dict[str, Any], goals: list[Goal]) -> list[str]:
    lines = [
        f"## bench/suite.py, {result['started']}",
        "",
        f"`{result['command']}`: {result['rounds']} round(s) of {result['duration_s']} s, "
        "generators alternating, medians.",
        f"Machine: {result['cpus']} CPUs, {result['platform']}; load average "
        f"{' '.join(map(str, result['load_start']))} at start, "
        f"{' '.join(map(str, result['load_end']))} at the end.",
    ]
    for name, sec in result["modes"].items():
        lines.append("")
        if "error" in sec:
            lines.append(f"### {name}: failed ({sec['error']})")
        else:
            lines += MODES[name].tables(sec)
    lines += ["", "### Goals", "", *(g.line() for g in goals)]
    return lines


def save(result: dict[str, Any], markdown: list[str]) -> Path:
    """Strict JSON (NaN and infinities become null) and the markdown beside it."""
    clean = json.loads(json.dumps(result, default=str), parse_constant=lambda _: None)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    kind = "suite-quick" if result["quick"] else "suite"  # smoke runs: not for quoting
    path = out / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(clean, indent=1, allow_nan=False) + "\n")
    path.with_suffix(".md").write_text("\n".join(markdown) + "\n")
    return path


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    needs = [t for name in args.modes for t in MODES[name].needs]
    ensure_tools(needs)
    if args.rounds < 3 and not args.quick:
        print("note: fewer than 3 rounds; the issue's figures are medians of 3", flush=True)
    result: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M %Z"),
        "command": " ".join(
            ["python bench/suite.py", *(argv if argv is not None else sys.argv[1:])]
        ),
        "quick": args.quick,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
        "load_start": loadavg(),
    }
    with tempfile.TemporaryDirectory(prefix="loadtui-suite-") as tmp:
        result["modes"], goals = run_modes(args, Path(tmp))
    result["load_end"] = loadavg()
    result["goals"] = [g.as_json() for g in goals]
    markdown = render(result, goals)
    print("\n" + "\n".join(markdown))
    print(f"\nsaved {save(result, markdown).relative_to(HERE.parent)} (and .md)")


if __name__ == "__main__":
    main()
