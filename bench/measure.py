"""Running one generator and measuring what it costs: CPU (user and system apart) and
RSS of its whole process tree, sampled with wall-clock stamps while it runs.

Whole-run figures come from the kernel (rusage of the reaped child, start-up included).
`steady()` gives the cost over the middle of a run instead: the generator's own
timeline (loadtui's and Locust's CSV history: wall time and cumulative requests) is
matched to the CPU samples, so interpreter start-up and shutdown are left out. Every
run has a hard deadline: a generator that overruns it is killed and said so.
"""

from __future__ import annotations

import csv
import math
import os
import signal
import subprocess
import tempfile
import time
from bisect import bisect_left
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from statistics import median
from typing import Any

import psutil

SAMPLE_S = 0.1
Row = dict[str, Any]  # figures (float) and, for a failed run, "error" (text)


@dataclass
class Sample:
    wall: float  # time.time()
    user: float  # CPU seconds of the tree so far
    system: float
    rss: int  # bytes, whole tree


@dataclass
class Usage:
    code: int
    wall_s: float
    user_s: float  # rusage of the reaped child (its waited-for children included)
    system_s: float
    out: str
    err: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.system_s

    def max_rss(self) -> int:
        return max((s.rss for s in self.samples), default=0)


class RunFailed(RuntimeError):
    """A generator that did not run (bad exit, no output): its round is recorded as failed."""


class Overran(RunFailed):
    pass


def _tree_sample(proc: psutil.Process) -> Sample | None:
    user = system = 0.0
    rss = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return None
    for p in members:
        with suppress(psutil.Error):
            t = p.cpu_times()
            user += t.user
            system += t.system
            rss += p.memory_info().rss
    return Sample(time.time(), user, system, rss)


def run(
    cmd: list[str],
    deadline_s: float,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Usage:
    """Run `cmd` to completion, sampling its tree every 0.1 s; kill it (and raise
    Overran) past `deadline_s`. Output goes through files, so a chatty tool cannot block."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd,
            start_new_session=True,  # so an overrun kills its children too
        )  # fmt: skip
        ps = psutil.Process(proc.pid)
        samples: list[Sample] = []
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() - t0 > deadline_s:
                    name = os.path.basename(cmd[0])
                    raise Overran(f"{name} still running after {deadline_s:.0f} s")
                sample = _tree_sample(ps)
                if sample is not None:
                    samples.append(sample)
                time.sleep(SAMPLE_S)
        except BaseException:  # an overrun, or Ctrl-C: its own session would outlive us
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Usage(
            code=proc.returncode,
            wall_s=time.monotonic() - t0,
            user_s=usage.ru_utime,
            system_s=usage.ru_stime,
            out=out.read(),
            err=err.read(),
            samples=samples,
        )


def read_history(path: Path, *, locust: bool = False) -> list[dict[str, str]]:
    """Aggregated rows of a CSV history (loadtui `--csv` or Locust `--csv`), each with a
    float "wall" added (loadtui stamps ISO text, Locust epoch seconds)."""
    with path.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("Name") == "Aggregated"]
    for r in rows:
        stamp = r["Timestamp"]
        r["wall"] = stamp if locust else str(datetime.fromisoformat(stamp).timestamp())
    return rows


def cpu_at(samples: list[Sample], wall: float) -> tuple[float, float]:
    """(user, system) CPU seconds at `wall`, interpolated between the samples around it."""
    walls = [s.wall for s in samples]
    i = bisect_left(walls, wall)
    if i == 0 or i >= len(samples):
        s = samples[min(i, len(samples) - 1)]
        return s.user, s.system
    a, b = samples[i - 1], samples[i]
    f = (wall - a.wall) / (b.wall - a.wall) if b.wall > a.wall else 0.0
    return a.user + f * (b.user - a.user), a.system + f * (b.system - a.system)


def steady(
    usage: Usage, history: list[dict[str, str]], skip_s: float, count: str = "Total Request Count"
) -> Row | None:
    """Cost per unit over the steady part of a run: from `skip_s` after the history's
    first row to its second-to-last row. `count` names the cumulative column (or a
    per-second rate column, summed over the rows' intervals). None when too short."""
    if len(history) < 3 or len(usage.samples) < 2:
        return None
    walls = [float(r["wall"]) for r in history]
    start = next((i for i, w in enumerate(walls) if w >= walls[0] + skip_s), None)
    end = len(history) - 2
    if start is None or end <= start:
        return None
    if count.endswith("/s"):
        done = sum(
            float(history[i][count]) * (walls[i] - walls[i - 1]) for i in range(start + 1, end + 1)
        )
    else:
        done = float(history[end][count]) - float(history[start][count])
    return _cost(usage, walls[start], walls[end], done)


def steady_at_rate(
    usage: Usage, history: list[dict[str, str]], skip_s: float, rate: float
) -> Row | None:
    """As `steady()` for a generator whose history stamps whole seconds (Locust): the
    window is cut from the history with `skip_s` of margin at both ends, its CPU read
    from the samples, and the work done in it taken as `rate` (the run's mean) × length."""
    if len(history) < 2 or len(usage.samples) < 2 or rate <= 0:
        return None
    start, end = float(history[0]["wall"]) + skip_s, float(history[-1]["wall"]) - skip_s
    if end - start < 1.0:
        return None
    return _cost(usage, start, end, rate * (end - start))


def _cost(usage: Usage, start: float, end: float, done: float) -> Row | None:
    """`done` units of work between the walls `start` and `end`: their rate and CPU."""
    u0, s0 = cpu_at(usage.samples, start)
    u1, s1 = cpu_at(usage.samples, end)
    secs, cpu = end - start, u1 - u0 + s1 - s0
    if done <= 0 or secs <= 0:
        return None
    return {
        "window_s": secs,
        "count": done,
        "per_s": done / secs,
        "cpu_percent": 100.0 * cpu / secs,
        "user_us": 1e6 * (u1 - u0) / done,
        "system_us": 1e6 * (s1 - s0) / done,
        "per_cpu_s": done / cpu if cpu > 0 else math.nan,
    }


def whole(usage: Usage, count: float, seconds: float) -> Row:
    """Cost per unit over the whole process (start-up included)."""
    return {
        "cpu_percent": 100.0 * usage.cpu_s / seconds if seconds else math.nan,
        "user_us": 1e6 * usage.user_s / count if count else math.nan,
        "system_us": 1e6 * usage.system_s / count if count else math.nan,
        "per_cpu_s": count / usage.cpu_s if usage.cpu_s else math.nan,
    }


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def medians(rows: list[Row]) -> Row:
    """Per numeric key, the median over the rounds that have a finite value for it."""
    keys = dict.fromkeys(k for r in rows for k, v in r.items() if isinstance(v, int | float))
    out: Row = {}
    for k in keys:
        vals = [r[k] for r in rows if isinstance(r.get(k), int | float) and math.isfinite(r[k])]
        out[k] = median(vals) if vals else math.nan
    return out
