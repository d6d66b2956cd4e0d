"""Parsers for the small value languages of scenario files: durations, think times,
threshold expressions. Each raises ValueError with a message that shows the expected
form, so the loader can pass it to the operator unchanged."""

from __future__ import annotations

import math
import re

from loadtui.scenario.bounds import MAX_DURATION_S, duration_text
from loadtui.scenario.model import Backoff, Op, Wait
from loadtui.scenario.threshold_metrics import RATE_LIMITED_COUNT, Unit, metric_unit, scope_of

# unit -> (multiplier, divisor) to seconds; dividing keeps "250ms" exactly 250 / 1000.
_UNITS = {
    "us": (1.0, 1e6),
    "µs": (1.0, 1e6),
    "ms": (1.0, 1e3),
    "s": (1.0, 1.0),
    "m": (60.0, 1.0),
    "h": (3600.0, 1.0),
    "d": (86400.0, 1.0),
}
_PART = re.compile(
    r"\s*((?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*(us|µs|ms|s|m|h|d)", re.IGNORECASE
)
_NUMBER = re.compile(r"[+-]?(\d+(?:\.\d*)?|\.\d+)(e[+-]?\d+)?", re.IGNORECASE)
DURATION_FORM = 'a duration like "250ms", "1.5s", "2m", "1h30m" or a number of seconds'


def parse_duration(value: object) -> float:
    """Seconds from "250ms", "1.5s", "2m", "12h", "1h30m", or a bare number of seconds;
    at most MAX_DURATION_S (30 days): nothing in a load test lasts longer."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected {DURATION_FORM}")
    if isinstance(value, float):
        seconds = value
    elif isinstance(value, int):  # TOML integers have no size limit: clamp before float()
        seconds = float(max(-1, min(value, 10**18)))
    else:
        seconds = _duration_text(value)
    if not math.isfinite(seconds):
        raise ValueError(f"duration must be finite; expected {DURATION_FORM}")
    if seconds < 0:
        raise ValueError("duration must not be negative")
    if seconds > MAX_DURATION_S:
        longest = duration_text(MAX_DURATION_S)
        raise ValueError(f"duration must be at most {longest} (the longest a run may last)")
    return seconds


def _duration_text(text: str) -> float:
    s = text.strip()
    if s.startswith("-"):
        raise ValueError("duration must not be negative")
    if _NUMBER.fullmatch(s):
        return float(s)
    pos, total = 0, 0.0
    while pos < len(s):
        m = _PART.match(s, pos)
        if not m:
            raise ValueError(f"cannot read {text!r} as a duration; expected {DURATION_FORM}")
        total += _seconds(float(m.group(1)), m.group(2))
        pos = m.end()
    if not s:
        raise ValueError(f"empty duration; expected {DURATION_FORM}")
    return total


def _seconds(number: float, unit: str) -> float:
    mul, div = _UNITS[unit.lower()]
    return number * mul / div


def format_duration(seconds: float) -> str:
    """The shortest text parse_duration reads back exactly: 90 -> "1m30s", 0.25 -> "250ms"."""
    if seconds < 0 or not math.isfinite(seconds):
        raise ValueError("duration must be finite and not negative")
    if seconds == 0:
        return "0s"
    if seconds < 1:
        ms = f"{seconds * 1000:g}ms"
        if _duration_text(ms) == seconds:
            return ms
    elif seconds < 1e9 and int(seconds) == seconds:
        h, rest = divmod(int(seconds), 3600)
        m, s = divmod(rest, 60)
        return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s")) if v)
    text = repr(seconds)
    return text if "e" in text else f"{text}s"  # a bare number is seconds


WAIT_FORM = "none, constant(1s), uniform(0.5s, 2s), exponential(1s) or pacing(1s)"
_WAIT = re.compile(r"\s*([A-Za-z_]+)\s*(?:\((.*)\))?\s*", re.DOTALL)
_WAIT_ARGS = {"none": 0, "constant": 1, "uniform": 2, "exponential": 1, "pacing": 1}


def parse_wait(value: object) -> Wait:
    """A think time: "none", "constant(1s)", "uniform(0.5s, 2s)", "exponential(1s)",
    "pacing(1s)"; a bare duration ("1s" or 1.5) means constant."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Wait("constant", parse_duration(value))
    if not isinstance(value, str):
        raise ValueError(f"expected a wait: {WAIT_FORM}")
    m = _WAIT.fullmatch(value)
    if not m:
        try:
            return Wait("constant", parse_duration(value))
        except ValueError:
            raise ValueError(f"cannot read {value!r} as a wait; expected {WAIT_FORM}") from None
    kind, inner = m.group(1).lower(), m.group(2)
    if kind not in _WAIT_ARGS:
        raise ValueError(f"unknown wait kind {kind!r}; expected {WAIT_FORM}")
    want = _WAIT_ARGS[kind]
    args = inner.split(",") if inner is not None else []
    if want == 0 and inner is not None and not inner.strip():
        args = []  # "none()" reads as "none"
    if len(args) != want:
        example = {0: "none", 1: f"{kind}(1s)", 2: "uniform(0.5s, 2s)"}[want]
        raise ValueError(f"{kind} takes {want} argument(s), like {example}")
    values = [parse_duration(a) for a in args]
    if kind == "none":
        return Wait("none")
    if kind == "uniform":
        low, high = values
        if low > high:
            raise ValueError(f"uniform({low:g}s, {high:g}s): the low bound is above the high")
        return Wait("uniform", low, high)
    if kind in ("exponential", "pacing") and values[0] <= 0:
        raise ValueError(f"{kind} needs a positive duration, like {kind}(1s)")
    return Wait(kind, values[0])  # type: ignore[arg-type]


