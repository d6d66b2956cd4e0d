"""Following a profile: the stage, the burst edges, and the load wanted at each moment.

The engine asks every few tens of milliseconds (`ProfileWalker.step`) and applies the
answer; what changed since the previous step (a new stage, a burst edge) comes with it,
so events and load move together. Time is profile time (see schedule.py). Past the
profile's end, while `-t` holds it, the last stage goes on and so do the bursts.

A closed-model burst has sharp edges: at its start the live count jumps to the burst's
users, at its end back to where the stage would be without it (its level, or the point
its ramp has reached meanwhile), instead of ramping at the stage's spawn rate.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadtui.engine.schedule import (
    StagePoint,
    burst_rate_at,
    burst_users_at,
    in_burst,
    ramp_level,
    stage_at,
    stage_rate_at,
    stage_users_at,
    streams_at,
)
from loadtui.scenario.model import Profile


@dataclass(frozen=True)
class Step:
    """What the profile asks for at one moment, and what changed since the last step."""

    point: StagePoint  # the stage (the last one while held past the end)
    new_stage: bool
    burst_edge: bool  # a burst started or ended
    in_burst: bool
    users: int  # closed model: users wanted (the burst's during a burst); 0 when open
    spawn_rate: float  # the stage's spawn rate (0 when open)
    streams: int
    jump_to: int | None = None  # closed model, at a burst edge: live users to move to at once


class ProfileWalker:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.stage_index = -1
        self.in_burst = False
        self._burst_from = (0, 0.0)  # live users and profile time when the last burst began

    def held(self, t: float) -> float:
        """t, or the profile's last instant once t is past its end (a held profile)."""
        length = self.profile.duration
        return min(t, length - 1e-9) if length else t

    def rate(self, t: float) -> float:
        """Open model: arrivals per second wanted at profile time t."""
        burst = burst_rate_at(self.profile, t)
        return burst if burst is not None else stage_rate_at(self.profile, self.held(t))

    def step(self, t: float, live_users: int) -> Step | None:
        """The profile at time t (`live_users`: the closed-model users alive now)."""
        prof = self.profile
        at = self.held(t)
        point = stage_at(prof, at)
        if point is None:
            return None
        new_stage = point.index != self.stage_index
        self.stage_index = point.index
        burst = in_burst(prof, t)
        edge = burst != self.in_burst
        self.in_burst = burst
        streams = streams_at(prof, at)
        if prof.model != "closed":
            return Step(point, new_stage, edge, burst, 0, 0.0, streams)
        users, spawn = stage_users_at(prof, at)
        surge = burst_users_at(prof, t)
        jump = None
        if edge and burst:
            self._burst_from = (live_users, t)
            jump = surge
        elif edge and prof.burst is not None and prof.burst.users is not None:
            before, since = self._burst_from
            jump = ramp_level(before, users, spawn, t - since)
        wanted = surge if surge is not None else users
        return Step(point, new_stage, edge, burst, wanted, spawn, streams, jump)
