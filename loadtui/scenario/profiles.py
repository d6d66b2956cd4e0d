"""Load profiles (closed / open model stages, bursts); thresholds are in thresholds.py."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from loadtui.scenario.bounds import (
    DURATION_HINT,
    MAX_DURATION_S,
    MAX_RATE,
    MAX_REPEAT,
    MAX_SPAWN_RATE,
    MAX_STAGES,
    MAX_USERS,
    RATE_HINT,
    USERS_HINT,
    count_text,
    duration_text,
)
from loadtui.scenario.errors import Collector, FieldPath
from loadtui.scenario.fields import Section, sections, type_name
from loadtui.scenario.model import Burst, Model, Profile, Stage, UserClass

PROFILE_KEYS = (
    "description", "model", "stages", "repeat", "start_rate", "max_inflight", "burst", "warmup",
)  # fmt: skip
STAGE_KEYS = ("duration", "users", "spawn_rate", "rate", "streams")
BURST_KEYS = ("every", "length", "rate", "users", "offset")
# Bounds of each kind of number (see bounds.py), as Section.number arguments.
RATE: dict[str, Any] = {"minimum": 0, "maximum": MAX_RATE, "unit": "arrivals/s", "hint": RATE_HINT}
USERS: dict[str, Any] = {
    "minimum": 0, "integer": True, "maximum": MAX_USERS, "unit": "users", "hint": USERS_HINT,
}  # fmt: skip
STREAMS: dict[str, Any] = {**USERS, "unit": "streams"}
SPAWN: dict[str, Any] = {"maximum": MAX_SPAWN_RATE, "unit": "users/s"}
CONNECTIONS: dict[str, Any] = {
    "minimum": 0, "integer": True, "maximum": MAX_USERS, "unit": "connections",
    "hint": USERS_HINT,
}  # fmt: skip
WARMUP_HINT = "Like warmup = 200: connections opened before the run starts"


def read_profiles(out: Collector, data: Any, path: FieldPath) -> list[Profile]:
    if not isinstance(data, dict):
        out.add(path, f"expected a table of profiles, got {type_name(data)}")
        return []
    profiles: list[Profile] = []
    for name, body in data.items():
        where = (*path, name)
        if not isinstance(body, dict):
            out.add(where, f"expected a profile table, got {type_name(body)}", "Add stages = [...]")
            continue
        profiles.append(_profile(Section(out, body, where, PROFILE_KEYS), name))
    return profiles


def _profile(sec: Section, name: str) -> Profile:
    raw_stages = sec.data.get("stages")
    model = sec.choice("model", ("closed", "open"), None) or _guess_model(raw_stages)
    stages: list[Stage] = []
    problems = sec.out.count()
    if isinstance(raw_stages, list) and len(raw_stages) > MAX_STAGES:
        sec.error(
            "stages",
            f"{len(raw_stages):,} stages: at most {count_text(MAX_STAGES)} are allowed",
            "Use repeat = N for a pattern that recurs",
        )
    elif sec.require("stages", "stages", 'Like stages = [{ duration = "1m", users = 10 }]'):
        found = sections(sec.out, raw_stages, sec.at("stages"), STAGE_KEYS, "stage")
        if isinstance(raw_stages, list) and not raw_stages:
            sec.error("stages", "is empty", "Add at least one stage")
        previous = 0
        for _, stage in found:
            stages.append(_stage(stage, model, previous))
            previous = stages[-1].users or 0
        if stages and all(s.duration == 0 for s in stages) and sec.out.count() == problems:
            sec.error("stages", "the stages last 0 s in total")
    open_only = ("start_rate", "max_inflight")
    if model == "closed":
        for key in open_only:
            if sec.has(key):
                sec.error(key, "applies to the open model only", 'Add model = "open"')
    repeat = sec.number("repeat", 1, minimum=1, integer=True, maximum=MAX_REPEAT)
    _check_length(sec, stages, repeat)
    return Profile(
        name=name,
        model=model,
        stages=tuple(stages),
        repeat=repeat,
        burst=_burst(sec, model),
        start_rate=sec.number("start_rate", None, **RATE),
        max_inflight=sec.number("max_inflight", 10_000, minimum=1, integer=True, maximum=MAX_USERS),
        description=sec.string("description", ""),
        warmup=_warmup(sec),
    )


def _warmup(sec: Section) -> int:
    """`warmup`: how many HTTP connections to open before t = 0 (not a duration)."""
    if isinstance(sec.data.get("warmup"), str):
        sec.error("warmup", "is a number of connections, not a duration", WARMUP_HINT)
        return 0
    value: int = sec.number("warmup", 0, **CONNECTIONS)
    return value


def _check_length(sec: Section, stages: list[Stage], repeat: int) -> None:
    """Repeats multiply a profile: its expanded stages and its length stay bounded, so a
    run's clock and the stage lookups stay small."""
    expanded = len(stages) * repeat
    if expanded > MAX_STAGES:
        sec.error(
            "repeat",
            f"{len(stages)} stages x {repeat:,} repeats = {expanded:,} stages:"
            f" at most {count_text(MAX_STAGES)} are allowed",
        )
        return
    total = sum(s.duration for s in stages) * repeat
    if total > MAX_DURATION_S:
        sec.error(
            "stages" if repeat == 1 else "repeat",
            f"the profile lasts {total / 86400:,.1f} days: at most"
            f" {duration_text(MAX_DURATION_S)} are allowed",
            DURATION_HINT,
        )


