"""Closed-model throughput (loadtui vs wrk -t1, ab, Locust FastHttpUser at 32
connections) and HTTP/2 (loadtui vs h2load -c1 -m32 over TLS) against nginx.

Every generator keeps 32 requests in flight for the run length, no think time, against
nginx answering a small fixed body on loopback (one worker process).
"""

from __future__ import annotations

from typing import Any

import peers
from loadtui_runs import http_row, run_loadtui, scenario
from rounds import Context, Goal, alternate, judged, num, ratio, table
from targets import Nginx

CONNECTIONS = 32
CLOSED_NEEDS = ("nginx", "wrk", "ab", "locust")
H2_NEEDS = ("nginx", "openssl", "h2load")
LOADTUI, WRK = "loadtui", "wrk -t1"
H2, H2LOAD, H1TLS = "loadtui HTTP/2", "h2load -c1 -m32", "loadtui HTTP/1.1 over TLS"


def _closed_args(seconds: float) -> list[str]:
    return ["-u", str(CONNECTIONS), "-r", "100000", "-t", f"{seconds:g}s"]


def run_closed(ctx: Context, server: Nginx) -> dict[str, Any]:
    s, url = ctx.seconds, server.url
    text = scenario("closed", url)
    gens = {
        LOADTUI: lambda: http_row(run_loadtui("closed", text, _closed_args(s), s, ctx.tmp)),
        WRK: lambda: peers.wrk(url + "/", CONNECTIONS, s),
        "ab -k": lambda: peers.ab(url + "/", CONNECTIONS, s, ctx.tmp),
        "Locust FastHttpUser": lambda: peers.locust("FastUser", url, CONNECTIONS, s, ctx.tmp),
    }
    return alternate("closed", gens, ctx)


def _cost_cells(m: dict[str, float]) -> list[str]:
    return [
        num(m.get("cpu_percent")),
        num(m.get("per_cpu_s")),
        num(m.get("user_us"), 1),
        num(m.get("system_us"), 1),
        "steady" if m.get("cpu_steady") else "whole run",
    ]


def tables_closed(sec: dict[str, Any]) -> list[str]:
    med = sec["median"]
    wrk = med[WRK].get("rps")
    rows = [
        [name, num(m.get("rps")), num(ratio(m.get("rps"), wrk), 2, "×"), num(m.get("p50_ms"), 2),
         num(m.get("p99_ms"), 2), num(m.get("failures")), *_cost_cells(m)]
        for name, m in med.items()
    ]  # fmt: skip
    head = ["generator", "req/s", "× wrk", "p50 ms", "p99 ms", "failures", "CPU %",
            "req per CPU-s", "user µs/req", "sys µs/req", "CPU basis"]  # fmt: skip
    return [f"### Closed model: {CONNECTIONS} connections, no think time", "", *table(head, rows)]


def goals_closed(sec: dict[str, Any]) -> list[Goal]:
    lt, wrk = sec["median"][LOADTUI], sec["median"][WRK]
    x = ratio(lt.get("rps"), wrk.get("rps"))
    user = lt.get("user_us", float("nan"))
    return [
        judged(
            f"closed: ≥ 0.75× wrk -t1 at {CONNECTIONS} connections", x, lambda v: v >= 0.75,
            f"{x:.2f}× ({num(lt.get('rps'))} vs {num(wrk.get('rps'))} req/s)",
        ),
        judged(
            "closed: ≤ 5 µs user CPU per request", user, lambda v: v <= 5.0,
            f"{user:.1f} µs user + {num(lt.get('system_us'), 1)} µs system per request "
            f"({'steady part of the run' if lt.get('cpu_steady') else 'whole run'})",
        ),
    ]  # fmt: skip


def run_h2(ctx: Context, server: Nginx) -> dict[str, Any]:
    assert server.tls_url is not None
    s, url = ctx.seconds, server.tls_url
    # One connection with 32 streams, as h2load -c1 -m32.
    h2 = scenario("h2", url, http2=True, max_connections=1)
    h1 = scenario("h1tls", url)
    gens = {
        H2: lambda: http_row(run_loadtui("h2", h2, _closed_args(s), s, ctx.tmp)),
        H2LOAD: lambda: peers.h2load(url + "/", 1, s, ctx.tmp, streams=CONNECTIONS),
        H1TLS: lambda: http_row(run_loadtui("h1tls", h1, _closed_args(s), s, ctx.tmp)),
    }
    return alternate("http2", gens, ctx)


def tables_h2(sec: dict[str, Any]) -> list[str]:
    med = sec["median"]
    ref = med[H2LOAD].get("rps")
    rows = [
        [name, num(m.get("rps")), num(ratio(m.get("rps"), ref), 2, "×"), num(m.get("p50_ms"), 2),
         num(m.get("p99_ms"), 2), num(m.get("failures")), *_cost_cells(m)]
        for name, m in med.items()
    ]  # fmt: skip
    head = ["generator", "req/s", "× h2load", "p50 ms", "p99 ms", "failures", "CPU %",
            "req per CPU-s", "user µs/req", "sys µs/req", "CPU basis"]  # fmt: skip
    return [
        f"### HTTP/2 over TLS: 1 connection, {CONNECTIONS} streams (HTTP/1.1 over TLS: "
        f"{CONNECTIONS} connections)",
        "",
        *table(head, rows),
    ]


def goals_h2(sec: dict[str, Any]) -> list[Goal]:
    lt, ref = sec["median"][H2], sec["median"][H2LOAD]
    x = ratio(lt.get("rps"), ref.get("rps"))
    return [
        judged(
            "HTTP/2: ≥ 0.3× h2load -c1 -m32", x, lambda v: v >= 0.3,
            f"{x:.2f}× ({num(lt.get('rps'))} vs {num(ref.get('rps'))} req/s)",
        )
    ]  # fmt: skip
