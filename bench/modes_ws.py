"""WebSocket echo (loadtui vs Artillery against the node `ws` echo server) and idle-user
memory (loadtui vs Locust FastHttpUser against nginx).

WebSocket: N sessions each send one message every 100 ms and await its echo. Per
generator: echoes delivered per second while every session is up, round-trip p50/p99,
and echoes per CPU-second over the whole load window (connects included, interpreter
start-up left out). Artillery's round trips are timed by bench/node/artillery_echo.js.

Idle users: each sends one GET, then waits an hour. One process per generator holds
plateaus of users; RSS per plateau is the highest sample in its second half, and KiB
per user the RSS slope between two plateaus (the interpreter's fixed cost left out).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import resource
from pathlib import Path
from typing import Any

from loadtui_runs import max_users, run_loadtui, scenario
from measure import Row, RunFailed, Usage, cpu_at, read_history, run, steady
from rounds import Context, Goal, alternate, judged, num, table
from tools import ARTILLERY, LOCUST, NODE

HERE = Path(__file__).resolve().parent
WS_SESSIONS, WS_SESSIONS_QUICK = 5_000, 500
WS_EVERY_MS = 100
WS_SPAWN = 2_500  # sessions opened per second, by both generators
IDLE_LEVELS = (2_000, 10_000, 50_000)
LOCUST_LEVELS = (2_000, 10_000)  # each Locust user holds a socket: 50k is past the fd limit
IDLE_SPAWN = {"loadtui": 5_000, "Locust": 2_000}  # users started per second
WS_NEEDS = ("node-packages",)
IDLE_NEEDS = ("nginx", "locust")
LT, ART, LOC = "loadtui", "Artillery", "Locust FastHttpUser"


def _sessions(ctx: Context) -> int:
    return WS_SESSIONS_QUICK if ctx.quick else WS_SESSIONS


def loadtui_ws(ctx: Context, url: str, sessions: int) -> Row:
    ramp = sessions / WS_SPAWN
    text = scenario("ws", url, ws_every=f"{WS_EVERY_MS}ms")
    args = ["-u", str(sessions), "-r", str(WS_SPAWN), "-t", f"{ramp + ctx.seconds:g}s"]
    r = run_loadtui("ws", text, args, ramp + ctx.seconds, ctx.tmp)
    ws = r.report.get("websocket") or {}
    if not ws:
        raise RunFailed("loadtui's report has no websocket section")
    rate_col = "Stream Messages Received/s"
    up = steady(r.usage, r.history, ramp + 0.5, count=rate_col)  # every session open
    load = steady(r.usage, r.history, 0.0, count=rate_col)  # the whole load window
    return {
        "sessions": float(sessions),
        "opened": float(ws["sessions_opened"]),
        "failed": float(ws["sessions_failed"]),
        "received": float(ws["messages_received"]),
        "echo_per_s": up["per_s"] if up else math.nan,
        "echo_per_cpu_s": load["per_cpu_s"] if load else math.nan,
        "cpu_percent": up["cpu_percent"] if up else math.nan,
        "rtt_p50_ms": ws["rtt_ms"]["p50"],
        "rtt_p99_ms": ws["rtt_ms"]["p99"],
        "saturated": 1.0 if r.report.get("generator_saturated") else 0.0,
        "rss_max_mib": r.usage.max_rss() / 2**20,
    }


def artillery_ws(ctx: Context, url: str, sessions: int) -> Row:
    if not ARTILLERY.exists():
        raise RunFailed("Artillery is not installed in bench/node")
    ramp = sessions / WS_SPAWN
    count = round(ctx.seconds * 1000 / WS_EVERY_MS)
    script = {
        "config": {
            "target": url.replace("http://", "ws://"),
            "processor": str(NODE / "artillery_echo.js"),
            "phases": [{"duration": max(1, round(ramp)), "arrivalCount": sessions}],
        },
        "scenarios": [{"engine": "ws", "flow": [{"loop": [
            {"function": "stamp"},
            {"send": {"payload": {"n": 1}, "capture": {"json": "$.n", "as": "echoed"}}},
            {"function": "received"},
        ], "count": count}]}],
    }  # fmt: skip
    path, out = ctx.tmp / "artillery.json", ctx.tmp / "artillery-report.json"
    path.write_text(json.dumps(script))
    out.unlink(missing_ok=True)
    env = {**os.environ, "ARTILLERY_DISABLE_TELEMETRY": "true",
           "BENCH_WS_EVERY_MS": str(WS_EVERY_MS)}  # fmt: skip
    usage = run([str(ARTILLERY), "run", "--output", str(out), str(path)],
                ramp + ctx.seconds + 120, env=env, cwd=NODE)  # fmt: skip
    if usage.code != 0 or not out.exists():
        raise RunFailed(f"artillery exited {usage.code}: {usage.err.strip()[-200:]}")
    agg = json.loads(out.read_text())["aggregate"]
    counters, summaries = agg.get("counters", {}), agg.get("summaries", {})
    received = float(counters.get("websocket.messages_received", 0))
    rtt = summaries.get("bench.ws_rtt", {})
    session_ms = summaries.get("vusers.session_length", {}).get("mean", math.nan)
    return {
        "sessions": float(sessions),
        "opened": float(counters.get("vusers.created", 0)),
        "failed": float(counters.get("vusers.failed", 0)),
        "received": received,
        "echo_per_s": received / (session_ms / 1e3) if session_ms else math.nan,
        "echo_per_cpu_s": _per_cpu(usage, agg, received),
        "rtt_p50_ms": rtt.get("p50", math.nan),
        "rtt_p99_ms": rtt.get("p99", math.nan),
        "rss_max_mib": usage.max_rss() / 2**20,
    }


def _per_cpu(usage: Usage, agg: dict[str, Any], received: float) -> float:
    """Echoes per CPU-second between Artillery's first and last metric (its load window)."""
    first, last = agg.get("firstMetricAt"), agg.get("lastMetricAt")
    if not (first and last and usage.samples):
        return received / usage.cpu_s if usage.cpu_s else math.nan
    u0, s0 = cpu_at(usage.samples, first / 1e3)
    u1, s1 = cpu_at(usage.samples, last / 1e3)
    cpu = u1 - u0 + s1 - s0
    return received / cpu if cpu > 0 else math.nan


