"""Whether the target answered at all: the verdict no threshold can give.

A run that sent requests (or WebSocket handshakes) and got nothing back (no status code,
no session opened, no message) proves nothing about the target, whatever its thresholds
say: `loadtui run` exits 3 and the console says so when quitting. When every failure was
a failure to connect, the line says the target was unreachable instead.
"""

from __future__ import annotations

from loadtui.metrics.snapshot import Snapshot

# Endpoint error kinds that mean no connection was ever made.
CONNECT_KINDS = frozenset({"refused", "dns", "connect_timeout", "tls", "unreachable"})
# WebSocket handshake failures that mean the same.
WS_CONNECT_REASONS = frozenset({"refused", "dns", "tls"})
# Refused upgrades the server did answer: an HTTP status ("401"), or a reply that was not
# a valid upgrade.
WS_ANSWERS = frozenset({"not websocket", "subprotocol"})
# Failures before anything was sent (a template's variable, a Python task's own error).
NOT_SENT = ("missing variable", "python:", "bad url")


def never_answered(final: Snapshot) -> str | None:
    """One line when something was sent and nothing ever answered; else None."""
    total = final.total
    opened = sum(s.opened for s in final.streams)
    received = sum(s.messages_received for s in final.streams)
    if sum(total.status_codes.values()) or opened or received:
        return None
    if any(r.isdigit() or r in WS_ANSWERS for s in final.streams for r in s.handshake_failures):
        return None
    errors = {k: n for k, n in total.errors.items() if not k.startswith(NOT_SENT)}
    ws_fails: dict[str, int] = {}
    for s in final.streams:
        for reason, n in s.handshake_failures.items():
            if not reason.startswith(NOT_SENT):
                ws_fails[reason] = ws_fails.get(reason, 0) + n
    requests, handshakes = sum(errors.values()), sum(ws_fails.values())
    if not requests and not handshakes:
        return None  # nothing reached the network: not the target's doing
    if set(errors) <= CONNECT_KINDS and set(ws_fails) <= WS_CONNECT_REASONS:
        counts = dict(errors)
        for reason, n in ws_fails.items():
            counts[f"websocket {reason}"] = n
        kinds = ", ".join(f"{k} x{n}" for k, n in counts.items())
        return f"target unreachable for the whole run ({kinds})"
    sent = [
        _count(requests, "request", "requests"),
        _count(handshakes, "WebSocket handshake", "WebSocket handshakes"),
    ]
    return f"target never answered: {' and '.join(p for p in sent if p)} sent, 0 answered"


def _count(n: int, one: str, many: str) -> str:
    return "" if not n else f"{n} {one if n == 1 else many}"


def nothing_succeeded(final: Snapshot) -> str | None:
    """One line when the target answered but served nothing: every request failed and
    no WebSocket session stayed up or delivered a message. Such a run fails whatever its
    thresholds (a p95 gate over error pages is no evidence the target served load)."""
    total = final.total
    streams = final.streams
    attempted = sum(s.opened + s.failed for s in streams)
    if not total.requests and not attempted:
        return None
    if total.requests > total.failures:
        return None
    if any(s.messages_received or s.opened > s.disconnects for s in streams):
        return None
    parts = []
    if total.requests:
        kinds = ", ".join(f"{k} x{n}" for k, n in sorted(total.errors.items(), key=_most)[:3])
        parts.append(f"{total.requests} requests, all failed ({kinds})")
    if attempted:
        parts.append(f"{attempted} WebSocket sessions, none served")
    return "nothing succeeded: " + "; ".join(parts)


def _most(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])
