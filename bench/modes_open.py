"""Open model (loadtui --rate vs hey -q and h2load --rps, HTTP/1.1 against nginx) and
latency truth (a fixed 20 ms answer: nginx echo_sleep, loadtui vs wrk and hey).

Open model: at each asked rate, what was achieved, what was dropped or started late,
p50/p99 and the CPU per request; at 2k and 5k req/s loadtui's paced closed users doing
the same rate are the reference for the open model's cost. hey's -q and h2load's --rps
are per worker / client, so the rate is divided among them.

Latency truth: every answer takes 20 ms, so anything above is the generator's own
delay. wrk holds a fixed connection count (rate x 20 ms) and hey paces 25 req/s per
worker; loadtui's p50/p99 are compared with wrk's of the same round.
"""

from __future__ import annotations

from typing import Any

import peers
from loadtui_runs import http_row, open_profile, run_loadtui, scenario
from rounds import Context, Goal, alternate, judged, num, ratio, signed, table
from targets import SLEEP_PATH, SLEEP_S, Nginx

OPEN_RATES = (1_000, 2_000, 5_000, 10_000, 20_000, 40_000)
PACED_AT = (2_000, 5_000)  # rates where paced closed users are run as the reference
PACED_USERS = 50
PEER_WORKERS = 100  # hey workers and h2load clients in the open model
TRUTH_RATES = (500, 2_000)
TRUTH_P50_MS, TRUTH_P99_MS = 0.5, 3.0
OPEN_NEEDS = ("nginx", "hey", "h2load")
TRUTH_NEEDS = ("nginx", "nginx-echo", "wrk", "hey")
LT, PACED, HEY, H2LOAD, WRK = (
    "loadtui --rate",
    "loadtui paced closed",
    "hey -q",
    "h2load --rps",
    "wrk",
)


def run_open(ctx: Context, server: Nginx) -> dict[str, Any]:
    s, url, tmp = ctx.seconds, server.url, ctx.tmp
    text = scenario("open", url)
    levels: dict[str, Any] = {}
    for rate in OPEN_RATES:
        # The peers open their PEER_WORKERS connections before the first request;
        # loadtui is given the same (`warmup`), so no side pays a connect ramp in-run.
        warm = text + open_profile(rate, s, PEER_WORKERS)
        gens = {
            LT: lambda w=warm: http_row(run_loadtui("open", w, ["--profile", "open"], s, tmp)),
            HEY: lambda r=rate: peers.hey(url + "/", PEER_WORKERS, r, s),
            H2LOAD: lambda r=rate: peers.h2load(url + "/", PEER_WORKERS, s, tmp, rate=r, h1=True),
        }
        if rate in PACED_AT:
            paced = scenario("paced", url, wait=f"pacing({PACED_USERS / rate * 1e3:g}ms)")
            args = ["-u", str(PACED_USERS), "-r", "100000", "-t", f"{s:g}s"]
            gens[PACED] = lambda p=paced, a=args: http_row(run_loadtui("paced", p, a, s, tmp))
        levels[str(rate)] = alternate(f"open {rate:,}/s", gens, ctx)
    return {"levels": levels}


def tables_open(sec: dict[str, Any]) -> list[str]:
    rows = []
    for rate, level in sec["levels"].items():
        for name, m in level["median"].items():
            us = m.get("user_us", float("nan")) + m.get("system_us", float("nan"))
            rows.append([
                f"{int(rate):,}", name, num(m.get("rps")),
                num(100 * ratio(m.get("rps"), float(rate)), 1, " %"), num(m.get("failures")),
                num(m.get("dropped")) if name.startswith("loadtui") else "-",
                num(m.get("late_starts")) if name.startswith("loadtui") else "-",
                num(m.get("p50_ms"), 2), num(m.get("p99_ms"), 2), num(m.get("cpu_percent")),
                num(us, 1), _sat(m) if name.startswith("loadtui") else "-",
            ])  # fmt: skip
    head = ["asked /s", "generator", "achieved /s", "of asked", "failed", "dropped", "late",
            "p50 ms", "p99 ms", "CPU %", "CPU µs/req", "saturated"]  # fmt: skip
    return [
        f"### Open model against nginx (HTTP/1.1; hey and h2load: {PEER_WORKERS} workers; "
        "CPU: loadtui over the steady part of its run, the peers over their whole process)",
        "",
        *table(head, rows),
    ]


def _sat(m: dict[str, float]) -> str:
    v = m.get("saturated")
    return "-" if v is None else "yes" if v >= 0.5 else "no"


def goals_open(sec: dict[str, Any]) -> list[Goal]:
    levels = sec["levels"]
    out: list[Goal] = []
    top = max(OPEN_RATES)
    lt = levels[str(top)]["median"][LT]
    got = ratio(lt.get("rps"), float(top))
    out.append(judged(
        f"open: ≥ {top:,} req/s achieved within 1 % of asked, one process", got,
        lambda v: v >= 0.99, f"{num(lt.get('rps'))} of {top:,} req/s ({100 * got:.1f} %)",
    ))  # fmt: skip
    for rate in PACED_AT:
        med = levels[str(rate)]["median"]
        open_us, closed_us = _cpu_us(med[LT]), _cpu_us(med[PACED])
        x = ratio(open_us, closed_us)
        out.append(judged(
            f"open: CPU per request ≤ 1.5× paced closed users' at {rate:,} req/s", x,
            lambda v: v <= 1.5, f"{x:.2f}× ({open_us:.1f} vs {closed_us:.1f} µs per request)",
        ))  # fmt: skip
    med = levels["20000"]["median"]
    p99, hey = med[LT].get("p99_ms"), med[HEY].get("p99_ms")
    x = ratio(p99, hey)
    out.append(judged(
        "open: at 20,000 req/s p99 within 2× hey's", x, lambda v: v <= 2.0,
        f"{x:.2f}× ({num(p99, 2)} vs {num(hey, 2)} ms)",
    ))  # fmt: skip
    return out