def run_ws(ctx: Context) -> dict[str, Any]:
    from ws_bench import node_echo_server  # the node echo server is ws_bench's

    sessions = _sessions(ctx)
    with node_echo_server() as url:
        gens = {
            LT: lambda: loadtui_ws(ctx, url, sessions),
            ART: lambda: artillery_ws(ctx, url, sessions),
        }
        sec = alternate("websocket", gens, ctx, headline="echo_per_s")
    sec["sessions"], sec["every_ms"] = sessions, WS_EVERY_MS
    return sec


def tables_ws(sec: dict[str, Any]) -> list[str]:
    asked = sec["sessions"] * 1000 / sec["every_ms"]
    rows = [
        [name, num(m.get("opened")), num(m.get("failed")), num(m.get("echo_per_s")),
         num(100 * m.get("echo_per_s", math.nan) / asked, 1, " %"), num(m.get("rtt_p50_ms"), 2),
         num(m.get("rtt_p99_ms"), 2), num(m.get("echo_per_cpu_s")), num(m.get("rss_max_mib")),
         ("yes" if m["saturated"] >= 0.5 else "no") if "saturated" in m else "-"]
        for name, m in sec["median"].items()
    ]  # fmt: skip
    head = ["generator", "sessions", "failed", "echoes/s", "of asked", "RTT p50 ms",
            "RTT p99 ms", "echoes per CPU-s", "RSS MiB", "saturated"]  # fmt: skip
    title = (f"### WebSocket echo: {sec['sessions']:,} sessions, one message every "
             f"{sec['every_ms']} ms each ({asked:,.0f}/s asked), node ws echo server")  # fmt: skip
    return [title, "", *table(head, rows)]


def goals_ws(sec: dict[str, Any]) -> list[Goal]:
    lt = sec["median"][LT]
    per_cpu = lt.get("echo_per_cpu_s", math.nan)
    goals = [judged("WebSocket: ≥ 40,000 echoes per CPU-second", per_cpu, lambda v: v >= 40_000,
                    f"{num(per_cpu)} echoes per CPU-second")]  # fmt: skip
    text = (f"WebSocket: {WS_SESSIONS:,} sessions × 10 msg/s delivered by one process with "
            "RTT p50 ≤ 10 ms, or the saturation warning says it cannot")  # fmt: skip
    runs = [r for r in sec["runs"][LT] if "error" not in r]
    if sec["sessions"] < WS_SESSIONS or not runs:
        goals.append(Goal(text, None, f"not run at {WS_SESSIONS:,} sessions (--quick or failed)"))
        return goals
    asked = WS_SESSIONS * 1000 / WS_EVERY_MS
    verdicts = []
    for r in runs:
        held = r["echo_per_s"] >= 0.99 * asked and r["rtt_p50_ms"] <= 10.0
        verdicts.append((held or r["saturated"] >= 0.5,
                         f"{num(r['echo_per_s'])}/s, p50 {r['rtt_p50_ms']:.1f} ms"
                         f"{', saturation warned' if r['saturated'] else ''}"))  # fmt: skip
    goals.append(Goal(text, all(ok for ok, _ in verdicts), "; ".join(f for _, f in verdicts)))
    return goals


