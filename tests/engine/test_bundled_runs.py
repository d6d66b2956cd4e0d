"""Every bundled scenario runs against the demo target, its profile squeezed into ~2 s."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from support.runs import longest_gap, stopping

from loadtui.engine.config import RunConfig
from loadtui.engine.controller import FOLLOW_STEP_S, Controller
from loadtui.metrics.snapshot import Snapshot
from loadtui.scenario import bundled, load_scenario
from loadtui.scenario.model import Profile
from loadtui.scenario.select import pick_target

SCENARIOS = sorted(bundled.directory().glob("*.toml"))
TRANSPORT = {"refused", "reset", "dns", "tls", "protocol", "closed", "connect_timeout"}


def squeezed(profile: Profile, seconds: float, max_users: int = 40) -> Profile:
    """The same shape, `seconds` long: stages, bursts and spawn rates scaled together,
    user counts capped so a 2-core CI machine is not the bottleneck."""
    k = seconds / profile.duration

    def users(n: int | None) -> int | None:
        return None if n is None else min(n, max_users)

    stages = tuple(
        replace(
            s,
            duration=s.duration * k,
            users=users(s.users),
            spawn_rate=s.spawn_rate / k if s.spawn_rate else None,
        )
        for s in profile.stages
    )
    burst = profile.burst
    if burst is not None:
        burst = replace(
            burst,
            every=burst.every * k,
            length=burst.length * k,
            offset=burst.offset * k,
            users=users(burst.users),
        )
    return replace(profile, stages=stages, burst=burst)


def test_every_bundled_scenario_is_here() -> None:
    names = {p.stem for p in SCENARIOS}
    assert {
        "demo",
        "baseline",
        "spike",
        "soak",
        "write-heavy",
        "production-incident",
        "light",
        "heavy",
        "stress",
        "day-in-the-life",
        "accounts",
    } <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
async def test_bundled_scenario_runs_briefly(path: Path, demo_url: str) -> None:
    plan = load_scenario(path, env={"LOADTUI_TARGET": demo_url})
    profile = squeezed(plan.profiles[0], 2.0)
    if profile.model == "open":  # the incident's 0.9/s base would send ~2 requests
        profile = replace(
            profile, stages=tuple(replace(s, rate=max(s.rate or 0, 40.0)) for s in profile.stages)
        )
    config = RunConfig(plan, pick_target(plan, None), profile, tick_s=0.25, grace_s=1.0)
    snaps: list[Snapshot] = []
    final = await Controller(config, snaps.append).run()
    assert final.total.requests > 0
    assert not set(final.total.errors) & TRANSPORT, final.total.errors
    # The squeezed profile ended the run at its 2 s, late only as far as its loop was held
    # (not a bound on wall time, which a busy machine stretches).
    stop = stopping(snaps)
    assert stop.message == "run finished"
    assert 2.0 - 0.01 <= stop.t <= 2.0 + FOLLOW_STEP_S + longest_gap(snaps), stop
