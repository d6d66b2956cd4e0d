"""Choosing what to run: a target by name or URL, a profile by name, and the command
line's overrides (-u/-r, --rate, -t), turned into one Target and one Profile.

Errors are `SelectionError` with a message fit for the user (the CLI exits 2).
"""

from __future__ import annotations

import math
from dataclasses import replace
from urllib.parse import urlsplit

from loadtui.scenario.model import Profile, Scenario, Stage, Target

FOREVER = 10 * 365 * 24 * 3600.0  # "until stopped": a stage long enough to never end


class SelectionError(ValueError):
    pass


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
    parts = urlsplit(wanted)
    if parts.scheme in ("http", "https") and parts.hostname:
        try:
            _ = parts.port
        except ValueError as exc:
            raise SelectionError(f"--target {wanted!r}: {exc}") from None
        base = scenario.targets[0] if len(scenario.targets) == 1 else Target(name="cli", url="")
        return replace(base, name=base.name if base.url else "cli", url=wanted.rstrip("/"))
    names = ", ".join(t.name for t in scenario.targets) or "none"
    raise SelectionError(
        f"--target {wanted!r} is neither a target of this scenario ({names}) nor an http(s):// URL"
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
    """The named (or first) profile, or one built from -u/-r/--rate/--streams when given."""
    if users is not None and rate is not None:
        raise SelectionError("give either --users (closed model) or --rate (open model), not both")
    flags = (
        ("--users", users),
        ("--spawn-rate", spawn_rate),
        ("--rate", rate),
        ("--streams", streams),
    )
    for flag, value in flags:
        if value is not None and (value < 0 or not math.isfinite(value)):
            raise SelectionError(f"{flag} must be a non-negative number, got {value}")
    if duration is not None and (duration <= 0 or not math.isfinite(duration)):
        raise SelectionError(f"--duration must be positive, got {duration:g}s")
    if spawn_rate is not None and users is None:
        raise SelectionError("--spawn-rate needs --users")
    length = duration if duration is not None else FOREVER
    extra = f" + {streams} streams" if streams else ""
    if users is not None or (streams is not None and rate is None):
        n = users or 0
        stage = Stage(length, users=n, spawn_rate=spawn_rate or float(max(n, 1)), streams=streams)
        return Profile(name=f"{n} users{extra}", model="closed", stages=(stage,))
    if rate is not None:
        stage = Stage(length, rate=rate, streams=streams)
        return Profile(name=f"{rate:g}/s{extra}", model="open", stages=(stage,))
    if wanted:
        found = scenario.profile(wanted)
        if found is None:
            names = ", ".join(p.name for p in scenario.profiles) or "none"
            raise SelectionError(f"no profile {wanted!r} in this scenario (profiles: {names})")
        return found
    if not scenario.profiles:
        raise SelectionError("the scenario has no [profiles]; give --users N or --rate N")
    return scenario.profiles[0]
