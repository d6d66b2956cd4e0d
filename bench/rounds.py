"""What every mode of the suite shares: generators taking turns for several rounds, the
goals they are judged by, and markdown tables.

Generators alternate within a round, and the order reverses every other round, so a
shared machine's drift hits them all alike; the load average is recorded before each
round and each run. A generator that fails in a round is recorded with its error and
the suite goes on; the medians are over the rounds that produced a figure.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from measure import Row, RunFailed, loadavg, medians

Runner = Callable[[], Row]


@dataclass(frozen=True)
class Context:
    seconds: float  # length of one run
    rounds: int
    quick: bool
    tmp: Path


@dataclass(frozen=True)
class Goal:
    """One line of the issue's goals: met (True/False) or not judged (None), and why."""

    text: str
    met: bool | None
    figure: str

    def line(self) -> str:
        mark = {True: "MET", False: "MISSED", None: "n/a"}[self.met]
        return f"- **{mark}** {self.text}: {self.figure}"

    def as_json(self) -> dict[str, Any]:
        return {"goal": self.text, "met": self.met, "figure": self.figure}


def alternate(
    label: str, generators: Mapping[str, Runner], ctx: Context, headline: str = "rps"
) -> dict[str, Any]:
    """Run every generator once per round, in turn; per generator its rows and medians."""
    runs: dict[str, list[Row]] = {name: [] for name in generators}
    loads: list[list[float]] = []
    names = list(generators)
    for r in range(ctx.rounds):
        loads.append(loadavg())
        for name in names if r % 2 == 0 else names[::-1]:
            load = loadavg()
            t0 = time.monotonic()
            try:
                row = generators[name]()
            except RunFailed as exc:
                row = {"error": str(exc)}
            except (OSError, ValueError, KeyError, StopIteration) as exc:  # unreadable output
                row = {"error": f"{type(exc).__name__}: {exc}"}
            row["load"] = load
            row["wall_s"] = round(time.monotonic() - t0, 1)
            runs[name].append(row)
            shown = (
                f"{row[headline]:>10,.0f} {headline}"
                if isinstance(row.get(headline), float | int)
                else f"failed: {row.get('error')}"
            )
            print(
                f"  {label} round {r + 1}/{ctx.rounds}: {name:<28} {shown}  (load {load[0]:.2f})",
                flush=True,
            )
    return {
        "runs": runs,
        "load": loads,
        "median": {
            name: medians([x for x in rows if "error" not in x]) for name, rows in runs.items()
        },
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A markdown table; columns after the first are right-aligned."""
    align = ["---"] + ["---:"] * (len(headers) - 1)
    return [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def num(value: Any, digits: int = 0, suffix: str = "") -> str:
    """A figure for a table: thousands separated, "-" when missing."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "-"
    return f"{value:,.{digits}f}{suffix}"


def signed(value: Any, digits: int = 2, suffix: str = " ms") -> str:
    """A difference for a table: always with its sign, "-" when missing."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "-"
    return f"{value:+,.{digits}f}{suffix}"


def ratio(a: Any, b: Any) -> float:
    ok = all(isinstance(v, int | float) and math.isfinite(v) for v in (a, b))
    return a / b if ok and b else math.nan


def judged(text: str, value: float, ok: Callable[[float], bool], figure: str) -> Goal:
    """A goal on one figure; not judged when the figure is missing."""
    if not math.isfinite(value):
        return Goal(text, None, "no figure (the run failed or did not run)")
    return Goal(text, ok(value), figure)
