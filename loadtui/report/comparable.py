"""Whether two recorded runs can be compared at all, read from their session headers.

A table of deltas between a 10 s run and a 30 s one, or a flat profile and a spike, marks
"regressions" that are only the difference in what was asked. Two runs are comparable
when they agree on:

- scenario: its name and its file's name. The folder alone does not count: the same file
  in another checkout, or on the CI machine, is the same scenario;
- profile: its name and its shape (model, stages, repeat, burst, start rate, in-flight
  cap), so a profile edited under the same name is caught too;
- target: its URL (credentials are redacted in the header on both sides alike). Two
  loopback URLs differing only in port give a note, not a difference: the embedded demo
  target listens on a free port each run;
- duration: within 20% of BASE's;
- workers: the header's `workers` count, 1 when absent (sessions record none yet).

Each difference is one line for the user, e.g. "duration 10.0s vs 30.0s (+200%)".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

from loadtui.report import fmt
from loadtui.scenario.select import FOREVER
from loadtui.scenario.userinfo import redact_url

DURATION_SPREAD = 0.20  # lengths may differ by this share of BASE's
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_SHOWN = 3  # profile shape differences written out; the rest counted


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


@dataclass(frozen=True)
class Difference:
    """One way two runs differ; `str()` is the line after "not comparable: "."""

    what: str  # "scenario", "profile", "target", "duration", "workers"
    detail: str

    def __str__(self) -> str:
        return f"{self.what} {self.detail}"


def run_setup(header: Mapping[str, Any], duration_s: float) -> RunSetup:
    """The facts of a session header; missing parts read as empty (older sessions)."""
    scenario = _table(header, "scenario")
    profile = _table(header, "profile")
    return RunSetup(
        scenario=str(scenario.get("name") or ""),
        scenario_file=PurePath(str(scenario.get("path") or "")).name,
        profile=str(profile.get("name") or ""),
        shape=profile_shape(profile),
        target=redact_url(str(_table(header, "target").get("url") or "")),
        duration_s=duration_s,
        workers=_workers(header.get("workers")),
    )


def _table(header: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A header part as a table; a bare string (a hand-written header) is its name/URL."""
    part = header.get(key)
    if isinstance(part, Mapping):
        return part
    return {"name": part, "url": part} if isinstance(part, str) else {}


def _workers(raw: Any) -> int:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 1 else 1


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
    if base.target != new.target and not loopback_port_only(base.target, new.target):
        found.append(Difference("target", f"{base.target or '-'} vs {new.target or '-'}"))
    if duration_differs(base.duration_s, new.duration_s):
        found.append(Difference("duration", _durations(base.duration_s, new.duration_s)))
    if base.workers != new.workers:
        found.append(Difference("workers", f"{base.workers} vs {new.workers}"))
    return tuple(found)


def notes(base: RunSetup, new: RunSetup) -> tuple[str, ...]:
    """What differs without making the runs incomparable."""
    if base.target != new.target and loopback_port_only(base.target, new.target):
        return (
            f"targets {base.target} and {new.target} differ only in a loopback port: taken"
            " as the same target (the embedded demo target takes a free port each run)",
        )
    return ()


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
