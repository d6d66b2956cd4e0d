"""What one run is: scenario, target, profile and the few settings around them. Built by
the CLI, the console and rerun; read by the engine and its hosts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loadtui.scenario.model import Profile, Scenario, Target


@dataclass(frozen=True)
class RunConfig:
    scenario: Scenario
    target: Target
    profile: Profile
    tick_s: float = 0.5
    # -t: the run's length in wall-clock seconds, pauses included (a re-run lasts as long
    # as its original); the profile is cut there, or its last stage held until then.
    # Without it the profile's own clock ends the run (pauses excluded, skips included).
    duration: float | None = None
    grace_s: float = 5.0  # how long in-flight requests may finish when stopping
    seed: int | None = None
    # The target's processes when it runs on this machine (each with its descendants).
    target_pids: tuple[int, ...] = ()
    # Operator actions to replay at their offsets (seconds since start): a re-run.
    script: tuple[tuple[float, str, tuple[Any, ...]], ...] = ()
