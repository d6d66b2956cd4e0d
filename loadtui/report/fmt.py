"""Number formatting shared by the text, Markdown and CSV renderings."""

from __future__ import annotations

from typing import TypedDict

from loadtui.report.schema import LatencyKey, LatencyMs, Report
from loadtui.scenario.threshold_metrics import metric_unit


class Named(TypedDict):
    """What names an endpoint: a report's endpoint row, or the two keys alone."""

    name: str
    method: str


def endpoint_label(row: Named) -> str:
    """The endpoint's name; a bare path gets its method in front (`GET /items`)."""
    name, method = row["name"], row["method"]
    return f"{method} {name}" if method and name.startswith("/") else name


def names(report: Report) -> tuple[tuple[str, str], ...]:
    """What the run was, as (key, value): its scenario, target and profile."""
    return (
        ("scenario", report["scenario"]),
        ("target", report["target"]),
        ("profile", report["profile"]),
    )


def ms(value: float | None) -> str:
    """Latency in ms with about 3 significant digits: 0.42, 3.14, 12.3, 450, 12345."""
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:.0f}"


def latency(lat: LatencyMs, key: LatencyKey) -> str:
    """A cell of a report's `latency_ms`; "-" when nothing was measured (max is 0)."""
    if not lat["max"]:
        return "-"
    return ms(lat[key])


def count(value: int) -> str:
    return f"{value:,}"


def rate(value: float) -> str:
    """Requests per second."""
    if value < 10:
        return f"{value:.2f}"
    if value < 1000:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def pct(fraction: float) -> str:
    """A fraction as a percentage: 0.0123 → 1.23%."""
    value = fraction * 100
    if value == 0:
        return "0%"
    if value < 0.01:
        return "<0.01%"
    if value < 10:
        return f"{value:.2f}%"
    return f"{value:.1f}%"


def size(n: float) -> str:
    """Bytes: 512 B, 1.5 KiB, 23.4 MiB."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


def duration(seconds: float) -> str:
    """12.3s, 4m05s, 1h02m."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds), 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


def observed(metric: str, value: float | None) -> str:
    """A threshold's observed value in its metric's unit ("no data" for None): 1.23%,
    2,057, 12.3ms, 45.2 MiB, 83.0% (of one core), 10.2/s, false."""
    if value is None:
        return "no data"
    unit = metric_unit(metric)
    if unit == "fraction":
        return pct(value)
    if unit == "per_s":
        return f"{rate(value)}/s"
    if unit == "count":
        return count(int(value))
    if unit == "bytes":
        return size(value)
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "bool":
        return "true" if value else "false"
    if unit == "ms":
        return f"{ms(value)}ms"
    return f"{value:g}"


def saturation(report: Report) -> str | None:
    """The generator-saturated warning of a report, or None when it never was."""
    periods = report["saturation"]
    if not report["generator_saturated"] or not periods:
        return None
    total = sum(b - a for a, b in periods)
    spans = ", ".join(f"{duration(a)}-{duration(b)}" for a, b in periods[:5])
    return (
        f"generator saturated for {duration(total)} ({spans}): "
        "the figures may understate what the target can do"
    )
