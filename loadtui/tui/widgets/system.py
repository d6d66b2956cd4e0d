"""The load generator's own health (CPU, RSS, loop lag, fds) and the target's RSS/CPU
when it runs on this machine. RSS growth over the charted window is shown next to RSS,
so a soak's leak is visible as it happens; saturation is spelled out, because figures
from a saturated generator understate what the target can do."""

from __future__ import annotations

from rich.text import Text

from loadtui.metrics.snapshot import Snapshot
from loadtui.report import fmt
from loadtui.tui.history import History
from loadtui.tui.widgets.common import Pane, saturation, warning_line

CPU_HOT = 90.0  # the engine's saturation limits (engine/saturation.py), flagged early
LAG_HOT_MS = 10.0


def signed_size(change: float | None) -> str:
    if change is None:
        return "-"
    return ("+" if change >= 0 else "-") + fmt.size(abs(change))


def row(label: str, generator: str, target: str) -> str:
    return f"{label:<9}{generator:>11}{target:>11}"


def system_text(snap: Snapshot, history: History | None = None) -> Text:
    sys = snap.system
    samples = list(history) if history is not None else []
    span = samples[-1].t - samples[0].t if len(samples) > 1 else 0.0
    watched = sys.target_rss_bytes is not None or sys.target_cpu_percent is not None
    tcpu, trss = sys.target_cpu_percent, sys.target_rss_bytes
    lines = [Text(row("", "generator", "target"), style="bold")]
    hot = sys.cpu_percent > CPU_HOT
    cpu = row(
        "CPU",
        f"{'⚠ ' if hot else ''}{sys.cpu_percent:.0f}%",
        "-" if tcpu is None else f"{tcpu:.0f}%",
    )
    lines.append(Text(cpu, "bold red" if hot else ""))
    lines.append(Text(row("RSS", fmt.size(sys.rss_bytes), "-" if trss is None else fmt.size(trss))))
    if history is not None and span > 0:
        label = f"Δ {fmt.duration(span)}"
        lines.append(
            Text(
                row(
                    label,
                    signed_size(history.change("rss")),
                    signed_size(history.change("target_rss")),
                )
            )
        )
    slow = sys.loop_lag_ms > LAG_HOT_MS
    lag = f"loop lag {fmt.ms(sys.loop_lag_ms)} ms{' ⚠' if slow else ''}  fds {sys.fds}"
    lines.append(Text(lag, "bold red" if slow else ""))
    fleet = worker_lines(snap)
    if not watched and not fleet:  # a fleet's rows need the room more than this note
        lines.append(Text("target: not watched", style="dim"))
    lines += fleet
    warn = saturation(snap)
    if warn:
        lines.append(warning_line(warn))
    return Text("\n").join(lines)


def worker_lines(snap: Snapshot) -> list[Text]:
    """One line per generator when the run has several: its CPU, RSS, loop lag and
    whether it is saturated or lost (the generator column above is their sum)."""
    if len(snap.workers) <= 1:
        return []
    out = []  # alive/total is in the header
    for w in snap.workers:
        name = f"w{w.index}"
        if not w.alive:
            out.append(Text(f"{name:<4}lost", style="bold red"))
            continue
        hot = w.saturated or w.cpu_percent > CPU_HOT or w.loop_lag_ms > LAG_HOT_MS
        line = (
            f"{name:<4}{w.cpu_percent:>4.0f}%{fmt.size(w.rss_bytes):>9}"
            f"  lag {fmt.ms(w.loop_lag_ms)} ms{'  ⚠ saturated' if w.saturated else ''}"
        )
        out.append(Text(line, "bold red" if hot else ""))
    return out


class SystemPane(Pane):
    TITLE = "System"

    def show(self, snap: Snapshot, history: History | None = None) -> None:
        self.put(system_text(snap, history))
