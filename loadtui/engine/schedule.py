"""A profile as a function of time: which stage, how many users, what arrival rate.

Pure functions over model.Profile so the engine, the console's stage preview and tests
all agree on what a profile means. `t` is profile time in seconds: pauses excluded,
skipped stages (the operator's `n`) included.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadtui.scenario.iterations import describe_count
from loadtui.scenario.model import Profile, Stage
from loadtui.scenario.select import FOREVER


@dataclass(frozen=True)
class StagePoint:
    """Where profile time `t` falls: stage index (over repeats), its bounds and stage."""

    index: int  # 0-based over the expanded (repeated) stage list
    count: int  # stages in the expanded list
    start: float
    end: float
    stage: Stage
    previous: Stage | None


def expanded_stages(profile: Profile) -> tuple[Stage, ...]:
    return profile.stages * max(1, profile.repeat)


def stage_at(profile: Profile, t: float) -> StagePoint | None:
    """The stage running at time t, or None once the profile has ended."""
    stages = expanded_stages(profile)
    start = 0.0
    for i, stage in enumerate(stages):
        end = start + stage.duration
        if t < end:
            return StagePoint(i, len(stages), start, end, stage, stages[i - 1] if i else None)
        start = end
    return None


def stage_start(profile: Profile, index: int) -> float:
    """Profile time at which stage `index` (over repeats) starts; the profile's length for
    an index past the last stage."""
    return sum(s.duration for s in expanded_stages(profile)[: max(0, index)])


def in_burst(profile: Profile, t: float) -> bool:
    b = profile.burst
    if b is None or t < b.offset:
        return False
    return (t - b.offset) % b.every < b.length


def next_burst_edge(profile: Profile, t: float) -> float | None:
    """Profile time of the next burst start or end after t (for closed-model switching)."""
    b = profile.burst
    if b is None:
        return None
    if t < b.offset:
        return b.offset
    phase = (t - b.offset) % b.every
    base = t - phase
    return base + b.length if phase < b.length else base + b.every


def rate_at(profile: Profile, t: float) -> float:
    """Open model: the intended arrival rate (per second) at profile time t.

    Each stage ramps linearly from the previous stage's rate (the first from
    `start_rate`, defaulting to its own rate) to its `rate`; a burst replaces the level.
    """
    if stage_at(profile, t) is None:
        return 0.0
    burst = burst_rate_at(profile, t)
    return burst if burst is not None else stage_rate_at(profile, t)


def stage_rate_at(profile: Profile, t: float) -> float:
    """Open model: the stage's own (ramped) arrival rate at profile time t, bursts aside."""
    point = stage_at(profile, t)
    if point is None:
        return 0.0
    target = point.stage.rate or 0.0
    if point.previous is not None:
        begin = point.previous.rate or 0.0
    elif profile.start_rate is not None:
        begin = profile.start_rate
    else:
        begin = target
    span = point.end - point.start
    frac = (t - point.start) / span if span > 0 else 1.0
    return begin + (target - begin) * frac


def burst_rate_at(profile: Profile, t: float) -> float | None:
    """Open model: the burst's arrival rate when t falls in a burst, else None."""
    b = profile.burst
    return b.rate if b is not None and b.rate is not None and in_burst(profile, t) else None


def users_at(profile: Profile, t: float) -> tuple[int, float]:
    """Closed model: (users wanted, spawn rate) at profile time t; (0, 0) after the end.

    During a burst the users wanted are the burst's, at a spawn rate of at least that
    many a second; the engine itself moves to and from a burst's level at once (see
    walker.py)."""
    users, spawn = stage_users_at(profile, t)
    burst = burst_users_at(profile, t) if stage_at(profile, t) is not None else None
    return (burst, max(spawn, float(burst))) if burst is not None else (users, spawn)


def stage_users_at(profile: Profile, t: float) -> tuple[int, float]:
    """Closed model: the stage's own (users, spawn rate) at profile time t, bursts aside."""
    point = stage_at(profile, t)
    if point is None:
        return 0, 0.0
    users = point.stage.users or 0
    return users, point.stage.spawn_rate or float(max(users, 1))


def burst_users_at(profile: Profile, t: float) -> int | None:
    """Closed model: the burst's users when t falls in a burst, else None."""
    b = profile.burst
    return b.users if b is not None and b.users is not None and in_burst(profile, t) else None


def ramp_level(start: int, target: int, spawn_rate: float, seconds: float) -> int:
    """Where a ramp from `start` toward `target` at `spawn_rate` users/s stands after
    `seconds`: the level a burst's end returns to when the stage was still ramping."""
    step = int(spawn_rate * max(0.0, seconds))
    return min(target, start + step) if target >= start else max(target, start - step)


def streams_at(profile: Profile, t: float) -> int:
    """Extra stream-only sessions wanted at profile time t (0 after the end)."""
    point = stage_at(profile, t)
    return (point.stage.streams or 0) if point is not None else 0


def describe_stage(profile: Profile, stage: Stage) -> str:
    streams = f" + {stage.streams} streams" if stage.streams else ""
    if profile.model == "open":
        return f"{stage.rate:g}/s{streams} for {stage.duration:g}s"
    spawn = f" at {stage.spawn_rate:g}/s" if stage.spawn_rate else ""
    if profile.iterations is not None and stage.duration >= FOREVER:  # its count ends it
        return f"{stage.users or 0} users{spawn}{streams} for {describe_count(profile.iterations)}"
    return f"{stage.users or 0} users{spawn}{streams} for {stage.duration:g}s"
