"""Flags read by hand: numbers, durations and output paths checked with the loader's
kind of one-line message (and exit 2) before anything is loaded or sent."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loadtui.cli.support import Failure
from loadtui.engine.config import Overrides

if TYPE_CHECKING:
    from loadtui.scenario.model import Scenario, Selection

TICK_RANGE = (0.05, 10.0)  # seconds between snapshots

# Options more than one command takes, declared once.
TargetOption = Annotated[str | None, typer.Option("--target", help="Target name or URL")]
ProfileOption = Annotated[str | None, typer.Option("--profile", help="Profile name")]
SessionOption = Annotated[Path | None, typer.Option("--session", help="Session log path")]
TickOption = Annotated[float, typer.Option("--tick", help="Seconds between snapshots")]
WorkersOption = Annotated[
    str | None,
    typer.Option(
        "--workers",
        metavar="N|auto",
        help="Load generators: processes on this machine (auto: one per usable core), "
        "or Ray actors with --ray (default: one per CPU of the cluster)",
    ),
]
RayOption = Annotated[
    str | None,
    typer.Option(
        "--ray",
        metavar="ADDRESS",
        help="Run the workers as Ray actors: auto, ray://HOST:10001, or local "
        "(starts a Ray instance here); needs pip install 'loadtui[ray]'",
    ),
]
MAX_WORKERS = 1024
TargetPidOption = Annotated[
    list[int] | None,
    typer.Option("--target-pid", help="Watch this process and its children (RSS/CPU); repeatable"),
]
RedactOption = Annotated[
    list[str] | None,
    typer.Option("--redact", help="A header, query, variable or body key to hide in the session"),
]
# The load and the selection (run, the console; rerun takes the selection).
UsersOption = Annotated[
    str | None, typer.Option("-u", "--users", metavar="N", help="Closed model: users")
]
SpawnRateOption = Annotated[
    str | None, typer.Option("-r", "--spawn-rate", metavar="N", help="Users started per second")
]
RateOption = Annotated[
    str | None, typer.Option("--rate", metavar="N", help="Open model: requests/s")
]
DurationOption = Annotated[
    str | None, typer.Option("-t", "--duration", help="Run length, e.g. 30s, 5m")
]
IterationsOption = Annotated[
    str | None,
    typer.Option(
        "-i",
        "--iterations",
        metavar="N",
        help="Closed model: end the run after N iterations in all (a task, or a pass of a flow)",
    ),
]
TagsOption = Annotated[
    list[str] | None,
    typer.Option(
        "-T",
        "--tags",
        metavar="TAG[,TAG]",
        help="Run only the tasks tagged so, or whose user class is; repeatable",
    ),
]
ExcludeTagsOption = Annotated[
    list[str] | None,
    typer.Option(
        "-E",
        "--exclude-tags",
        metavar="TAG[,TAG]",
        help="Never run the tasks tagged so, or whose user class is (wins over --tags)",
    ),
]
ReportJsonOption = Annotated[Path | None, typer.Option("--report-json")]
ReportMdOption = Annotated[Path | None, typer.Option("--report-md")]
CsvOption = Annotated[str | None, typer.Option("--csv", help="CSV files prefix")]
JunitOption = Annotated[Path | None, typer.Option("--junit")]
ReportHtmlOption = Annotated[
    Path | None,
    typer.Option("--report-html", help="One self-contained HTML file: charts, zoom, no network"),
]


def parse_duration_flag(text: str | None, flag: str) -> float | None:
    if text is None:
        return None
    from loadtui.scenario.units import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise Failure(f"{flag} {text!r}: {exc}") from None


def parse_run_length(text: str | None) -> float | None:
    """-t: a duration above 0 and within the bound every duration has (bounds.py)."""
    seconds = parse_duration_flag(text, "--duration")
    if seconds is None:
        return None
    from loadtui.scenario.select import SelectionError, check_duration

    try:
        check_duration(seconds)
    except SelectionError as exc:
        raise Failure(str(exc)) from None
    return seconds


def parse_number_flag(text: str | None, flag: str) -> float | None:
    """A numeric flag (-u, -r, --rate, --streams) read as text, so `-u 1e20` or
    `--rate nan` get the loader's kind of one-line error (bounds.py) rather than the
    option parser's usage block."""
    if text is None:
        return None
    from loadtui.scenario.select import FLAGS, SelectionError, check_flag

    kind = "a whole number" if FLAGS[flag][2] else "a number"
    try:
        value = float(text.strip().replace("_", ""))
    except ValueError:
        raise Failure(f"{flag}: expected {kind}, got {text!r}") from None
    try:
        check_flag(flag, value)
    except SelectionError as exc:
        raise Failure(str(exc)) from None
    return value


