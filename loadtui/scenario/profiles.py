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
from loadtui.scenario.errors import Collector, FieldPath, did_you_mean
from loadtui.scenario.fields import Section, sections, type_name
from loadtui.scenario.iterations import check_sole_stage, read_iterations
from loadtui.scenario.model import Burst, Model, Profile, Stage, UserClass
from loadtui.scenario.select import FOREVER

PROFILE_KEYS = (
    "description", "model", "stages", "repeat", "start_rate", "max_inflight", "burst", "warmup",
    "classes",
)  # fmt: skip
STAGE_KEYS = ("duration", "users", "spawn_rate", "rate", "streams", "iterations")
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
    iterations: int | None = None
    counted: list[int] = []  # stages that count iterations (one at most is valid)
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
        for i, stage in found:
            count = read_iterations(stage, model)
            if stage.has("iterations"):
                counted.append(i)
                iterations = count if iterations is None else iterations
            stages.append(_stage(stage, model, previous))
            previous = stages[-1].users or 0
        check_sole_stage(sec, counted, len(found))
        if stages and all(s.duration == 0 for s in stages) and sec.out.count() == problems:
            sec.error("stages", "the stages last 0 s in total")
    open_only = ("start_rate", "max_inflight")
    if model == "closed":
        for key in open_only:
            if sec.has(key):
                sec.error(key, "applies to the open model only", 'Add model = "open"')
    repeat = sec.number("repeat", 1, minimum=1, integer=True, maximum=MAX_REPEAT)
    if not counted:  # an iterations stage lasts "until stopped": its count ends it
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
        classes=_class_names(sec),
        iterations=iterations,
    )


def _class_names(sec: Section) -> tuple[str, ...]:
    """`classes = ["spike"]`: the user classes the profile runs (names checked against
    the classes by `check_classes`, once they are read). A list with a bad element is
    dropped whole, so the names kept sit at their indexes in the file."""
    raw = sec.array("classes")
    if raw is None:
        return ()
    if not raw:
        sec.error("classes", "is empty", "Name the user classes it runs, or leave it out for all")
    names: list[str] = []
    for i, name in enumerate(raw):
        where = (*sec.at("classes"), i)
        if not isinstance(name, str) or not name.strip():
            shown = "an empty string" if isinstance(name, str) else type_name(name)
            sec.out.add(where, f"expected a user class name, got {shown}")
            return ()
        if name in names:
            sec.out.add(where, f"class {name!r} is listed twice")
            return ()
        names.append(name)
    return tuple(names)


def check_classes(
    out: Collector, profiles: Iterable[Profile], users: Iterable[UserClass], path: FieldPath
) -> None:
    """Each class a profile names is a user class of the scenario."""
    known = [u.name for u in users]
    for profile in profiles:
        for i, name in enumerate(profile.classes):
            if name not in known:
                out.add(
                    (*path, profile.name, "classes", i),
                    f"no user class is named {name!r}",
                    did_you_mean(name, known) or f"Classes: {', '.join(known) or 'none'}",
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
    """Stream-only sessions are drawn from classes with a websocket: there must be one
    among those the profile runs."""
    classes = list(users)
    for profile in profiles:
        runs = [u for u in classes if not profile.classes or u.name in profile.classes]
        if any(u.websocket is not None for u in runs):
            continue
        which = "class this profile runs" if profile.classes else "user class"
        for i, stage in enumerate(profile.stages):
            if stage.streams is not None:
                out.add(
                    (*path, profile.name, "stages", i, "streams"),
                    f"no {which} has a [users.websocket] to stream",
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
    if sec.has("iterations"):  # its count ends it (iterations.py checks the rest)
        duration = FOREVER
    elif sec.require("duration", "duration", 'Like duration = "1m"'):
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
