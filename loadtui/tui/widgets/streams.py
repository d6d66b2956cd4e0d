"""WebSocket gauges, shared by the pool pane and the vitals strip.

Figures are the streams' total (`Snapshot.stream_total`, merged exactly by the
recorder); round trips are the last window's, handshake and gap the whole run's (few
handshakes land in one window). Nothing is drawn when no stream runs: the operator of
an HTTP-only run should not read a row of zeros as a broken stream.
"""

from __future__ import annotations

from rich.text import Text

from loadtui.metrics.recorder import TOTAL_NAME
from loadtui.metrics.snapshot import Latency, Snapshot, StreamStats
from loadtui.metrics.streams import combine
from loadtui.report import fmt
from loadtui.tui.widgets.common import short_count

TOP_COUNTS = 3  # close codes or refusal reasons shown


def streams_total(snap: Snapshot) -> StreamStats | None:
    """All streams together; None when no stream ran."""
    if not snap.streams:
        return None
    return snap.stream_total or combine(TOTAL_NAME, snap.streams)


def _ms(lat: Latency, attr: str) -> str:
    return fmt.ms(getattr(lat, attr)) if lat.count else "-"


def _top(counts: dict[int, int] | dict[str, int], n: int) -> list[tuple[object, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:n]


def stream_lines(ws: StreamStats) -> list[Text]:
    """Sessions, message rates, RTT, handshake/gap, drops, close codes (6 lines), then
    handshake failures by reason when there are any (the line a short pane may clip:
    the ✗ on the first line already says that sessions failed)."""
    sessions = Text(f"ws open {short_count(ws.open)}  conn {short_count(ws.connecting)}  ")
    if ws.failed:
        sessions.append(f"failed {short_count(ws.failed)} ✗", style="bold red")
    else:
        sessions.append("failed 0")
    lines = [sessions]
    lines.append(Text(f"msg/s out {fmt.rate(ws.sent_per_s)}  in {fmt.rate(ws.received_per_s)}"))
    rtt = ws.interval_rtt
    lines.append(
        Text(f"rtt p50 {_ms(rtt, 'p50')}  p95 {_ms(rtt, 'p95')}  p99 {_ms(rtt, 'p99')} ms")
    )
    lines.append(Text(f"handshake p95 {_ms(ws.handshake, 'p95')}  gap p95 {_ms(ws.gap, 'p95')} ms"))
    drops = Text(f"disconnects {short_count(ws.disconnects)}  ")
    if ws.disconnects:
        drops.stylize("bold yellow")
    drops.append(f"reconnects {short_count(ws.reconnects)}")
    lines.append(drops)
    lines.append(Text(f"close {_counts(ws.close_codes)}"))
    if ws.handshake_failures:
        lines.append(Text(f"refused {_counts(ws.handshake_failures)}", style="red"))
    return lines


def _counts(counts: dict[int, int] | dict[str, int]) -> str:
    """The most frequent keys: `1000:950 1006:3`, or `-` when none."""
    top = _top(counts, TOP_COUNTS)
    return " ".join(f"{key}:{short_count(n)}" for key, n in top) or "-"


def stream_vitals(ws: StreamStats) -> str:
    """The vitals strip's short form: `ws open 950 rtt p95 3.40ms`."""
    rtt = ws.interval_rtt
    p95 = f"{fmt.ms(rtt.p95)}ms" if rtt.count else "-"
    return f"ws open {short_count(ws.open)} rtt p95 {p95}"
