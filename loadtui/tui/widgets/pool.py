"""Connection pool gauges, the open model's scheduling health, and WebSocket streams.

Requests waiting for a connection, and open-model starts that are late or dropped,
mean the generator (not the target) is shaping the load: they sit next to the pool
so the operator sees that before trusting a latency figure. While streams run, the
HTTP part shrinks to two lines and the stream gauges (widgets/streams.py) follow."""

from __future__ import annotations

from rich.text import Text

from loadtui.metrics.snapshot import LoadState, Snapshot
from loadtui.report import fmt
from loadtui.tui.widgets.common import Pane, short_count
from loadtui.tui.widgets.streams import stream_lines, streams_total


def pool_text(snap: Snapshot) -> Text:
    ws = streams_total(snap)
    if ws is not None:  # room for the stream gauges: the HTTP part in two lines, if any
        http = _http_compact(snap) if _has_http(snap) else []
        return Text("\n").join([*http, *stream_lines(ws)])
    pool, load = snap.pool, snap.load
    lines = [Text(f"open {pool.open}  in use {pool.in_use}  idle {pool.idle}")]
    lines.append(_waiting(pool.waiting))
    lines.append(
        Text(f"new {fmt.rate(pool.connects_per_s)}/s  connect {fmt.ms(pool.connect_ms_mean)} ms")
    )
    errors = Text(f"connects {short_count(pool.connects)}  errors {pool.connect_errors}")
    if pool.connect_errors:
        errors.append(" ✗")
        errors.stylize("bold red")
    lines.append(errors)
    lines.append(_scheduling(load))
    return Text("\n").join(lines)


def _waiting(waiting: int) -> Text:
    text = Text(f"waiting {waiting}")
    if waiting:
        text.append(" ⚠ queued for a connection")
        text.stylize("bold yellow")
    return text


def _scheduling(load: LoadState) -> Text:
    if load.model != "open":
        return Text(f"in flight {load.inflight}")
    sched = Text(f"in flight {load.inflight}  late {load.late_starts}  dropped {load.dropped}")
    if load.dropped:
        sched.append(" ✗")
        sched.stylize("bold red")
    return sched


def _has_http(snap: Snapshot) -> bool:
    """Whether HTTP traffic ever ran (a stream-only run has nothing to show)."""
    pool = snap.pool
    return bool(pool.open or pool.connects or pool.connect_errors or snap.total.requests)


def _http_compact(snap: Snapshot) -> list[Text]:
    pool = snap.pool
    line = Text(f"http open {pool.open}  use {pool.in_use}  ")
    if pool.waiting:
        line.append(f"wait {pool.waiting} ⚠", style="bold yellow")
    else:
        line.append("wait 0")
    if pool.connect_errors:
        line.append(f"  errors {pool.connect_errors} ✗", style="bold red")
    return [line, _scheduling(snap.load)]


class PoolPane(Pane):
    TITLE = "HTTP pool"
    STREAMS_TITLE = "HTTP pool · WebSocket"
    STREAMS_ONLY_TITLE = "WebSocket"

    def show(self, snap: Snapshot) -> None:
        if not snap.streams:
            title = self.TITLE
        else:
            title = self.STREAMS_TITLE if _has_http(snap) else self.STREAMS_ONLY_TITLE
        if self.border_title != title:
            self.border_title = title
        self.put(pool_text(snap))
