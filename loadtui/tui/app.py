"""The console: launch screen → dashboard, one live run at a time.

The app owns the run's lifecycle: it starts the engine in a child process, polls its
snapshots ~10 times a second (the engine ticks 2-4 times), hands each to the dashboard,
records the session log, and on quit stops the run gracefully and exits with the
session's path. Screens only render and send commands through `Control`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App
from textual.binding import Binding, BindingType

from loadtui.engine.commands import Stop
from loadtui.engine.config import Overrides, RunConfig, build_run_config
from loadtui.engine.preflight import unreachable_reason
from loadtui.engine.process import EngineProcess
from loadtui.engine.pycalls import python_task_problems
from loadtui.live import LiveRun
from loadtui.report.answered import never_answered
from loadtui.report.schema import Report
from loadtui.scenario.model import Profile, Selection
from loadtui.scenario.select import SelectionError
from loadtui.scenario.userinfo import redact_url
from loadtui.session.reader import Session
from loadtui.session.writer import default_session_path
from loadtui.tui.screens.dashboard import DashboardScreen
from loadtui.tui.screens.launch import LaunchChoice, LaunchScreen

POLL_S = 0.1
QUIT_GRACE_S = 2.0
PREFLIGHT_S = 2.0  # how long the launch choice's target gets to take a TCP connection
SAY_CHECKING_S = 0.3  # a check slower than this is said while it runs


@dataclass(frozen=True)
class LaunchArgs:
    """Where the launch screen looks for scenarios, and what it preselects."""

    bundled: Path
    cwd: Path
    given: Path | None = None
    env: Mapping[str, str] | None = None
    demo_url: str | None = None
    target: str | None = None
    profile: str | None = None


def _yield_cpu_to_engine() -> None:
    """Lower this (rendering) process's priority once the engine child exists: when the
    cores are contended the load loop goes first and the console draws a little later."""
    global _NICED
    if not _NICED and hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(5)
        _NICED = True


_NICED = False


class LoadtuiApp(App[Path | None]):
    """`result` is the path of the session written (None when no run was started)."""

    TITLE = "loadtui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit_run", "Quit"),  # not priority: an Input may want the letter
        Binding("ctrl+q", "quit_run", "Quit", show=False, priority=True),
        Binding("ctrl+c", "quit_run", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        *,
        config: RunConfig | None = None,
        launch: LaunchArgs | None = None,
        replay: Session | None = None,
        session: Path | None = None,
        sessions_dir: Path | None = None,
        target_pids: Callable[[str], tuple[int, ...]] | None = None,
        tick_s: float = 0.25,
        yield_cpu: bool = False,
        redact: tuple[str, ...] = (),
        workers: int = 1,
        ray: str | None = None,
        overrides: Overrides | None = None,
        selection: Selection | None = None,
    ) -> None:
        super().__init__()
        # The command line's -u/-r/--rate/-t/-i and -T/-E, for a run picked on the launch screen.
        self._overrides = overrides or Overrides()
        self._selection = selection
        self._ray = ray  # the Ray cluster's address when the workers are Ray actors
        self._fleet_size = workers  # load generator processes for a run picked on the launch screen
        self._yield_cpu = yield_cpu  # renice the UI process (the CLI does; tests do not)
        self._redact = redact  # extra secret names kept out of the session log
        if config is None and launch is None and replay is None:
            raise ValueError("give a run config, launch arguments or a session to replay")
        self._replay = replay
        self._config = config
        self._launch = launch
        self._session = session
        self._sessions_dir = sessions_dir or Path.cwd()
        self._target_pids = target_pids  # the target's processes to watch, from its URL
        self._tick_s = tick_s
        self.live: LiveRun | None = None
        self.engine: EngineProcess | None = None
        self.dashboard: DashboardScreen | None = None
        self.report: Report | None = None  # the run's, once it ended (None: it had none)
        self.ended = False  # the run is over, with a report or without (no tick came)
        self._quitting = False
        # Why the run has no verdict (exit 3): nothing answered, a stop signal, or the
        # engine failed or was killed for overrunning; the line printed on exit.
        self.no_answer: str | None = None
        self._aborted_by: str | None = None  # the first SIGTERM/SIGHUP, if one came
        self._restore_signals: dict[int, Any] = {}
        self._started_wall = ""
        self.failure: str | None = None  # why the app ended on an error (see `fail`)

    def on_load(self) -> None:
        """SIGTERM and SIGHUP quit like `q` from before the terminal is taken over:
        the run stops gracefully, its summary is written, and Textual leaves the
        alternate screen and mouse reporting on its way out (a second one cuts in-flight
        requests off, as a second `q` does)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                previous = signal.getsignal(sig)
                loop.add_signal_handler(sig, self._on_stop_signal, sig.name)
            except (RuntimeError, ValueError):  # not the main thread: not ours to handle
                continue
            self._restore_signals[sig] = previous

    def _on_stop_signal(self, name: str) -> None:
        self._aborted_by = self._aborted_by or name
        if self.live is None or self.engine is None:  # launch screen or replay
            self.no_answer = f"aborted by {name}"
            self.exit(None, return_code=3, message=Text(f"loadtui: {self.no_answer}"))
            return
        self._quit(f"{name}: stopping gracefully", f"{name} again")

    def _put_back_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig, previous in self._restore_signals.items():
            with contextlib.suppress(RuntimeError, ValueError, TypeError):
                loop.remove_signal_handler(sig)
                signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
        self._restore_signals.clear()

    def on_mount(self) -> None:
        if self._replay is not None:
            from loadtui.tui.screens.replay import ReplayScreen

            self.push_screen(ReplayScreen(self._replay))
        elif self._config is not None:
            self.start_run(self._config)
        else:
            assert self._launch is not None
            a = self._launch
            self.push_screen(
                LaunchScreen(
                    bundled=a.bundled,
                    cwd=a.cwd,
                    given=a.given,
                    env=a.env,
                    demo_url=a.demo_url,
                    preselect_target=a.target,
                    preselect_profile=a.profile,
                ),
                callback=self._launched,
            )

    def _launched(self, choice: LaunchChoice | None) -> None:
        if choice is None:
            self.exit(None)
            return
        self.run_worker(self._check_and_start(choice), name="preflight", exclusive=True)

    async def _check_and_start(self, choice: LaunchChoice) -> None:
        """Start the chosen run once its checks pass, or go back to the launch screen
        with what failed. The checks run on a thread: a TCP connect to a silent target
        blocks for seconds, and the console keeps drawing and answering keys meanwhile
        (`q` quits; the worker is cancelled with the app)."""
        checking = asyncio.ensure_future(asyncio.to_thread(self._checked_run, choice))
        done, _ = await asyncio.wait({checking}, timeout=SAY_CHECKING_S)
        if not done:
            self.notify(f"connecting to {redact_url(choice.target.url)}…", timeout=PREFLIGHT_S)
        outcome = await checking
        if isinstance(outcome, RunConfig):
            self.start_run(outcome)
            return
        self.on_mount()  # back to the launch screen
        self.notify("\n".join(outcome), severity="error", timeout=10)

    def _checked_run(self, choice: LaunchChoice) -> RunConfig | list[str]:
        """(On a worker thread.) The run of `choice` with the command line's flags, or
        why it cannot start: tags that leave nothing to run, Python tasks that do not
        import, a target that takes no connection."""
        profile: Profile | str | None = choice.profile
        if self._overrides.reshape:  # -u/-r/--rate: the flags' load, the chosen profile's classes
            listed = choice.scenario.profile(choice.profile.name) == choice.profile
            profile = choice.profile.name if listed else None
        try:
            config = build_run_config(
                choice.scenario,
                choice.target,
                profile,
                overrides=self._overrides,
                tick_s=self._tick_s,
                target_pids=self._target_pids,
                workers=self._fleet_size,
                ray=self._ray,
                selection=self._selection,
            )
        except SelectionError as exc:
            return [str(exc)]
        problems = python_task_problems(config.scenario)
        reason = unreachable_reason(choice.target.url, timeout=PREFLIGHT_S)
        if reason:
            problems.append(f"{redact_url(choice.target.url)} unreachable: {reason}")
        return problems or config

    def start_run(self, config: RunConfig) -> None:
        path = self._session or default_session_path(self._sessions_dir, config.scenario.name)
        self.engine = EngineProcess(config)
        self.live = LiveRun(
            config, self.engine, session=path, redact=self._redact, on_lost=self._output_lost
        )
        self.engine.start()
        if self._yield_cpu:
            _yield_cpu_to_engine()
        self._started_wall = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.dashboard = DashboardScreen(
            scenario=config.scenario.name,
            target=config.target.url,
            profile=config.profile,
            control=self.engine,
        )
        self.push_screen(self.dashboard)
        self.set_interval(POLL_S, self._poll)

    def _poll(self) -> None:
        live = self.live
        if live is None or self.ended:
            return
        for snap in live.drain():
            if self.dashboard is not None:
                self.dashboard.show(snap, live.watch)
        if live.done:
            self._finish()

    def _finish(self) -> None:
        assert self.live is not None and self.engine is not None
        cfg = self.live.config
        info = {
            "scenario": cfg.scenario.name,
            "target": cfg.target.url,
            "profile": cfg.profile.name,
            "started": self._started_wall,
            "saturation": self.engine.saturation,
        }
        self.ended = True
        try:
            self.report = self.live.finish(info)
        except RuntimeError as exc:  # the engine died before its first tick
            self.notify(f"run failed: {exc}", severity="error", timeout=10)
        final = self.live.source.final or self.live.last
        self.no_answer = (
            self.engine.error
            or (never_answered(final) if final is not None else None)
            or (f"aborted by {self._aborted_by}" if self._aborted_by else None)
        )
        if self.engine.error:
            self.notify(self.engine.error, severity="error", timeout=10)
        elif not self._quitting:
            report = self.report
            if report is None:
                verdict = "no report"
            elif report["unserved"]:
                verdict = f"FAILED: {report['unserved']}"
            else:
                verdict = "passed" if report["passed"] else "FAILED thresholds"
            verdict = self.no_answer or verdict
            saved = self.live.saved_session or "not written"
            self.notify(f"run finished: {verdict}. Session: {saved}. q quits.")
        if self._quitting:
            self._exit_after_run()

    def _exit_after_run(self) -> None:
        """Exit with the session's path; a run nothing answered says so on the way out
        (the same line as `loadtui run`) and sets the return code to 3."""
        assert self.live is not None
        if self.no_answer:
            line = Text(f"loadtui: {self.no_answer}")
            self.exit(self.live.saved_session, return_code=3, message=line)
        else:
            self.exit(self.live.saved_session, return_code=3 if self.lost else 0)

    # ---- outputs that could not be written, and errors that end the app ---------------

    @property
    def lost(self) -> list[str]:
        """One line per output of the run that could not be written (the session log on
        a full disk, say): the run went on without it; the command exits 3."""
        return list(self.live.lost) if self.live is not None else []

    def _output_lost(self, line: str) -> None:
        self.notify(line, severity="error", timeout=15)

    def fail(self, line: str, return_code: int) -> None:
        """End the app on an error its command reports (`failure`, one line) with
        `return_code`: a session that turns out malformed while it is replayed."""
        self.failure = line
        self.exit(None, return_code=return_code)

    def action_quit_run(self) -> None:
        """Stop the run gracefully, write the session's summary, then exit."""
        self._quit("quit by operator", "press q again")

    def _quit(self, reason: str, again: str) -> None:
        """Quit for `reason`; asked again (`again` says how), cut in-flight requests off."""
        if self.live is None or self.engine is None:
            self.exit(None)
            return
        if self.ended:
            self._exit_after_run()
            return
        if self._quitting:  # asked again: do not wait for in-flight requests
            self.engine.send(Stop(0.0, f"{reason} (again)"))
            return
        self._quitting = True
        self.engine.send(Stop(QUIT_GRACE_S, reason))
        self.notify(f"stopping: in-flight requests get 2 s; {again} to cut them off")

    def on_unmount(self) -> None:
        self._put_back_signals()
        engine = self.engine
        if engine is not None and engine.alive():  # e.g. the terminal went away
            engine.send(Stop(0.0, "console closed"))
            if not engine.join(5):
                engine.kill()
