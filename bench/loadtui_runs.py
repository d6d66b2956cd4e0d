"""loadtui as a benchmark generator: the scenarios the suite runs and one headless run
read back from its JSON report and its CSV history.

Each run is `python -m loadtui run SCENARIO ... -q --report-json --csv` in its own
process, sampled by measure.run(); its cost per request is taken over the steady part
of the history (start-up and the final grace left out), the whole-process figure kept
beside it as `whole_*`.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from measure import Row, RunFailed, Usage, read_history, run, steady, whole

SLACK_S = 60.0  # start-up, grace and report writing, before the run is killed

TARGET = """
name = "bench-{name}"
[targets.t]
url = "{url}"
verify_tls = false
http2 = {http2}
max_connections = {max_connections}
"""

HTTP_USER = """
[[users]]
name = "u"
wait = "{wait}"
[[users.tasks]]
name = "get"
path = "{path}"
"""

WS_USER = """
[[users]]
name = "streamer"
[users.websocket]
path = "/"
send = {{ every = "{every}", text = "ping-{{seq}}" }}
expect = "echo"
ping = "off"
"""

PLATEAUS = """
[profiles.plateaus]
stages = [{stages}]
"""

OPEN_RATE = """
[profiles.open]
warmup = {warmup}
stages = [{{ duration = "{seconds:g}s", rate = {rate:g} }}]
"""


def open_profile(rate: float, seconds: float, warmup: int) -> str:
    """An open-model profile (`--profile open`) that opens `warmup` connections before
    t = 0, as the peers it is compared with open theirs before their first request."""
    return OPEN_RATE.format(rate=rate, seconds=seconds, warmup=warmup)


def scenario(
    name: str,
    url: str,
    *,
    path: str = "/",
    wait: str = "none",
    http2: bool = False,
    max_connections: int = 10_000,
    plateaus: tuple[tuple[int, float, int], ...] = (),
    ws_every: str | None = None,
) -> str:
    """A one-target, one-user-class scenario; `plateaus` are (users, seconds, spawn/s) stages."""
    text = TARGET.format(
        name=name, url=url, http2=str(http2).lower(), max_connections=max_connections
    )
    text += WS_USER.format(every=ws_every) if ws_every else HTTP_USER.format(wait=wait, path=path)
    if plateaus:
        stages = ", ".join(
            f'{{ duration = "{hold:g}s", users = {users}, spawn_rate = {spawn} }}'
            for users, hold, spawn in plateaus
        )
        text += PLATEAUS.format(stages=stages)
    return text


@dataclass
class LoadtuiRun:
    report: dict[str, Any]
    history: list[dict[str, str]]
    usage: Usage


def run_loadtui(name: str, text: str, args: list[str], seconds: float, tmp: Path) -> LoadtuiRun:
    """Write the scenario, run it headless with `args` (e.g. -u/-r/-t or --rate), read back."""
    scen, report, prefix = tmp / f"{name}.toml", tmp / f"{name}.json", tmp / name
    scen.write_text(text)
    report.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "loadtui", "run", str(scen), *args, "-q"]
    cmd += ["--report-json", str(report), "--csv", str(prefix)]
    usage = run(cmd, seconds + SLACK_S)
    if usage.code not in (0, 1) or not report.exists():
        last = usage.err.strip().splitlines()[-1:] or ["no output"]
        raise RunFailed(f"loadtui exited {usage.code}: {last[0][:200]}")
    history = read_history(Path(f"{prefix}_history.csv"))
    return LoadtuiRun(json.loads(report.read_text()), history, usage)


def http_row(r: LoadtuiRun, skip_s: float = 1.0) -> Row:
    """Request figures of a run, with its steady cost per request (whole-run beside)."""
    rep = r.report
    lat = rep["latency_ms"]
    om = rep.get("open_model") or {}
    row: Row = {
        "rps": rep["rps"],
        "requests": float(rep["requests"]),
        "failures": float(rep["failures"]),
        "p50_ms": lat["p50"],
        "p99_ms": lat["p99"],
        "late_starts": float(om.get("late_starts", 0)),
        "dropped": float(om.get("dropped", 0)),
        "saturated": 1.0 if rep.get("generator_saturated") else 0.0,
        "rss_max_mib": r.usage.max_rss() / 2**20,
    }
    full = whole(r.usage, row["requests"], rep["duration_s"] or math.nan)
    row |= {f"whole_{k}": v for k, v in full.items()}
    cost = steady(r.usage, r.history, skip_s)
    row["cpu_steady"] = 1.0 if cost else 0.0
    if cost:
        row["steady_rps"] = cost["per_s"]
    return row | (cost or full)


def max_users(history: list[dict[str, str]]) -> int:
    return max((int(float(r["User Count"] or 0)) for r in history), default=0)
