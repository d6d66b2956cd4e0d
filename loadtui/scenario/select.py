"""Choosing what to run: a target by name or URL, a profile by name, and the command
line's overrides (-u/-r, --rate, -t), turned into one Target and one Profile.

Errors are `SelectionError` with a message fit for the user (the CLI exits 2).
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from loadtui.scenario.bounds import (
    MAX_DURATION_S,
    MAX_RATE,
    MAX_SPAWN_RATE,
    MAX_USERS,
    RATE_HINT,
    USERS_HINT,
    duration_text,
    number_problem,
)
from loadtui.scenario.model import Profile, Scenario, Stage, Target
from loadtui.scenario.userinfo import PERCENT_HINT, redact_url

FOREVER = 10 * 365 * 24 * 3600.0  # "until stopped": a stage long enough to never end


# flag -> (largest value, unit, whole numbers only, 0 excluded, hint past the largest)
FLAGS: dict[str, tuple[float, str, bool, bool, str | None]] = {
    "--users": (MAX_USERS, "users", True, False, USERS_HINT),
    "--spawn-rate": (MAX_SPAWN_RATE, "users/s", False, True, None),
    "--rate": (MAX_RATE, "arrivals/s", False, False, RATE_HINT),
    "--streams": (MAX_USERS, "streams", True, False, USERS_HINT),
}


class SelectionError(ValueError):
    pass


def check_flag(flag: str, value: float) -> None:
    """A numeric override within the bounds a scenario file has (bounds.py), with the
    loader's kind of message: `--rate: must be at most 10,000,000 arrivals/s, got 1e+12`."""
    maximum, unit, integer, positive, hint = FLAGS[flag]
    problem = number_problem(value, maximum, above=positive, unit=unit)
    if problem is None and integer and not float(value).is_integer():
        problem = f"must be a whole number of {unit}, got {value:g}"
    if problem is not None:
        extra = f". {hint}" if hint and value > maximum else ""
        raise SelectionError(f"{flag}: {problem}{extra}")


def check_duration(seconds: float) -> None:
    """-t: a positive length, at most MAX_DURATION_S."""
    if not 0 < seconds <= MAX_DURATION_S:  # NaN too
        longest = duration_text(MAX_DURATION_S)
        raise SelectionError(
            f"--duration: must be more than 0 and at most {longest}, got {seconds:g}s"
        )


def pick_target(scenario: Scenario, wanted: str | None) -> Target:
    """A named target, or a URL (inheriting headers and timeouts when the scenario has
    exactly one target, so `--target http://staging` keeps its auth header)."""
    if not wanted:
        if not scenario.targets:
            raise SelectionError("the scenario has no [targets]; give --target URL")
        return scenario.targets[0]
    named = scenario.target(wanted)
    if named is not None:
        return named
    # Messages show the URL redacted, and never urllib's own (it quotes a bad port,
    # which may be part of a password).
    shown = redact_url(wanted)
    try:
        parts = urlsplit(wanted)
        port = parts.port
    except ValueError:
        hint = f". {PERCENT_HINT}" if "@" in wanted else ""
        raise SelectionError(f"--target {shown!r}: the host or port is malformed{hint}") from None
    if parts.scheme in ("http", "https") and parts.hostname:
        if parts.query or parts.fragment:
            raise SelectionError(f"--target {shown!r}: a target URL takes no query or fragment")
        if port == 0:
            raise SelectionError(f"--target {shown!r}: port 0 is not a port")
        base = scenario.targets[0] if len(scenario.targets) == 1 else Target(name="cli", url="")
        return replace(base, name=base.name if base.url else "cli", url=wanted.rstrip("/"))
    names = ", ".join(t.name for t in scenario.targets) or "none"
    raise SelectionError(
        f"--target {shown!r} is neither a target of this scenario ({names}) nor an http(s):// URL"
    )


def pick_profile(
    scenario: Scenario,
    wanted: str | None,
    *,
    users: int | None = None,
    spawn_rate: float | None = None,
    rate: float | None = None,
    duration: float | None = None,
    streams: int | None = None,
) -> Profile:
    """The named (or first) profile, or one built from -u/-r/--rate/--streams when given
    (running the classes the named profile runs, if one is named)."""
    if users is not None and rate is not None:
        raise SelectionError("give either --users (closed model) or --rate (open model), not both")
    flags = (
        ("--users", users),
        ("--spawn-rate", spawn_rate),
        ("--rate", rate),
        ("--streams", streams),
    )
    for flag, value in flags:
        if value is not None:
            check_flag(flag, value)
    if duration is not None:
        check_duration(duration)
    if spawn_rate is not None and users is None:
        raise SelectionError("--spawn-rate needs --users")
    length = duration if duration is not None else FOREVER
    extra = f" + {streams} streams" if streams else ""
    named = _named(scenario, wanted) if wanted else None
    classes = named.classes if named is not None else ()
    if users is not None or (streams is not None and rate is None):
        n = users or 0
        stage = Stage(length, users=n, spawn_rate=spawn_rate or float(max(n, 1)), streams=streams)
        return Profile(name=f"{n} users{extra}", model="closed", stages=(stage,), classes=classes)
    if rate is not None:
        stage = Stage(length, rate=rate, streams=streams)
        return Profile(name=f"{rate:g}/s{extra}", model="open", stages=(stage,), classes=classes)
    if named is not None:
        return named
    if not scenario.profiles:
        raise SelectionError("the scenario has no [profiles]; give --users N or --rate N")
    return scenario.profiles[0]


def _named(scenario: Scenario, wanted: str) -> Profile:
    found = scenario.profile(wanted)
    if found is None:
        names = ", ".join(p.name for p in scenario.profiles) or "none"
        raise SelectionError(f"no profile {wanted!r} in this scenario (profiles: {names})")
    return found