def parse_count_flag(text: str | None, flag: str) -> int | None:
    """-u / --streams: a whole number within bounds (`1e3` reads as 1000)."""
    value = parse_number_flag(text, flag)
    return None if value is None else int(value)


def parse_overrides(
    *,
    users: str | None,
    spawn_rate: str | None,
    rate: str | None,
    streams: str | None,
    duration: str | None,
    iterations: str | None = None,
) -> Overrides:
    """-u, -r, --rate, --streams and -t, each checked on its own; how they combine is
    checked when the profile is picked."""
    seconds = parse_run_length(duration)
    n_users = parse_count_flag(users, "--users")
    n_streams = parse_count_flag(streams, "--streams")
    n_spawn = parse_number_flag(spawn_rate, "--spawn-rate")
    n_rate = parse_number_flag(rate, "--rate")
    return Overrides(n_users, n_spawn, n_rate, n_streams, seconds, parse_iterations(iterations))


def parse_iterations(text: str | None) -> int | None:
    """-i: a whole number of iterations from 1 (`1e3` reads as 1000)."""
    if text is None:
        return None
    from loadtui.scenario.iterations import check_count
    from loadtui.scenario.select import SelectionError

    try:
        value = float(text.strip().replace("_", ""))
    except ValueError:
        raise Failure(f"--iterations: expected a whole number, got {text!r}") from None
    try:
        check_count(value)
    except SelectionError as exc:
        raise Failure(str(exc)) from None
    return int(value)


def parse_selection(tags: list[str] | None, exclude: list[str] | None) -> Selection | None:
    """-T/--tags and -E/--exclude-tags (each repeatable, comma-separated); None when
    neither is given. Whether the scenario has those tags is checked once it is loaded."""
    if tags is None and exclude is None:
        return None
    from loadtui.scenario.model import Selection
    from loadtui.scenario.select import SelectionError
    from loadtui.scenario.tags import parse_tags

    try:
        chosen = parse_tags(tags or (), "--tags")
        return Selection(chosen, parse_tags(exclude or (), "--exclude-tags"))
    except SelectionError as exc:
        raise Failure(str(exc)) from None


def check_tick(tick: float) -> None:
    low, high = TICK_RANGE
    if not low <= tick <= high:
        raise Failure(f"--tick must be between {low:g} and {high:g} seconds")


def check_writable(flag: str, path: Path | str | None) -> None:
    """Fail before any load is sent if a report could not be written afterwards."""
    if path is None or str(path) == "-":
        return
    target = Path(path)
    if target.is_dir():
        raise Failure(f"{flag} {path}: is a directory")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Failure(f"{flag} {path}: cannot create its folder ({exc.strerror})") from None
    if not os.access(target.parent, os.W_OK):
        raise Failure(f"{flag} {path}: folder is not writable")


def check_outputs(*outputs: tuple[str, Path | str | None]) -> None:
    """Each (flag, path) given is writable."""
    for flag, path in outputs:
        check_writable(flag, path)


def fleet(
    workers: str | None, ray: str | None, scenario: Scenario | None = None
) -> tuple[int, str | None]:
    # `scenario`: its Python task modules travel with the job to a remote cluster.
    """--workers and --ray: how many load generators, and the Ray cluster's address
    (joined, or started for `local`, here and now) when they are Ray actors."""
    if ray is None:
        return (1 if workers is None else parse_workers(workers)), None
    from loadtui.engine.raylink import RayMissing, connect

    count = None if workers is None or workers.strip().lower() == "auto" else parse_workers(workers)
    try:
        address, cpus = connect(ray.strip(), scenario)
    except RayMissing as exc:
        raise Failure(str(exc)) from None
    except Exception as exc:  # Ray's own: no cluster at that address, a version mismatch
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Failure(f"--ray {ray}: cannot join the Ray cluster: {first}", 3) from None
    return (count or cpus), address


def parse_workers(text: str) -> int:
    """--workers: a whole number from 1, or `auto` (one per core this process may use)."""
    if text.strip().lower() == "auto":
        from loadtui.engine.fleet import usable_cores

        return usable_cores()
    try:
        value = int(text.strip())
    except ValueError:
        raise Failure(f"--workers: expected a whole number or auto, got {text!r}") from None
    if not 1 <= value <= MAX_WORKERS:
        raise Failure(f"--workers must be between 1 and {MAX_WORKERS}, got {value}")
    return value
