"""Running a scenario text against the demo target, bounded, collecting snapshots."""

from __future__ import annotations

from collections.abc import Callable

from loadtui.engine.runner import Engine, RunConfig
from loadtui.metrics.snapshot import Snapshot
from loadtui.scenario import load_scenario_text
from loadtui.scenario.model import Scenario
from loadtui.scenario.select import pick_profile, pick_target

BASE = """
name = "t"
[targets.demo]
url = "${LOADTUI_TARGET}"
"""


def delay_user(name: str, ms: int, wait: str = "none") -> str:
    """A scenario of one user class calling the demo target's fixed-delay endpoint."""
    return (
        BASE
        + f"""
[[users]]
name = "u"
wait = "{wait}"
[[users.tasks]]
name = "{name}"
path = "/api/delay"
query = {{ ms = "{ms}" }}
"""
    )


def scenario(text: str, url: str) -> Scenario:
    return load_scenario_text(text, env={"LOADTUI_TARGET": url})


async def run(
    text: str,
    url: str,
    *,
    profile: str | None = None,
    duration: float | None = None,
    tick: float = 0.25,
    grace: float = 5.0,
    on_snapshot: Callable[[Engine, Snapshot], None] | None = None,
    **overrides: float,
) -> tuple[Snapshot, list[Snapshot], Engine]:
    plan = scenario(text, url)
    prof = pick_profile(plan, profile, duration=duration, **overrides)  # type: ignore[arg-type]
    config = RunConfig(
        plan, pick_target(plan, None), prof, tick_s=tick, duration=duration, grace_s=grace
    )
    snaps: list[Snapshot] = []
    engine: Engine

    def collect(snap: Snapshot) -> None:
        snaps.append(snap)
        if on_snapshot is not None:
            on_snapshot(engine, snap)

    engine = Engine(config, collect)
    final = await engine.run()
    return final, snaps, engine
