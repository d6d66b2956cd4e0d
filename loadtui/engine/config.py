"""What one run is: scenario, target, profile and the few settings around them. Built
in one place, `build_run_config`, by `loadtui run`, the console (given on the command
line or picked on its launch screen) and `loadtui rerun`; read by the engine and its
hosts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loadtui.scenario.iterations import with_iterations
from loadtui.scenario.model import Profile, Scenario, Selection, Target
from loadtui.scenario.select import pick_profile, pick_target
from loadtui.scenario.tags import narrow

# Operator actions to replay at their offsets (seconds since start): a re-run.
Script = tuple[tuple[float, str, tuple[Any, ...]], ...]


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
    script: Script = ()
    # Load generators: 1 runs on the controller's own loop; more are worker processes,
    # or Ray actors when `ray` names the cluster (the address its processes join by).
    workers: int = 1
    ray: str | None = None


@dataclass(frozen=True)
class Overrides:
    """The command line's say over the profile: -u/-r (closed model), --rate (open
    model), --streams, and -t, the run's wall-clock length."""

    users: int | None = None
    spawn_rate: float | None = None
    rate: float | None = None
    streams: int | None = None
    duration: float | None = None
    iterations: int | None = None  # -i: ends the run after that many iterations in all

    @property
    def reshape(self) -> bool:
        """Whether they build a profile of their own (rather than only cut one)."""
        return any(v is not None for v in (self.users, self.spawn_rate, self.rate, self.streams))


def build_run_config(
    scenario: Scenario,
    target: Target | str | None,
    profile: Profile | str | None,
    *,
    overrides: Overrides | None = None,
    tick_s: float = 0.5,
    grace_s: float = 5.0,
    target_pids: Callable[[str], tuple[int, ...]] | None = None,
    script: Script = (),
    workers: int = 1,
    ray: str | None = None,
    selection: Selection | None = None,
) -> RunConfig:
    """The run of `scenario` against `target` with `profile`.

    A target or profile given by name (or URL, or None for the first) is picked as the
    command line picks it, the overrides applied (`scenario.select`; a wrong one raises
    `SelectionError` with a line for the user). A `Profile` already chosen (the launch
    screen's, a re-run's recorded one) runs as it is; only -t applies to it. The scenario
    is narrowed to the profile's `classes` and the `selection` (--tags/--exclude-tags).
    `target_pids` finds the target's processes from the chosen URL."""
    extra = overrides or Overrides()
    chosen = target if isinstance(target, Target) else pick_target(scenario, target)
    if isinstance(profile, Profile):
        if extra.reshape:
            raise ValueError("-u/-r/--rate/--streams apply to a profile picked by name")
        shape = profile
    else:
        shape = pick_profile(
            scenario,
            profile,
            users=extra.users,
            spawn_rate=extra.spawn_rate,
            rate=extra.rate,
            duration=extra.duration,
            streams=extra.streams,
        )
    shape = with_iterations(shape, extra.iterations)
    return RunConfig(
        narrow(scenario, selection or Selection(), shape),
        chosen,
        shape,
        tick_s=tick_s,
        duration=extra.duration,
        grace_s=grace_s,
        target_pids=target_pids(chosen.url) if target_pids is not None else (),
        script=script,
        workers=workers,
        ray=ray,
    )
