"""What the launch screen offers: the scenarios it can find, and plain-text previews of them.

UI-free on purpose (no textual, no rich): discovery and preview text are tested without
a terminal, and the same words could serve a `loadtui list` command later.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from loadtui.engine.schedule import describe_stage, rate_at, users_at
from loadtui.report.fmt import duration as fmt_duration
from loadtui.scenario import Problem, ScenarioError, load_scenario
from loadtui.scenario.model import Profile, Scenario

Origin = Literal["given", "bundled", "cwd"]
DEMO_FILE = "demo.toml"
MAX_FILES = 200  # per folder: a folder of thousands of TOML files is not a scenario shelf
SCENARIO_KEYS = ("targets", "users", "profiles")
SPARK = "▁▂▃▄▅▆▇█"
MAX_STAGES_SHOWN = 8


@dataclass(frozen=True)
class CatalogEntry:
    """One scenario file: loaded, or the problems that kept it from loading."""

    path: Path  # resolved
    origin: Origin
    scenario: Scenario | None = None
    problems: tuple[Problem, ...] = ()
    shown_path: str = ""  # short, stable form for the screen (relative when possible)

    @property
    def valid(self) -> bool:
        return self.scenario is not None

    @property
    def name(self) -> str:
        return self.scenario.name if self.scenario else self.path.stem

    @property
    def description(self) -> str:
        return self.scenario.description if self.scenario else ""


def discover(
    *,
    bundled: Path | None,
    cwd: Path | None,
    given: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> list[CatalogEntry]:
    """Given file first, then the bundled folder (demo first), then `*.toml` in cwd.

    A file found twice (the given file sitting in cwd, cwd being the bundled folder) is
    listed once, at its first place. TOML in cwd that is clearly not a scenario (no
    targets, users or profiles table, e.g. pyproject.toml) is skipped; a cwd file that
    does not even parse is kept, since it may be a scenario being edited.
    """
    environ = os.environ if env is None else env
    seen: set[Path] = set()
    out: list[CatalogEntry] = []

    def add(path: Path, origin: Origin) -> None:
        resolved = path.resolve()
        if resolved in seen:
            return
        seen.add(resolved)
        out.append(load_entry(resolved, origin, environ, shown=short_path(resolved, cwd, bundled)))

    if given is not None:
        add(given, "given")
    for path in _bundled_files(bundled):
        add(path, "bundled")
    for path in _toml_files(cwd):
        if path.resolve() not in seen and _looks_like_scenario(path):
            add(path, "cwd")
    return out


def load_entry(
    path: Path, origin: Origin, env: Mapping[str, str], *, shown: str = ""
) -> CatalogEntry:
    """Load one file; any failure becomes problems on the entry, never an exception."""
    try:
        scenario = load_scenario(path, env)
    except ScenarioError as exc:
        problems = tuple(exc.problems) or (Problem(str(path), None, "", "invalid scenario"),)
        return CatalogEntry(path, origin, None, problems, shown or str(path))
    except Exception as exc:  # a loader bug must not take the launch screen down
        problem = Problem(str(path), None, "", f"cannot load: {type(exc).__name__}: {exc}")
        return CatalogEntry(path, origin, None, (problem,), shown or str(path))
    return CatalogEntry(path, origin, scenario, (), shown or str(path))


def short_path(path: Path, cwd: Path | None, bundled: Path | None) -> str:
    """`./x.toml` under cwd, `scenarios/x.toml` for bundled files, else the full path."""
    if cwd is not None:
        try:
            return f"./{path.relative_to(cwd.resolve())}"
        except ValueError:
            pass
    if bundled is not None:
        base = bundled.resolve()
        try:
            return str(Path(base.name) / path.relative_to(base))
        except ValueError:
            pass
    return str(path)


def _toml_files(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    try:
        found = sorted(p for p in folder.glob("*.toml") if p.is_file())
    except OSError:
        return []
    return found[:MAX_FILES]


def _bundled_files(folder: Path | None) -> list[Path]:
    files = _toml_files(folder)
    return sorted(files, key=lambda p: (p.name != DEMO_FILE, p.name))


def _looks_like_scenario(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return True  # keep it: loading it again will say what is wrong
    return any(key in data for key in SCENARIO_KEYS)


def url_problem(text: str) -> str | None:
    """Why `text` is not a usable target URL (http(s)://host[:port][/path]), or None."""
    text = text.strip()
    if not text:
        return "type a URL: http://host:port"
    if any(c.isspace() for c in text):
        return "a URL has no spaces"
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # "http://[::1" while typing: invalid IPv6 brackets
        return f"not a URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "the URL must start with http:// or https://"
    if not parts.hostname:
        return "the URL has no host: http://HOST[:PORT]"
    try:
        port = parts.port
    except ValueError:
        return "the port must be a number from 1 to 65535"
    if port == 0:
        return "the port must be a number from 1 to 65535"
    if parts.query or parts.fragment:
        return "a target URL takes no ?query or #fragment"
    return None


def sparkline(values: Sequence[float]) -> str:
    """Eight-level bars scaled to the largest value; zero is a blank."""
    top = max(values, default=0.0)
    if top <= 0:
        return " " * len(values)
    out = []
    for v in values:
        if v <= 0:
            out.append(" ")
        else:
            out.append(SPARK[min(len(SPARK) - 1, math.ceil(v / top * len(SPARK)) - 1)])
    return "".join(out)


def load_curve(profile: Profile, points: int = 40) -> list[float]:
    """Users (closed model, ramped at the spawn rate) or arrivals/s (open) over the profile."""
    total = profile.duration
    if points <= 0 or not math.isfinite(total) or total <= 0:
        return []
    step = total / points
    if profile.model == "open":
        return [rate_at(profile, (i + 0.5) * step) for i in range(points)]
    level = 0.0
    out = []
    for i in range(points):
        wanted, spawn = users_at(profile, (i + 0.5) * step)
        move = spawn * step
        level = min(wanted, level + move) if wanted > level else max(wanted, level - move)
        out.append(level)
    return out


def profile_lines(profile: Profile, width: int = 40) -> list[str]:
    """A few lines telling what a profile does: model, length, stages, burst, shape."""
    model = "open model (arrival rate)" if profile.model == "open" else "closed model (users)"
    head = f"{profile.name} · {model} · {fmt_duration(profile.duration)}"
    lines = [head]
    if profile.description:
        lines.append(profile.description)
    for i, stage in enumerate(profile.stages[:MAX_STAGES_SHOWN], 1):
        lines.append(f"  {i}. {describe_stage(profile, stage)}")
    hidden = len(profile.stages) - MAX_STAGES_SHOWN
    if hidden > 0:
        lines.append(f"  … {hidden} more stage{'s' if hidden > 1 else ''}")
    if profile.repeat > 1:
        lines.append(f"  repeated {profile.repeat} times")
    b = profile.burst
    if b is not None:
        level = f"{b.rate:g}/s" if b.rate is not None else f"{b.users} users"
        lines.append(f"  burst: {level} for {b.length:g}s every {b.every:g}s")
    if profile.model == "open" and profile.start_rate is not None:
        lines.append(f"  starts at {profile.start_rate:g}/s")
    curve = load_curve(profile, max(8, width))
    if curve:
        unit = "/s" if profile.model == "open" else " users"
        label = "rate " if profile.model == "open" else "users"
        lines.append(f"  {label} {sparkline(curve)} peak {peak(profile):g}{unit}")
    return lines


def peak(profile: Profile) -> float:
    """The highest level the profile asks for: users (closed) or arrivals/s (open)."""
    if profile.model == "open":
        levels = [s.rate or 0.0 for s in profile.stages]
        levels += [profile.start_rate or 0.0, (profile.burst.rate if profile.burst else 0) or 0]
    else:
        levels = [float(s.users or 0) for s in profile.stages]
        levels.append(float((profile.burst.users if profile.burst else 0) or 0))
    return max(levels, default=0.0)


def thresholds_summary(scenario: Scenario) -> str:
    return " · ".join(t.label for t in scenario.thresholds) or "no thresholds"


def problem_lines(problems: Iterable[Problem]) -> list[str]:
    """Problems without the file name (the screen shows it once above them)."""
    out = []
    for p in problems:
        where = f"line {p.line}: " if p.line is not None else ""
        what = f"{p.path}: {p.message}" if p.path else p.message
        if p.hint:
            what = f"{what.rstrip('.')}. {p.hint}"
        out.append(f"{where}{what}")
    return out


def entry_rows(entries: Sequence[CatalogEntry]) -> list[str]:
    """One aligned line per scenario: ✗ when invalid, name, what it does (or how many
    problems it has), and its file name when that differs from the scenario's name."""
    width = min(22, max((len(e.name) for e in entries), default=0))
    rows = []
    for e in entries:
        n = len(e.problems)
        what = e.description if e.valid else f"{n} problem{'s' if n != 1 else ''}, cannot start"
        file = f"  ({e.path.name})" if e.path.stem != e.name else ""
        rows.append(f"{'  ' if e.valid else '✗ '}{e.name:<{width}}  {what}{file}".rstrip())
    return rows


def entry_lines(entry: CatalogEntry) -> list[str]:
    """The detail of a scenario: where it is, what it does, or why it cannot run."""
    head = f"{entry.name} — {entry.shown_path} ({entry.origin})"
    if entry.scenario is None:
        n = len(entry.problems)
        lines = [f"✗ {head}: {n} problem{'s' if n != 1 else ''}, cannot start"]
        return lines + [f"  {p}" for p in problem_lines(entry.problems)]
    scenario = entry.scenario
    lines = [head]
    if scenario.description:
        lines.append(scenario.description)
    lines.append("users: " + " · ".join(f"{u.name} ×{u.weight:g}" for u in scenario.users))
    lines.append(f"thresholds: {thresholds_summary(scenario)}")
    return lines


def profile_tag(profile: Profile) -> str:
    return f"{profile.model} · {fmt_duration(profile.duration)}"