def _cpu_us(m: dict[str, float]) -> float:
    return m.get("user_us", float("nan")) + m.get("system_us", float("nan"))


def run_truth(ctx: Context, server: Nginx) -> dict[str, Any]:
    assert server.sleep_url is not None
    s, url, tmp = ctx.seconds, server.sleep_url, ctx.tmp
    text = scenario("truth", server.url, path=SLEEP_PATH)
    levels: dict[str, Any] = {}
    for rate in TRUTH_RATES:
        conns = max(1, round(rate * SLEEP_S))  # wrk: a fixed count doing ~rate req/s
        workers = max(1, round(rate * 2 * SLEEP_S))  # hey: 25 req/s each, 40 ms apart
        gens = {
            LT: lambda r=rate: http_row(
                run_loadtui("truth", text, ["--rate", str(r), "-t", f"{s:g}s"], s, tmp)
            ),
            f"{WRK} -c{conns}": lambda c=conns: peers.wrk(url, c, s),
            f"{HEY} ({workers} workers)": lambda r=rate, w=workers: peers.hey(url, w, r, s),
        }
        level = alternate(f"truth {rate:,}/s", gens, ctx)
        wrk_runs = level["runs"][f"{WRK} -c{conns}"]
        level["vs_wrk"] = [_versus(a, b) for a, b in zip(level["runs"][LT], wrk_runs, strict=True)]
        levels[str(rate)] = level
    return {"levels": levels, "true_ms": SLEEP_S * 1e3}


def _versus(lt: dict[str, Any], wrk: dict[str, Any]) -> dict[str, Any]:
    """One round: loadtui's p50/p99 minus wrk's, within the goal or not, saturated or not."""
    if "error" in lt or "error" in wrk:
        return {"error": lt.get("error") or wrk.get("error")}
    dp50, dp99 = lt["p50_ms"] - wrk["p50_ms"], lt["p99_ms"] - wrk["p99_ms"]
    return {
        "dp50_ms": dp50,
        "dp99_ms": dp99,
        "within": dp50 <= TRUTH_P50_MS and dp99 <= TRUTH_P99_MS,
        "saturated": bool(lt.get("saturated")),
    }


def tables_truth(sec: dict[str, Any]) -> list[str]:
    true_ms = sec["true_ms"]
    rows = []
    for rate, level in sec["levels"].items():
        for name, m in level["median"].items():
            rows.append([
                f"{int(rate):,}", name, num(m.get("rps")), num(m.get("p50_ms"), 2),
                num(m.get("p99_ms"), 2), signed(m.get("p50_ms", float("nan")) - true_ms),
                signed(m.get("p99_ms", float("nan")) - true_ms),
                num(m.get("late_starts")) if name == LT else "-", _sat(m) if name == LT else "-",
            ])  # fmt: skip
        rounds = ", ".join(
            f"{v['dp50_ms']:+.2f}/{v['dp99_ms']:+.2f}{' (saturated)' if v['saturated'] else ''}"
            if "error" not in v
            else "failed"
            for v in level["vs_wrk"]
        )
        rows.append([f"{int(rate):,}", "loadtui − wrk p50/p99, per round", rounds, *[""] * 6])
    head = ["asked /s", "generator", "achieved /s", "p50 ms", "p99 ms", "p50 − 20 ms",
            "p99 − 20 ms", "late", "saturated"]  # fmt: skip
    return [f"### Latency truth: every answer takes {true_ms:g} ms (nginx echo_sleep)", "",
            *table(head, rows)]  # fmt: skip


def goals_truth(sec: dict[str, Any]) -> list[Goal]:
    rounds = sec["levels"]["2000"]["vs_wrk"]
    done = [v for v in rounds if "error" not in v]
    if not done:
        return [Goal("truth: at 2,000 req/s within +0.5 ms p50 / +3 ms p99 of wrk", None,
                     "no round ran")]  # fmt: skip
    figures = ", ".join(f"{v['dp50_ms']:+.2f}/{v['dp99_ms']:+.2f} ms" for v in done)
    outside = [v for v in done if not v["within"]]
    warned = sum(v["saturated"] for v in outside)
    return [
        Goal(
            "truth: at 2,000 req/s p50 within +0.5 ms and p99 within +3 ms of wrk, every round",
            not outside and len(done) == len(rounds), f"p50/p99 − wrk's per round: {figures}",
        ),
        Goal(
            "truth: every round outside that carries the saturation warning",
            all(v["saturated"] for v in outside),
            f"{len(outside)} round(s) outside, {warned} with the warning",
        ),
    ]  # fmt: skip