BACKOFF_FORM = "exponential(0.5s, 10s) or constant(1s)"


def parse_backoff(value: object) -> Backoff:
    """A reconnect backoff: "exponential(base, cap)" doubles from base up to cap,
    "constant(d)" waits d every time; a bare duration means constant."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = parse_duration(value)
        return Backoff("constant", seconds, seconds)
    if not isinstance(value, str):
        raise ValueError(f"expected a backoff: {BACKOFF_FORM}")
    m = _WAIT.fullmatch(value)
    if not m or m.group(2) is None:
        try:
            seconds = parse_duration(value)
        except ValueError:
            raise ValueError(
                f"cannot read {value!r} as a backoff; expected {BACKOFF_FORM}"
            ) from None
        return Backoff("constant", seconds, seconds)
    kind, args = m.group(1).lower(), m.group(2).split(",")
    if kind not in ("constant", "exponential"):
        raise ValueError(f"unknown backoff kind {kind!r}; expected {BACKOFF_FORM}")
    want = 1 if kind == "constant" else 2
    if len(args) != want:
        example = "constant(1s)" if kind == "constant" else "exponential(0.5s, 10s)"
        raise ValueError(f"{kind} takes {want} argument(s), like {example}")
    values = [parse_duration(a) for a in args]
    if kind == "constant":
        return Backoff("constant", values[0], values[0])
    base, cap = values
    if base <= 0:
        raise ValueError("exponential backoff needs a positive base, like exponential(0.5s, 10s)")
    if cap < base:
        raise ValueError(f"exponential({base:g}s, {cap:g}s): the cap is below the base")
    return Backoff("exponential", base, cap)


SIZE_FORM = 'a size in bytes like 65536, "64KiB", "1MiB" or "2MB"'
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMG]i?B|B)?\s*", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
}  # fmt: skip
_SIZE_LIMIT = 1e15  # bytes; beyond this a size is a typo


def parse_size(value: object) -> int:
    """Bytes from an integer or "512B", "64KiB", "1MiB", "2MB" (KB/MB/GB are decimal)."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str):
        m = _SIZE.fullmatch(value)
        if not m:
            raise ValueError(f"cannot read {value!r} as a size; expected {SIZE_FORM}")
        number = float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()]
        if number > _SIZE_LIMIT:
            raise ValueError(f"{value!r} is too large")
        if number != int(number):
            raise ValueError(f"{value!r} is not a whole number of bytes")
        size = int(number)
    else:
        raise ValueError(f"expected {SIZE_FORM}")
    if size < 0:
        raise ValueError("a size must not be negative")
    return size


