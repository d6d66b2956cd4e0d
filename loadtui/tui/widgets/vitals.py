"""Two lines for narrow terminals: the generator's health, the pool, the top status
codes and the error rate (and, while streams run, open sessions and their RTT), so the
Overview tab at 80x24 answers "is it healthy?" next to the live percentiles without
switching tabs."""

from __future__ import annotations

from rich.text import Text

from loadtui.metrics.snapshot import Snapshot
from loadtui.report import fmt
from loadtui.tui.widgets.common import Pane, saturation
from loadtui.tui.widgets.streams import stream_vitals, streams_total

TOP_CODES = 3


def vitals_text(snap: Snapshot) -> Text:
    sys, pool, total = snap.system, snap.pool, snap.total
    line1 = Text(no_wrap=True, overflow="ellipsis")
    line1.append(f"RSS {fmt.size(sys.rss_bytes)}  CPU {sys.cpu_percent:.0f}%  ")
    line1.append(f"lag {fmt.ms(sys.loop_lag_ms)}ms  ")
    line1.append(f"pool open {pool.open} use {pool.in_use} wait {pool.waiting}")
    if sys.target_rss_bytes is not None:
        line1.append(f"  target RSS {fmt.size(sys.target_rss_bytes)}")
    line2 = Text(no_wrap=True, overflow="ellipsis")
    errors = total.failures / total.requests if total.requests else 0.0
    line2.append("run: ")
    line2.append(f"errors {fmt.pct(errors)}", style="bold red" if errors else "")
    codes = total.status_codes
    answered = sum(codes.values())
    if answered:
        line2.append("  codes")
        for code, n in sorted(codes.items(), key=lambda kv: -kv[1])[:TOP_CODES]:
            line2.append(f" {code}:{fmt.pct(n / answered)}")
    if snap.rate_limit.responses:
        line2.append(f"  rate-limited {snap.rate_limit.responses}", style="bold yellow")
    warn = saturation(snap)
    if warn:
        line2.append(f"  ⚠ {warn.upper()}", style="bold reverse red")
    ws = streams_total(snap)
    if ws is not None:  # last: the saturation warning must never be the part cut off
        line2.append(f"  {stream_vitals(ws)}")
    return Text("\n").join([line1, line2])


class VitalsStrip(Pane):
    def show(self, snap: Snapshot) -> None:
        self.put(vitals_text(snap))
