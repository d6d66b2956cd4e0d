"""Tags and class selection: which user classes and tasks of a scenario a run keeps.

The rules are Locust's `-T` / `-E`: with `--tags` given, a task runs when it or its
user class carries one of them; a task that carries an excluded tag (itself or through
its class) never runs, whatever else it carries; a class left with no task is dropped
(a class with only a WebSocket stream is kept or dropped by its own tags). A profile's
`classes` picks the classes first.

`narrow` is pure: it returns a new Scenario holding only what runs, with its
`Selection` recorded, so the session header says what ran and `rerun` narrows the file
the same way. Thresholds about a task or stream that no longer runs go with it (they
would otherwise fail for want of figures).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from loadtui.scenario.errors import did_you_mean
from loadtui.scenario.fields import Section, type_name
from loadtui.scenario.model import Profile, Scenario, Selection, Task, Threshold, UserClass
from loadtui.scenario.select import SelectionError

TAG = re.compile(r"[A-Za-z0-9_.-]+")
TAG_HINT = 'Use letters, digits, "-", "_" and ".", like tags = ["spike", "write"]'


# ---- reading ---------------------------------------------------------------------------


def read_tags(sec: Section, key: str = "tags") -> tuple[str, ...]:
    """`tags = ["a", "b"]` of a task or user class; each problem at its element."""
    raw = sec.array(key)
    found: list[str] = []
    for i, tag in enumerate(raw or ()):
        if not isinstance(tag, str):
            sec.out.add((*sec.at(key), i), f"expected a tag name, got {type_name(tag)}", TAG_HINT)
        elif not TAG.fullmatch(tag):
            sec.out.add((*sec.at(key), i), f"{tag!r} is not a tag name", TAG_HINT)
        elif tag not in found:
            found.append(tag)
    return tuple(found)


def parse_tags(values: Iterable[str], flag: str) -> tuple[str, ...]:
    """`-T a,b -T c` → ("a", "b", "c"): repeatable, comma-separated, each a tag name."""
    found: list[str] = []
    for value in values:
        for tag in (part.strip() for part in value.split(",")):
            if not TAG.fullmatch(tag):
                shown = f"{tag!r} is not a tag name" if tag else "an empty tag name"
                raise SelectionError(f"{flag}: {shown} (like {flag} spike,write)")
            if tag not in found:
                found.append(tag)
    return tuple(found)


def all_tags(scenario: Scenario) -> list[str]:
    """Every tag of the scenario's classes and tasks, sorted."""
    tags = {t for cls in scenario.users for t in cls.tags}
    tags.update(t for cls in scenario.users for task in cls.tasks for t in task.tags)
    return sorted(tags)


# ---- narrowing -------------------------------------------------------------------------


def narrow(scenario: Scenario, selection: Selection, profile: Profile | None = None) -> Scenario:
    """The part of `scenario` that runs with `selection` and the profile's `classes`;
    the scenario itself when neither narrows it. SelectionError (one line, exit 2) for
    an unknown tag or class, or when nothing is left to run."""
    classes = profile.classes if profile is not None else ()
    if not (selection.tags or selection.exclude_tags or classes):
        return scenario
    known = all_tags(scenario)
    for flag, tags in (("--tags", selection.tags), ("--exclude-tags", selection.exclude_tags)):
        for tag in tags:
            if tag not in known:
                listed = _listed(known, tag)
                raise SelectionError(f"{flag}: no task or user class is tagged {tag!r}{listed}")
    pool = _classes(scenario, classes, profile)
    kept = [cls for cls in (_keep(c, selection) for c in pool) if cls is not None]
    if not kept:
        why = _why(selection, profile)
        raise SelectionError(f"nothing to run: no task is left with {why}{_listed(known)}")
    streams = profile is not None and any(s.streams for s in profile.stages)
    if streams and not any(cls.websocket is not None for cls in kept):
        raise SelectionError(
            "the profile asks for streams, but no class left to run has a [users.websocket]"
        )
    return replace(
        scenario,
        users=tuple(kept),
        thresholds=_still_measured(scenario, kept),
        selection=selection,
    )


def _classes(scenario: Scenario, wanted: Sequence[str], profile: Profile | None) -> list[UserClass]:
    """The profile's classes, in the file's order (all when it names none). The loader
    checked the names; a re-run's recorded profile may name one the file has lost."""
    names = [cls.name for cls in scenario.users]
    for name in wanted:
        if name not in names:
            hint = did_you_mean(name, names)
            where = f"profile {profile.name!r}" if profile is not None else "the profile"
            raise SelectionError(
                f"{where} runs class {name!r}, which this scenario does not have"
                f" (classes: {', '.join(names)})" + (f". {hint}" if hint else "")
            )
    return [cls for cls in scenario.users if not wanted or cls.name in wanted]


def _runs(tags: frozenset[str], selection: Selection) -> bool:
    if tags.intersection(selection.exclude_tags):
        return False  # excluded wins
    return not selection.tags or bool(tags.intersection(selection.tags))


def _keep(cls: UserClass, selection: Selection) -> UserClass | None:
    """The class with only its selected tasks, or None when none is left."""
    own = frozenset(cls.tags)
    if not cls.tasks:  # a stream-only class: its own tags decide
        return cls if _runs(own, selection) else None
    tasks = tuple(t for t in cls.tasks if _runs(own.union(t.tags), selection))
    if not tasks:
        return None
    if len(tasks) == len(cls.tasks):
        return cls
    if cls.order == "sequence":
        # A flow's later steps need what its earlier ones extract: half a flow fails.
        left = ", ".join(t.name for t in cls.tasks if t not in tasks)
        raise SelectionError(
            f"the selection would run class {cls.name!r}, an ordered flow, without its"
            f" steps {left}; select or exclude the whole class (tag the class, not its steps)"
        )
    return replace(cls, tasks=tasks)


def _still_measured(scenario: Scenario, kept: Sequence[UserClass]) -> tuple[Threshold, ...]:
    """The thresholds, less those about a task or stream that no longer runs."""
    running = {t.name for cls in kept for t in _steps(cls)}
    gone = {t.name for cls in scenario.users for t in _steps(cls)} - running
    streams = {cls.websocket.name for cls in kept if cls.websocket is not None}
    gone_streams = {
        cls.websocket.name for cls in scenario.users if cls.websocket is not None
    } - streams
    return tuple(
        t
        for t in scenario.thresholds
        if not (t.scope == "run" and t.endpoint in gone)
        and not (t.scope == "websocket" and t.stream in gone_streams)
    )


def _steps(cls: UserClass) -> tuple[Task, ...]:
    return (*cls.on_start, *cls.tasks, *cls.on_stop)


def _why(selection: Selection, profile: Profile | None) -> str:
    parts = []
    if profile is not None and profile.classes:
        parts.append(f"profile {profile.name!r} (classes {', '.join(profile.classes)})")
    if selection.tags:
        parts.append(f"--tags {','.join(selection.tags)}")
    if selection.exclude_tags:
        parts.append(f"--exclude-tags {','.join(selection.exclude_tags)}")
    return " and ".join(parts)


def _listed(known: Sequence[str], near: str | None = None) -> str:
    if not known:
        return " (this scenario has no tags)"
    hint = did_you_mean(near, known) if near is not None else None
    return f" (tags: {', '.join(known)})" + (f". {hint}" if hint else "")