def _plateau_rss(usage: Usage, history: list[dict[str, str]], users: int) -> float:
    """MiB: the highest RSS sample in the second half of the plateau at `users`."""
    rows = [r for r in history if int(float(r["User Count"] or 0)) == users]
    if not rows:
        return math.nan
    a, b = float(rows[0]["wall"]), float(rows[-1]["wall"])
    vals = [s.rss for s in usage.samples if (a + b) / 2 <= s.wall <= b]
    return max(vals) / 2**20 if vals else math.nan


def _idle_row(usage: Usage, history: list[dict[str, str]], levels: tuple[int, ...]) -> Row:
    row: Row = {f"rss_{n}_mib": _plateau_rss(usage, history, n) for n in levels}
    row["users_held"] = float(max_users(history))
    for lo, hi in itertools.pairwise(levels):
        row[f"kib_per_user_{lo}_{hi}"] = (
            (row[f"rss_{hi}_mib"] - row[f"rss_{lo}_mib"]) * 1024 / (hi - lo)
        )
    return row


def stage_lengths(levels: tuple[int, ...], hold: float, spawn: int) -> list[float]:
    """Each plateau's length: its ramp at `spawn` users/s with half as long again of
    margin (a busy generator spawns slower than asked), then `hold` seconds."""
    return [1.5 * (b - a) / spawn + hold for a, b in itertools.pairwise((0, *levels))]


def loadtui_idle(ctx: Context, url: str, hold: float) -> Row:
    spawn = IDLE_SPAWN["loadtui"]
    lengths = stage_lengths(IDLE_LEVELS, hold, spawn)
    stages = tuple((n, t, spawn) for n, t in zip(IDLE_LEVELS, lengths, strict=True))
    text = scenario("idle", url, wait="constant(1h)", plateaus=stages)
    r = run_loadtui("idle", text, [], sum(lengths), ctx.tmp)
    row = _idle_row(r.usage, r.history, IDLE_LEVELS)
    row["requests"], row["failures"] = float(r.report["requests"]), float(r.report["failures"])
    return row


def locust_idle(ctx: Context, url: str, hold: float) -> Row:
    if not LOCUST.exists():
        raise RunFailed("Locust is not installed in bench/.venv-locust")
    spawn, prefix = IDLE_SPAWN["Locust"], ctx.tmp / "locust-idle"
    env = {**os.environ, "BENCH_LEVELS": ",".join(map(str, LOCUST_LEVELS)),
           "BENCH_HOLD": f"{hold:g}", "BENCH_SPAWN": str(spawn)}  # fmt: skip
    cmd = [str(LOCUST), "-f", str(HERE / "locust_idle.py"), "--headless", "--only-summary",
           "--host", url, "--csv", str(prefix), "--loglevel", "ERROR"]  # fmt: skip
    usage = run(cmd, sum(stage_lengths(LOCUST_LEVELS, hold, spawn)) + 60, env=env)
    if usage.code not in (0, 1):
        raise RunFailed(f"locust exited {usage.code}: {usage.err.strip()[-200:]}")
    history = read_history(Path(f"{prefix}_stats_history.csv"), locust=True)
    return _idle_row(usage, history, LOCUST_LEVELS)


def run_idle(ctx: Context, url: str) -> dict[str, Any]:
    hold = 3.0 if ctx.quick else 10.0
    gens = {LT: lambda: loadtui_idle(ctx, url, hold), LOC: lambda: locust_idle(ctx, url, hold)}
    sec = alternate("idle users", gens, ctx, headline="users_held")
    sec["hold_s"], sec["fd_limit"] = hold, _fd_limit()
    return sec


def _fd_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def tables_idle(sec: dict[str, Any]) -> list[str]:
    rows = [
        [name, *(num(m.get(f"rss_{n}_mib")) for n in IDLE_LEVELS),
         num(m.get("kib_per_user_2000_10000"), 1), num(m.get("kib_per_user_10000_50000"), 1),
         num(m.get("users_held"))]
        for name, m in sec["median"].items()
    ]  # fmt: skip
    head = ["generator", *(f"RSS MiB at {n:,}" for n in IDLE_LEVELS), "KiB/user 2k→10k",
            "KiB/user 10k→50k", "users held"]  # fmt: skip
    return [f"### Idle users: one GET each, then an hour's wait (fd limit {sec['fd_limit']:,})",
            "", *table(head, rows)]  # fmt: skip


def goals_idle(sec: dict[str, Any]) -> list[Goal]:
    m = sec["median"][LT]
    top = max(IDLE_LEVELS)
    held = m.get("users_held", math.nan)
    return [judged(
        f"{top:,} idle users held in one process within the fd limit", held,
        lambda v: v >= top, f"{num(held)} held (RSS {num(m.get(f'rss_{top}_mib'))} MiB, "
        f"fd limit {sec['fd_limit']:,})",
    )]  # fmt: skip
