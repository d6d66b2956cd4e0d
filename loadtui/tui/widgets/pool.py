"""Connection pool gauges and the open model's scheduling health.

Requests waiting for a connection, and open-model starts that are late or dropped,
mean the generator (not the target) is shaping the load: they sit next to the pool
so the operator sees that before trusting a latency figure."""

from __future__ import annotations

from rich.text import Text

from loadtui.metrics.snapshot import Snapshot
from loadtui.report import fmt
from loadtui.tui.widgets.common import Pane, short_count


def pool_text(snap: Snapshot) -> Text:
    pool, load = snap.pool, snap.load
    lines = [Text(f"open {pool.open}  in use {pool.in_use}  idle {pool.idle}")]
    waiting = Text(f"waiting {pool.waiting}")
    if pool.waiting:
        waiting.append(" ⚠ queued for a connection")
        waiting.stylize("bold yellow")
    lines.append(waiting)
    lines.append(
        Text(f"new {fmt.rate(pool.connects_per_s)}/s  connect {fmt.ms(pool.connect_ms_mean)} ms")
    )
    errors = Text(f"connects {short_count(pool.connects)}  errors {pool.connect_errors}")
    if pool.connect_errors:
        errors.append(" ✗")
        errors.stylize("bold red")
    lines.append(errors)
    if load.model == "open":
        sched = Text(f"in flight {load.inflight}  late {load.late_starts}  dropped {load.dropped}")
        if load.dropped:
            sched.append(" ✗")
            sched.stylize("bold red")
        lines.append(sched)
    else:
        lines.append(Text(f"in flight {load.inflight}"))
    # WebSocket gauges (sessions open / connecting / failed, messages/s, RTT) arrive
    # with the streams issue; until the Snapshot carries them this stays a label.
    lines.append(Text("WebSocket: no figures yet", style="dim"))
    return Text("\n").join(lines)


class PoolPane(Pane):
    TITLE = "HTTP pool"

    def show(self, snap: Snapshot) -> None:
        self.put(pool_text(snap))
