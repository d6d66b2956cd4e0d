"""The peer generators, each run once and read back into one row of figures.

Rows share their keys: `rps`, `requests`, `failures`, `p50_ms`, `p99_ms` and the cost
figures of measure.whole() or measure.steady*() (`cpu_percent`, `user_us`, `system_us`
per request, `per_cpu_s`). The native tools (wrk, ab, hey, h2load) are costed over the
whole process (their start-up is a few ms); Locust over the steady part of its own
CSV history, like loadtui. Loopback only; every run is bounded by its own duration and
killed past a deadline.
"""

from __future__ import annotations

import csv
import math
import re
import shutil
from pathlib import Path

from measure import Row, RunFailed, Usage, read_history, run, steady_at_rate, whole
from tools import LOCUST

HERE = Path(__file__).resolve().parent
SLACK_S = 30.0  # past its duration, a generator is given this long before it is killed

_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RunFailed(f"{name} is not installed")
    return path


def _checked(usage: Usage, name: str) -> Usage:
    if usage.code != 0:
        last = (usage.err.strip() or usage.out.strip()).splitlines()[-1:] or ["no output"]
        raise RunFailed(f"{name} exited {usage.code}: {last[0][:200]}")
    return usage


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of `values`, sorted or not."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def wrk_ms(text: str) -> float:
    """wrk's latency text ("812.00us", "1.25ms", "2.01s") in ms."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(m.group(1)) * _UNITS_MS[m.group(2)] if m else math.nan


def parse_wrk(out: str) -> Row:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if rps is None or total is None:
        raise RunFailed("wrk printed no summary")
    # Anchored at a line's start: the thread-stats line ends with a share such as
    # "98.50%", which an unanchored "50%" would take for the distribution's line.
    p50 = re.search(r"^\s*50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE)
    return {
        "rps": float(rps.group(1)),
        "requests": float(total.group(1)),
        "failures": float(sum(int(g) for g in errors.groups()) if errors else 0)
        + float(non2xx.group(1) if non2xx else 0),
        "p50_ms": wrk_ms(p50.group(1)) if p50 else math.nan,
        "p99_ms": wrk_ms(p99.group(1)) if p99 else math.nan,
    }


def wrk(url: str, connections: int, seconds: float) -> Row:
    cmd = [_tool("wrk"), "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", url]
    usage = _checked(run(cmd, seconds + SLACK_S), "wrk")
    row = parse_wrk(usage.out)
    return row | whole(usage, row["requests"], usage.wall_s)


def parse_ab(out: str, percentiles_csv: str) -> Row:
    rps = re.search(r"Requests per second:\s+([\d.]+)", out)
    done = re.search(r"Complete requests:\s+(\d+)", out)
    failed = re.search(r"Failed requests:\s+(\d+)", out)
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    if rps is None or done is None:
        raise RunFailed("ab printed no summary")
    table = {int(r[0]): float(r[1]) for r in csv.reader(percentiles_csv.splitlines()[1:]) if r}
    return {
        "rps": float(rps.group(1)),
        "requests": float(done.group(1)),
        "failures": float(failed.group(1) if failed else 0)
        + float(non2xx.group(1) if non2xx else 0),
        "p50_ms": table.get(50, math.nan),
        "p99_ms": table.get(99, math.nan),
    }


def ab(url: str, connections: int, seconds: float, tmp: Path) -> Row:
    """ApacheBench with keep-alive; its `-e` file gives percentiles below 1 ms."""
    table = tmp / "ab-percentiles.csv"
    cmd = [_tool("ab"), "-k", "-q", "-c", str(connections), "-t", f"{seconds:g}"]
    cmd += ["-n", "100000000", "-e", str(table), url]
    usage = _checked(run(cmd, seconds + SLACK_S), "ab")
    row = parse_ab(usage.out, table.read_text())
    return row | whole(usage, row["requests"], usage.wall_s)


def parse_hey(out: str) -> Row:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rps is None:
        raise RunFailed("hey printed no summary")
    pct = {int(p): float(s) * 1e3 for p, s in re.findall(r"(\d+)% in ([\d.]+) secs", out)}
    statuses = {int(c): int(n) for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", out)}
    errors = re.search(r"Error distribution:\n((?:\s+\[\d+\].*\n?)+)", out)
    n_errors = sum(int(n) for n in re.findall(r"\[(\d+)\]", errors.group(1))) if errors else 0
    return {
        "rps": float(rps.group(1)),
        "requests": float(sum(statuses.values()) + n_errors),
        "failures": float(sum(n for c, n in statuses.items() if c >= 400) + n_errors),
        "p50_ms": pct.get(50, math.nan),
        "p99_ms": pct.get(99, math.nan),
    }


def hey(url: str, workers: int, rate: float, seconds: float) -> Row:
    """hey paced at `rate` req/s in all: its -q is per worker, so each gets rate/workers."""
    cmd = [
        _tool("hey"),
        "-z",
        f"{seconds:g}s",
        "-c",
        str(workers),
        "-q",
        f"{rate / workers:g}",
        url,
    ]
    usage = _checked(run(cmd, seconds + SLACK_S), "hey")
    row = parse_hey(usage.out)
    return row | whole(usage, row["requests"], usage.wall_s)


def parse_h2load(out: str, log: str) -> Row:
    fin = re.search(r"finished in ([\d.]+)(us|ms|s), ([\d.]+) req/s", out)
    req = re.search(
        r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed", out
    )
    if fin is None or req is None:
        raise RunFailed("h2load printed no summary")
    # its log: start µs, status, µs to the end of the response (from the actual send)
    lat = [int(c[2]) / 1e3 for c in (ln.split("\t") for ln in log.splitlines()) if len(c) >= 3]
    return {
        "rps": float(fin.group(3)),
        "requests": float(req.group(3)),
        "failures": float(req.group(5)),
        "p50_ms": percentile(lat, 50),
        "p99_ms": percentile(lat, 99),
    }


def h2load(
    url: str,
    clients: int,
    seconds: float,
    tmp: Path,
    *,
    streams: int = 1,
    rate: float | None = None,
    h1: bool = False,
) -> Row:
    """h2load for `seconds` (-D); its per-request log gives p50/p99. With `rate`, each
    client asks rate/clients req/s (--rps is per client)."""
    log = tmp / "h2load.log"
    cmd = [_tool("h2load"), "-c", str(clients), "-m", str(streams), "-D", f"{seconds:g}"]
    cmd.append(f"--log-file={log}")
    if h1:
        cmd.append("--h1")
    if rate is not None:
        cmd.append(f"--rps={rate / clients:g}")
    usage = _checked(run([*cmd, url], seconds + SLACK_S), "h2load")
    row = parse_h2load(usage.out, log.read_text())
    return row | whole(usage, row["requests"], usage.wall_s)


def locust(user: str, url: str, users: int, seconds: float, tmp: Path) -> Row:
    """One Locust process (no workers), the user class of bench/locust_users.py picked by
    name; figures from its CSV's Aggregated row (percentiles rounded to 2 digits)."""
    if not LOCUST.exists():
        raise RunFailed("Locust is not installed in bench/.venv-locust")
    prefix = tmp / f"locust-{user}"
    cmd = [str(LOCUST), "-f", str(HERE / "locust_users.py"), "--headless", "--only-summary"]
    cmd += ["-u", str(users), "-r", str(users), "-t", f"{seconds:g}s", "--host", url]
    cmd += ["--csv", str(prefix), "--loglevel", "ERROR", user]
    usage = run(cmd, seconds + SLACK_S)
    if usage.code not in (0, 1):  # 1: some requests failed
        raise RunFailed(f"locust exited {usage.code}: {usage.err.strip()[-200:]}")
    with open(f"{prefix}_stats.csv", newline="") as f:
        agg = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    row: Row = {
        "rps": float(agg["Requests/s"]),
        "requests": float(agg["Request Count"]),
        "failures": float(agg["Failure Count"]),
        "p50_ms": _number(agg["50%"]),  # "N/A" when nothing was answered
        "p99_ms": _number(agg["99%"]),
    }
    history = read_history(Path(f"{prefix}_stats_history.csv"), locust=True)
    cost = steady_at_rate(usage, history, 1.0, row["rps"])
    row["cpu_steady"] = 1.0 if cost else 0.0
    return row | (cost or whole(usage, row["requests"], usage.wall_s))
