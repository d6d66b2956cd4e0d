"""The largest values a scenario or a command line may ask for.

Beyond these a value is a typo or an attack, not a plan: `-t 1e308`, `-u 1e20` or
200,000 tasks would otherwise be accepted and then overflow a timer or fill memory. Each bound
is far above what one machine (or a cluster of them) can drive, so a real plan never
meets one. The same limits serve the loader (`loadtui validate`, every command before
load is sent) and the command-line flags, with messages in one style.
"""

from __future__ import annotations

import math

# Arrivals per second (rate, start_rate, a burst's rate, --rate). Far past what any
# generator starts, on purpose: a rate beyond what it can start is legal and simply
# counts the arrivals it cannot start as dropped (see engine/arrivals.py).
MAX_RATE = 1_000_000_000.0
MAX_USERS = 10_000_000  # users, a burst's users, streams, max_inflight, -u, --streams
MAX_SPAWN_RATE = 10_000_000.0  # users started per second (spawn_rate, -r)
MAX_DURATION_S = 30 * 24 * 3600.0  # any duration: -t, stages, think times, timeouts...


def endless(seconds: float) -> bool:
    """A time left longer than any duration can be given: the "until stopped" stage of a
    profile built from flags without -t, or of an iterations run, whose count ends it."""
    return seconds > MAX_DURATION_S
MAX_TASKS = 10_000  # tasks (on_start included) per user class and in the whole file
MAX_USER_CLASSES = 1_000
MAX_STAGES = 10_000  # stages of a profile, repeats included
MAX_REPEAT = 10_000

RATE_HINT = "One process starts about 10,000 arrivals/s; what it cannot start is counted as dropped"
USERS_HINT = "One process holds as many connections as its file-descriptor limit (ulimit -n)"
DURATION_HINT = "Give a shorter profile, or cut the run with -t"


def count_text(n: float) -> str:
    """10000000 -> "10,000,000" (whole numbers), 2.5 -> "2.5"."""
    return f"{n:,.0f}" if float(n).is_integer() else f"{n:,g}"


def duration_text(seconds: float) -> str:
    """The bound as written in messages: 2592000 -> "30 days"."""
    days = seconds / 86400
    return f"{days:g} days" if days >= 1 else f"{seconds:g}s"


def number_problem(
    value: float, maximum: float, *, minimum: float = 0.0, above: bool = False, unit: str = ""
) -> str | None:
    """Why `value` is not a number in [minimum, maximum] (`above`: minimum excluded), or
    None when it is. NaN and infinities get their own words."""
    suffix = f" {unit}" if unit else ""
    try:
        value = float(value)
    except OverflowError:  # an integer past float's range
        value = math.inf if value > 0 else -math.inf
    if math.isnan(value):
        return "must be a number, not NaN"
    if above and value <= minimum:
        return f"must be greater than {count_text(minimum)}, got {value:g}"
    if value < minimum:
        return f"must be at least {minimum:g}, got {value:g}"
    if math.isinf(value):
        return f"must be finite (at most {count_text(maximum)}{suffix})"
    if value > maximum:
        return f"must be at most {count_text(maximum)}{suffix}, got {value:g}"
    return None