def check_streams(
    out: Collector, profiles: Iterable[Profile], users: Iterable[UserClass], path: FieldPath
) -> None:
    """Stream-only sessions are drawn from classes with a websocket: there must be one."""
    if any(u.websocket is not None for u in users):
        return
    for profile in profiles:
        for i, stage in enumerate(profile.stages):
            if stage.streams is not None:
                out.add(
                    (*path, profile.name, "stages", i, "streams"),
                    "no user class has a [users.websocket] to stream",
                    "Add [users.websocket] to a user class, or remove streams",
                )


def _guess_model(stages: Any) -> Model:
    """Open when every stage gives a rate and none gives users; closed otherwise."""
    ok = isinstance(stages, list) and stages and all(isinstance(s, dict) for s in stages)
    if ok and all("rate" in s and "users" not in s for s in stages):
        return "open"
    return "closed"


def _stage(sec: Section, model: Model, previous_users: int) -> Stage:
    duration = 0.0
    if sec.require("duration", "duration", 'Like duration = "1m"'):
        duration = sec.duration("duration", 0.0)
    streams = sec.number("streams", None, **STREAMS)
    if model == "open":
        for key in ("users", "spawn_rate"):
            if sec.has(key):
                sec.error(
                    key, "open-model stages take rate, not users", "Use rate = N (per second)"
                )
        rate = None
        if sec.require("rate", "rate (arrivals per second) for an open-model stage"):
            rate = sec.number("rate", None, **RATE)
        return Stage(duration=duration, rate=rate, streams=streams)
    if sec.has("rate"):
        sec.error("rate", "closed-model stages take users", 'Or set model = "open" on the profile')
    users = None
    if sec.has("streams") and not sec.has("users"):
        users = 0  # a stream-only stage
    elif sec.require("users", "users for a closed-model stage", "Add users = N (or streams = N)"):
        users = sec.number("users", None, **USERS)
    default_rate = float(users or previous_users or 1)  # all of them in about 1 s
    spawn_rate = sec.number("spawn_rate", default_rate, above=0, **SPAWN)
    return Stage(duration=duration, users=users, spawn_rate=spawn_rate, streams=streams)


def _burst(profile: Section, model: Model) -> Burst | None:
    table = profile.table("burst")
    if table is None:
        return None
    sec = Section(profile.out, table, profile.at("burst"), BURST_KEYS)
    every = length = None
    if sec.require("every", "every (burst period)", 'Like every = "60s"'):
        every = sec.duration("every", None, positive=True)
    if sec.require("length", "length (burst duration)", 'Like length = "5s"'):
        length = sec.duration("length", None, positive=True)
    if every is not None and length is not None and length >= every:
        sec.error("length", f"must be shorter than every ({length:g}s >= {every:g}s)")
    rate = users = None
    want, other = ("rate", "users") if model == "open" else ("users", "rate")
    if sec.has(other):
        sec.error(other, f"{_a(model)}-model burst sets {want}, not {other}")
    if sec.require(want, f"{want} for {_a(model)}-model burst"):
        if model == "open":
            rate = sec.number("rate", None, **RATE)
        else:
            users = sec.number("users", None, **USERS)
    return Burst(
        every=every or 1.0,
        length=length or 0.0,
        rate=rate,
        users=users,
        offset=sec.duration("offset", 0.0),
    )


def _a(model: str) -> str:
    return "an open" if model == "open" else "a closed"
