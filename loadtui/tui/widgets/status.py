"""Status codes and error kinds over the whole run, with rate limiting in its own lane:
429s and 503-with-Retry-After are the target saying "slow down", not latency or
failures of the code under test, so they are counted apart (and how long we waited)."""

from __future__ import annotations

from rich.text import Text

from loadtui.metrics.snapshot import RateLimit, Snapshot
from loadtui.report import fmt
from loadtui.tui.widgets.common import Pane, short_count

MAX_CODES = 8
MAX_ERRORS = 6
CLASS_MARKS = {1: ("·", ""), 2: ("✓", "green"), 3: ("→", ""), 4: ("!", "yellow"), 5: ("✗", "red")}


def codes_lines(codes: dict[int, int]) -> list[Text]:
    total = sum(codes.values())
    if not total:
        return [Text("no responses yet", style="dim")]
    shown = sorted(codes.items())
    if len(shown) > MAX_CODES:
        top = sorted(shown, key=lambda kv: -kv[1])[: MAX_CODES - 1]
        rest = sum(n for c, n in shown if (c, n) not in top)
        shown = [*sorted(top), (0, rest)]
    lines = []
    for code, n in shown:
        mark, style = CLASS_MARKS.get(code // 100, ("?", ""))
        name = str(code) if code else "other"
        line = Text(f"{mark} {name:<5} {short_count(n):>10} {fmt.pct(n / total):>7}")
        line.stylize(style, 0, 1)
        lines.append(line)
    return lines


def errors_lines(errors: dict[str, int], requests: int) -> list[Text]:
    if not errors:
        return [Text("no errors", style="dim")]
    shown = sorted(errors.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_ERRORS]
    lines = []
    for kind, n in shown:
        share = fmt.pct(n / requests) if requests else ""
        lines.append(Text(f"✗ {kind[:16]:<16} {short_count(n):>8} {share:>7}", style="red"))
    if len(errors) > MAX_ERRORS:
        lines.append(Text(f"  … {len(errors) - MAX_ERRORS} more kinds", style="dim"))
    return lines


def rate_limit_lines(rl: RateLimit) -> list[Text]:
    if not rl.responses:
        return [Text("none", style="dim")]
    return [
        Text(f"responses {short_count(rl.responses)}  with Retry-After {rl.with_retry_after}"),
        Text(f"honoured {rl.honoured}  waited {fmt.duration(rl.waited_s)}"),
    ]


def status_text(snap: Snapshot) -> Text:
    total = snap.total
    parts: list[Text] = [Text("Status codes (whole run)", style="bold")]
    parts += codes_lines(total.status_codes)
    parts.append(Text("Errors", style="bold"))
    parts += errors_lines(total.errors, total.requests)
    parts.append(Text("Rate limited (429 / 503 + Retry-After)", style="bold"))
    parts += rate_limit_lines(snap.rate_limit)
    return Text("\n").join(parts)


class StatusPane(Pane):
    TITLE = "Status & errors"

    def show(self, snap: Snapshot) -> None:
        self.put(status_text(snap))
