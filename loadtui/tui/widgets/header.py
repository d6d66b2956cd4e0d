"""The run header: what runs against what, where the profile is, and the live figures
an operator checks first (state, users, rate, req/s, errors), plus standing warnings
on their own line so they cannot be missed.

req/s and errors are the snapshot's interval figures: the screen hands it a view of
the last 10 s (metrics/window.py), the window the endpoints table shows. Once the run
has stopped the figures are the final ones: the whole run's totals, nothing left.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from loadtui.metrics.snapshot import LoadState, Snapshot
from loadtui.report import fmt
from loadtui.scenario.bounds import endless
from loadtui.scenario.model import Profile
from loadtui.scenario.userinfo import redact_url
from loadtui.tui.widgets.common import WINDOW_LABEL, state_text, waiting, warning_line

SEP = "  "


def stage_text(profile: Profile, load: LoadState) -> str:
    """`ramp 2/3 (12.0s left)`, `ramp: manual`, `ramp: stopping`, `ramp: ended`, or the
    profile alone; `(iterations 23/200)` when a count ends the run (-i, an iterations
    stage), and `(until stopped)` rather than the ten years an endless stage lasts."""
    name = load.profile or profile.name
    if load.state == "stopped":
        return f"{name}: ended"
    if load.state == "stopping":
        return f"{name}: stopping"
    count = iterations_text(load)
    if not load.following_profile:  # a count still ends a run steered by hand
        return f"{name}: manual ({count})" if count else f"{name}: manual"
    where = name
    parts: list[str] = []
    if load.stage >= 0 and load.stages > 0:
        where = f"{name} {load.stage + 1}/{load.stages}"
        if not endless(load.stage_left_s):
            parts.append(f"{fmt.duration(load.stage_left_s)} left")
            run_left = load.run_left_s
            if load.stages > 1 and run_left is not None and run_left - load.stage_left_s >= 1:
                parts.append(f"run {fmt.duration(run_left)}")
        elif not count:  # nothing ends the run but the operator
            parts.append("until stopped")
    elif load.stage_left_s > 0 and not endless(load.stage_left_s):
        parts.append(f"{fmt.duration(load.stage_left_s)} left")
    parts.append(count)
    shown = ", ".join(p for p in parts if p)
    return f"{where} ({shown})" if shown else where


def iterations_text(load: LoadState) -> str:
    """`iterations 23/200` when a count ends the run, else ""."""
    if not load.iterations_target:
        return ""
    return f"iterations {fmt.count(load.iterations)}/{fmt.count(load.iterations_target)}"


def load_text(load: LoadState) -> str:
    """Users now/wanted (closed model), arrival rate (open model, or when set by hand),
    stream-only sessions now/wanted (when any are asked for)."""
    parts = []
    if load.model == "closed" or load.users or load.users_target:
        parts.append(f"users {load.users}/{load.users_target}")
    if load.model == "open" or load.rate > 0:
        parts.append(f"rate {fmt.rate(load.rate)}/s")
    if load.streams or load.streams_target:
        parts.append(f"streams {load.streams}/{load.streams_target}")
    return SEP.join(parts)


def header_text(
    scenario: str, target: str, profile: Profile, snap: Snapshot, window: str = WINDOW_LABEL
) -> Text:
    """`window` names what the snapshot's interval figures cover."""
    load = snap.load
    line1 = Text(no_wrap=True, overflow="ellipsis")
    line1.append_text(state_text(load.state))
    line1.append(f"{SEP}{fmt.duration(snap.t)}{SEP}")
    line1.append(stage_text(profile, load), style="bold")
    line1.append(f"{SEP}{scenario} → {target}", style="dim")
    line2 = final_text(snap) if load.state == "stopped" else live_text(snap, window)
    lines = [line1, line2]
    if snap.warnings:
        warn = Text(no_wrap=True, overflow="ellipsis")
        for w in snap.warnings:
            warn.append_text(warning_line(w))
            warn.append(" ")
        lines.append(warn)
    return Text("\n").join(lines)


def live_text(snap: Snapshot, window: str) -> Text:
    """Load now, then the window's req/s and error share, and what is in flight."""
    total = snap.total
    errors = total.interval_failures / total.interval_requests if total.interval_requests else 0.0
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(load_text(snap.load), style="bold")
    line.append(f"{SEP}{window}: ", style="dim")
    line.append(f"req/s {fmt.rate(total.rps)}{SEP}")
    line.append(f"errors {fmt.pct(errors)}", style="bold red" if errors else "")
    line.append(f"{SEP}inflight {snap.load.inflight}")
    fleet = fleet_text(snap)
    if fleet:
        lost = any(not w.alive for w in snap.workers)
        line.append(f"{SEP}{fleet}", style="bold red" if lost else "")
    return line


def fleet_text(snap: Snapshot) -> str:
    """"workers 3/4" (alive/total) for a run on more than one generator, else ""."""
    if len(snap.workers) <= 1:
        return ""
    alive = sum(1 for w in snap.workers if w.alive)
    return f"workers {alive}/{len(snap.workers)}"


def final_text(snap: Snapshot) -> Text:
    """The whole run's totals, once it has stopped."""
    total = snap.total
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("final: ", style="bold")
    line.append(f"{fmt.count(total.requests)} requests{SEP}req/s {fmt.rate(total.mean_rps)}")
    line.append(SEP)
    line.append(
        f"{fmt.count(total.failures)} failed ({fmt.pct(total.error_rate)})",
        style="bold red" if total.failures else "",
    )
    count = iterations_text(snap.load)
    if count:
        line.append(f"{SEP}{count}")
    return line


def initial_text(scenario: str, target: str, profile: Profile) -> Text:
    """Before any snapshot: what is about to run, and that figures are on their way."""
    line1 = Text(no_wrap=True, overflow="ellipsis")
    line1.append_text(state_text("starting"))
    line1.append(f"{SEP}{profile.name}", style="bold")
    line1.append(f"{SEP}{scenario} → {target}", style="dim")
    return Text("\n").join([line1, waiting()])


class RunHeader(Static):
    """Two lines, three while a warning stands (the only pane whose height changes); the
    replay adds its own line on top."""

    DEFAULT_CSS = """
    RunHeader {
        height: auto; padding: 0 1; background: $boost;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(
        self,
        scenario: str,
        target: str,
        profile: Profile,
        *,
        window: str = WINDOW_LABEL,
        id: str | None = None,
    ):
        target = redact_url(target)  # live or replayed, the header shows no password
        super().__init__(initial_text(scenario, target, profile), id=id)
        self.scenario = scenario
        self.target = target
        self.profile = profile
        self.window = window  # what the interval figures of the snapshots shown cover
        self._lines = 2

    def show(self, snap: Snapshot, where: Text | None = None) -> None:
        """The figures of `snap`, under `where` when given (replay: the file, the playhead)."""
        text = header_text(self.scenario, self.target, self.profile, snap, self.window)
        if where is not None:
            text = Text("\n").join([where, text])
        lines = len(text.plain.splitlines())
        self.update(text, layout=lines != self._lines)
        self._lines = lines
