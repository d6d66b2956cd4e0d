"""Whether two recorded runs can be compared at all, read from their session headers.

A table of deltas between a 10 s run and a 30 s one, or a flat profile and a spike, marks
"regressions" that are only the difference in what was asked. Two runs are comparable
when they agree on:

- scenario: its name and its file's name. The folder alone does not count: the same file
  in another checkout, or on the CI machine, is the same scenario;
- profile: its name and its shape (model, stages, repeat, burst, start rate, in-flight
  cap), so a profile edited under the same name is caught too;
- selection: what ran of the file. A run narrowed by --tags/--exclude-tags or by its
  profile's `classes` records that selection and only the classes and tasks it kept;
  two selections that ran other classes or tasks differ. Other selections that ran the
  same ones give a note, and equal selections never differ: a task added to or renamed
  in the file is an added or removed endpoint in the table, as before selections;
- iterations: the iteration budget (-i, an `iterations` stage), "none" when absent;
- target: its URL (credentials are redacted in the header on both sides alike). Two
  loopback URLs differing only in port give a note, not a difference: the embedded demo
  target listens on a free port each run;
- duration: within 20% of BASE's. Not when both runs ended on the same iteration budget:
  their lengths are then an outcome (a slower NEW takes longer to run it), given as a note;
- workers: the header's `workers` count, 1 when absent (sessions record none yet).

Older sessions record neither a selection nor a budget: they compare as before.
Each difference is one line for the user, e.g. "duration 10.0s vs 30.0s (+200%)".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

from loadtui.report import fmt
from loadtui.scenario.iterations import describe_count
from loadtui.scenario.select import FOREVER
from loadtui.scenario.userinfo import redact_url

DURATION_SPREAD = 0.20  # lengths may differ by this share of BASE's
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_SHOWN = 3  # profile shape differences (or tasks that ran on one side) written out
_SELECTED_BY = ("classes", "--tags", "--exclude-tags")  # RunSetup.selection's parts

Ran = tuple[tuple[str, tuple[str, ...]], ...]  # (class, its task names), in file order


@dataclass(frozen=True)
class RunSetup:
    """What one session says about how its run was set up."""

    scenario: str
    scenario_file: str  # the file's name, without its folder
    profile: str
    shape: tuple[tuple[str, str], ...]  # the profile's settings, written out, in order
    target: str  # the URL
    duration_s: float
    workers: int
    # The selection, each part sorted: the profile's classes, --tags, --exclude-tags.
    selection: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())
    ran: Ran | None = None  # the classes and tasks that ran; None: not recorded
    iterations: int | None = None  # the budget that ends the run; None: none
    iterations_done: int = 0  # the iterations begun in all (the report's `iterations`)

    @property
    def ran_out(self) -> bool:
        """The run ended on its iteration budget."""
        return self.iterations is not None and self.iterations_done >= self.iterations


@dataclass(frozen=True)
class Difference:
    """One way two runs differ; `str()` is the line after "not comparable: "."""

    what: str  # "scenario", "profile", "selection", "iterations", "target", ...
    detail: str

    def __str__(self) -> str:
        return f"{self.what} {self.detail}"


def run_setup(header: Mapping[str, Any], duration_s: float, iterations_done: int = 0) -> RunSetup:
    """The facts of a session header (and of its final tick: its length, the iterations
    begun); missing parts read as empty (older sessions)."""
    scenario = _table(header, "scenario")
    profile = _table(header, "profile")
    chosen = scenario.get("selection")
    chosen = chosen if isinstance(chosen, Mapping) else {}
    budget = profile.get("iterations")
    return RunSetup(
        scenario=str(scenario.get("name") or ""),
        scenario_file=PurePath(str(scenario.get("path") or "")).name,
        profile=str(profile.get("name") or ""),
        shape=profile_shape(profile),
        target=redact_url(str(_table(header, "target").get("url") or "")),
        duration_s=duration_s,
        workers=_workers(header.get("workers")),
        selection=(
            _names(profile.get("classes")),
            _names(chosen.get("tags")),
            _names(chosen.get("exclude_tags")),
        ),
        ran=_ran(scenario.get("users")),
        iterations=budget if isinstance(budget, int) and not isinstance(budget, bool) else None,
        iterations_done=iterations_done,
    )


def _table(header: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A header part as a table; a bare string (a hand-written header) is its name/URL."""
    part = header.get(key)
    if isinstance(part, Mapping):
        return part
    return {"name": part, "url": part} if isinstance(part, str) else {}