_OPS: tuple[Op, ...] = ("<=", ">=", "==", "<", ">")
_LAT = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(us|µs|ms|s|m)?", re.IGNORECASE)
_RATE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(%)?")
_PERCENT = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*%")
_RPS = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(/s|rps)?", re.IGNORECASE)
_COUNT = re.compile(r"\d+")
_FORMS: dict[Unit, str] = {
    "ms": '"< 2000ms" or "<= 2s" (a bare number is milliseconds)',
    "fraction": '"< 1%" or "< 0.01" (a fraction)',
    "count": '"== 0" or "< 10" (a count)',
    "per_s": '"> 100" (requests per second)',
    "bytes": '"< 50MiB" or "< 2GiB" (a size; a bare number is bytes)',
    "percent": '"< 80%" (percent of one CPU core: 250% is two and a half cores)',
    "bool": "false (a TOML boolean, without quotes)",
}


def threshold_form(metric: str) -> str:
    """How a value of `metric` is written, for error messages."""
    if metric == "rate_limited":
        return '"< 5%" (a share of responses) or "< 10" (a count) for rate_limited'
    unit = metric_unit(metric)
    return f"{_FORMS[unit]} for {metric}" if unit else f"a known metric, not {metric!r}"


def parse_threshold(metric: str, value: object) -> tuple[Op, float]:
    """(op, value) from "< 2000ms": latencies in ms, shares a fraction (1 % → 0.01),
    counts, rps per second, sizes in bytes, CPU in percent of one core; `false` is
    ("==", 0.0). The metric's own table is the reader's business (see thresholds.py)."""
    _, op, limit = resolve_threshold(metric, value)
    return op, limit


def resolve_threshold(metric: str, value: object) -> tuple[str, Op, float]:
    """Like parse_threshold, plus the metric as stored: `rate_limited` written without
    "%" is a count and becomes RATE_LIMITED_COUNT, so no reader confuses the two."""
    if scope_of(metric) is None:
        raise ValueError(f"unknown metric {metric!r}")
    form = threshold_form(metric)
    if metric_unit(metric) == "bool":
        if value is False:
            return metric, "==", 0.0
        if value is True:
            raise ValueError(f"{metric} = true would fail every healthy run; write false")
        raise ValueError(f"expected {form}")
    if not isinstance(value, str):
        raise ValueError(f"expected a string like {form}")
    text = value.strip()
    op = next((o for o in _OPS if text.startswith(o)), None)
    if op is None:
        hint = ' (use "==" to compare for equality)' if text.startswith("=") else ""
        raise ValueError(f"expected a comparison (<, <=, >, >=, ==) like {form}{hint}")
    rest = text[len(op) :].strip()
    if metric == "rate_limited" and not rest.endswith("%"):
        metric = RATE_LIMITED_COUNT
    return metric, op, _threshold_value(metric, rest, form)


def _threshold_value(metric: str, rest: str, form: str) -> float:
    bad = ValueError(f"cannot read {rest!r}; expected {form}")
    unit = metric_unit(metric)
    if unit == "ms":
        m = _LAT.fullmatch(rest)
        if not m:
            raise bad
        number, scale = float(m.group(1)), (m.group(2) or "ms").lower()
        out = number if scale == "ms" else _seconds(number, scale) * 1000.0
    elif unit == "fraction":
        m = _RATE.fullmatch(rest)
        if not m:
            raise bad
        out = float(m.group(1)) / (100.0 if m.group(2) else 1.0)
        if out > 1:
            raise ValueError(f"{metric} {rest!r} is above 100 %; expected {form}")
    elif unit == "count":
        if not _COUNT.fullmatch(rest):
            raise bad
        out = float(int(rest))
    elif unit == "bytes":
        if not _SIZE.fullmatch(rest):
            raise bad
        out = float(parse_size(rest))
    elif unit == "percent":
        m = _PERCENT.fullmatch(rest)
        if not m:
            raise bad
        out = float(m.group(1))
    else:
        m = _RPS.fullmatch(rest)
        if not m:
            raise bad
        out = float(m.group(1))
    if not math.isfinite(out):
        raise bad
    return out
