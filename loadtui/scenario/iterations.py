"""Runs that end on a count: `iterations = N` in a profile's stage, or `-i N`.

An iteration is one task execution, or one pass of an ordered flow
(`order = "sequence"`); the run ends once N of them have run in all, over every user
and worker (k6's shared iterations). A stage that counts iterations has no duration,
so it is the profile's only stage (closed model); its clock reads "until stopped"
(select.FOREVER), and the count, `Profile.iterations`, ends the run.
"""

from __future__ import annotations

from dataclasses import replace

from loadtui.scenario.bounds import count_text, number_problem
from loadtui.scenario.fields import Section
from loadtui.scenario.model import Model, Profile
from loadtui.scenario.select import SelectionError

MAX_ITERATIONS = 1_000_000_000_000  # far past any run; a bigger count is a typo
ITERATIONS_HINT = "Like iterations = 1000: task executions (or passes of a flow) in all"
FLAG = "--iterations"
# How the stop of a run whose count is done begins ("run finished: 40 iterations done");
# a re-run reads it to end on the count too (session/rerun.py).
COUNT_DONE = "run finished: "


def read_iterations(sec: Section, model: Model) -> int | None:
    """`iterations` of one stage table (None when it has none); its problems on the stage."""
    if not sec.has("iterations"):
        return None
    if sec.has("duration"):
        sec.error(
            "duration",
            "a stage lasts a duration or a number of iterations, not both",
            "Cut an iterations run short with -t",
        )
    if model == "open":
        sec.error(
            "iterations",
            "iterations apply to the closed model (users)",
            "Give the stage users = N, or a duration",
        )
        return None
    value: int | None = sec.number(
        "iterations",
        None,
        minimum=1,
        integer=True,
        maximum=MAX_ITERATIONS,
        unit="iterations",
        hint=ITERATIONS_HINT,
    )
    users = sec.data.get("users")
    if value is not None and (users == 0 or (users is None and sec.has("streams"))):
        sec.error("users", "an iterations stage needs users to run them", "Give users = N")
    return value


def check_sole_stage(sec: Section, counted: list[int], stages: int) -> None:
    """An iterations stage has no end in time: it is the profile's only stage, and the
    profile does not repeat (`counted`: the indexes of stages with iterations)."""
    if counted and stages > 1:
        sec.out.add(
            (*sec.at("stages"), counted[0], "iterations"),
            "an iterations stage is the profile's only stage",
            "Put the timed stages in a profile of their own, or count with -i N",
        )
    if counted and sec.has("repeat"):
        sec.error("repeat", "a profile of iterations does not repeat", "Raise iterations instead")


def with_iterations(profile: Profile, count: int | None) -> Profile:
    """-i N: the profile, ended after N iterations (or by its own end, if that comes first).
    Raises SelectionError (a line for the user) for a count out of bounds or an open model."""
    if count is None:
        return profile
    check_count(count)
    if profile.model == "open":
        raise SelectionError(
            f"{FLAG} counts the closed model's iterations: profile {profile.name!r} is open"
            " (use -u N, or a closed profile)"
        )
    return replace(profile, iterations=int(count))


def check_count(count: float) -> None:
    """-i N: a whole number from 1 to MAX_ITERATIONS, else SelectionError."""
    problem = number_problem(count, MAX_ITERATIONS, minimum=1, unit="iterations")
    if problem is None and not float(count).is_integer():
        problem = f"must be a whole number, got {count:g}"
    if problem is not None:
        raise SelectionError(f"{FLAG}: {problem}")


def describe_count(n: int) -> str:
    """1000 -> "1,000 iterations"."""
    return f"{count_text(n)} iteration{'s' if n != 1 else ''}"