def _workers(raw: Any) -> int:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 1 else 1


def _names(raw: Any) -> tuple[str, ...]:
    """A recorded list of names (tags, classes), sorted: their order selects nothing."""
    return tuple(sorted({n for n in raw if isinstance(n, str)})) if isinstance(raw, list) else ()


def _ran(users: Any) -> Ran | None:
    """The header scenario's classes and their tasks: what the run kept of the file."""
    if not isinstance(users, list):
        return None
    found = []
    for cls in users:
        if isinstance(cls, Mapping):
            tasks = cls.get("tasks")
            tasks = tasks if isinstance(tasks, list) else []
            names = [t.get("name") for t in tasks if isinstance(t, Mapping)]
            found.append((str(cls.get("name") or ""), tuple(str(n or "") for n in names)))
    return tuple(found)


def profile_shape(profile: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The settings that decide the load, as ("stage 2 users", "50") pairs."""
    stages = profile.get("stages")
    stages = stages if isinstance(stages, list) else []
    shape = [(key, _value(key, profile.get(key))) for key in ("model", "repeat")]
    shape.append(("stages", str(len(stages))))
    for i, stage in enumerate(stages, 1):
        if isinstance(stage, Mapping):
            shape += [(f"stage {i} {k}", _value(k, v)) for k, v in stage.items()]
    burst = profile.get("burst")
    burst_text = "none"
    if isinstance(burst, Mapping):
        burst_text = " ".join(f"{k}={_value(k, v)}" for k, v in burst.items() if v is not None)
    shape.append(("burst", burst_text))
    shape += [(key, _value(key, profile.get(key))) for key in ("start_rate", "max_inflight")]
    return tuple(shape)


def _value(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and key in ("duration", "every", "length", "offset"):
        return "until stopped" if value >= FOREVER else fmt.duration(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def differences(base: RunSetup, new: RunSetup) -> tuple[Difference, ...]:
    """Every way the runs differ, in a fixed order; empty when they are comparable."""
    found: list[Difference] = []
    if (base.scenario, base.scenario_file) != (new.scenario, new.scenario_file):
        found.append(Difference("scenario", f"{_scenario(base)} vs {_scenario(new)}"))
    changed = _shape_changes(base.shape, new.shape)
    if base.profile != new.profile:
        how = changed or "same settings"
        found.append(Difference("profile", f"{base.profile!r} vs {new.profile!r} ({how})"))
    elif changed:
        found.append(Difference("profile", f"{base.profile!r} differs: {changed}"))
    found += _selection_differences(base, new)
    if base.iterations != new.iterations:
        budgets = f"{_budget(base.iterations)} vs {_budget(new.iterations)}"
        found.append(Difference("iterations", budgets))
    if base.target != new.target and not loopback_port_only(base.target, new.target):
        found.append(Difference("target", f"{base.target or '-'} vs {new.target or '-'}"))
    if duration_differs(base.duration_s, new.duration_s) and not same_budget_run_out(base, new):
        found.append(Difference("duration", _durations(base.duration_s, new.duration_s)))
    if base.workers != new.workers:
        found.append(Difference("workers", f"{base.workers} vs {new.workers}"))
    return tuple(found)


def notes(base: RunSetup, new: RunSetup) -> tuple[str, ...]:
    """What differs without making the runs incomparable."""
    found: list[str] = []
    if base.target != new.target and loopback_port_only(base.target, new.target):
        found.append(
            f"targets {base.target} and {new.target} differ only in a loopback port: taken"
            " as the same target (the embedded demo target takes a free port each run)"
        )
    if base.selection != new.selection and _ran_alike(base, new):
        found.append(
            f"selections {_selection(base)} and {_selection(new)} differ, but the same"
            " classes and tasks ran"
        )
    count = base.iterations
    lengths_differ = duration_differs(base.duration_s, new.duration_s)
    if count is not None and lengths_differ and same_budget_run_out(base, new):
        found.append(
            f"both runs ended on their {describe_count(count)}: lengths"
            f" {_durations(base.duration_s, new.duration_s)} are a result, not a difference"
        )
    return tuple(found)


def same_budget_run_out(base: RunSetup, new: RunSetup) -> bool:
    """Both runs ended on one and the same iteration budget."""
    return base.iterations == new.iterations and base.ran_out and new.ran_out


def _selection_differences(base: RunSetup, new: RunSetup) -> list[Difference]:
    """A line when the selections differ and so did what ran (or a side does not say)."""
    if base.selection == new.selection or _ran_alike(base, new):
        return []
    changes = "" if base.ran is None or new.ran is None else f" ({_ran_changes(base.ran, new.ran)})"
    return [Difference("selection", f"{_selection(base)} vs {_selection(new)}{changes}")]


def _ran_alike(base: RunSetup, new: RunSetup) -> bool:
    """Both sessions say what ran, and the same classes ran the same tasks."""
    if base.ran is None or new.ran is None:
        return False
    return _by_class(base.ran) == _by_class(new.ran)


def _by_class(ran: Ran) -> dict[str, frozenset[str]]:
    return {cls: frozenset(tasks) for cls, tasks in ran}


def _selection(facts: RunSetup) -> str:
    """ "classes spike --tags write --exclude-tags slow"; "none" when nothing was picked."""
    parts = [
        f"{label} {','.join(names)}"
        for label, names in zip(_SELECTED_BY, facts.selection, strict=True)
        if names
    ]
    return " ".join(parts) or "none"


def _ran_changes(base: Ran, new: Ran) -> str:
    """ "only BASE ran class browse; only NEW ran tasks a, b of shop and class c"."""
    sides = []
    for tag, mine, theirs in (("BASE", base, new), ("NEW", new, base)):
        other = _by_class(theirs)
        items = [_listing("class", [cls for cls, _ in mine if cls not in other])]
        items += [
            _listing("task", [t for t in tasks if t not in other[cls]], f" of {cls}")
            for cls, tasks in mine
            if cls in other
        ]
        if said := [item for item in items if item]:
            sides.append(f"only {tag} ran {' and '.join(said)}")
    return "; ".join(sides)


def _listing(word: str, names: list[str], suffix: str = "") -> str:
    """ "tasks a, b, c, +2 more of shop"; "" for no name."""
    if not names:
        return ""
    more = len(names) - _SHOWN
    shown = ", ".join(names[:_SHOWN]) + (f", +{more} more" if more > 0 else "")
    return f"{word}{'s' if len(names) > 1 else ''} {shown}{suffix}"


def _budget(iterations: int | None) -> str:
    return "none" if iterations is None else fmt.count(iterations)


def _scenario(facts: RunSetup) -> str:
    file = f" ({facts.scenario_file})" if facts.scenario_file else ""
    return f"{facts.scenario!r}{file}"


def _durations(base_s: float, new_s: float) -> str:
    """ "10.0s vs 30.0s (+200%)"."""
    rel = f"{(new_s - base_s) / base_s * 100:+.0f}%" if base_s > 0 else "new"
    return f"{fmt.duration(base_s)} vs {fmt.duration(new_s)} ({rel})"


def _shape_changes(base: tuple[tuple[str, str], ...], new: tuple[tuple[str, str], ...]) -> str:
    """ "stage 1 users 4 vs 8, repeat 1 vs 2"; per stage only when the counts agree."""
    a, b = dict(base), dict(new)
    keys = [k for k, _ in base] + [k for k, _ in new if k not in a]
    if a.get("stages") != b.get("stages"):
        keys = [k for k in keys if not k.startswith("stage ")]
    changed = [
        f"{k} {a.get(k, '-')} vs {b.get(k, '-')}" for k in keys if a.get(k, "-") != b.get(k, "-")
    ]
    more = len(changed) - _SHOWN
    return ", ".join(changed[:_SHOWN]) + (f" and {more} more" if more > 0 else "")


def duration_differs(base_s: float, new_s: float) -> bool:
    """Lengths more than 20% of BASE's apart (a zero-length BASE matches only zero)."""
    return abs(new_s - base_s) > DURATION_SPREAD * base_s if base_s > 0 else new_s > 0


def loopback_port_only(a: str, b: str) -> bool:
    """Both URLs on a loopback host, equal but for the port."""
    try:
        pa, pb = urlsplit(a), urlsplit(b)
        ports = pa.port, pb.port
    except ValueError:
        return False
    same_rest = (pa.scheme, pa.hostname, pa.path) == (pb.scheme, pb.hostname, pb.path)
    return same_rest and pa.hostname in LOOPBACK and ports[0] != ports[1]
