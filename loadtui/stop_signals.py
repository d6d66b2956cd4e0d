"""The signals that stop a run (SIGINT, SIGTERM, SIGHUP) and how start-up meets them.

A run installs its own handlers once it exists (headless.py, the console app). Before
that, `startup_guard` holds a first signal for the headless run (which then starts
stopped, writes every output it can and exits 3), and turns any other into
`StopRequested`: one line and exit 3 instead of a traceback (SIGINT), a silent death
(SIGTERM, SIGHUP) or the wrong exit code.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
EXIT_ABORTED = 3

Handler = Callable[[int, FrameType | None], Any]


class StopRequested(BaseException):
    """A stop signal arrived before a run existed. A BaseException, like
    KeyboardInterrupt, so `except Exception` around user code never swallows it."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def install(handler: Handler) -> dict[int, Any]:
    """Route every stop signal to `handler`; returns what to restore. Off the main thread
    nothing is installed (signals belong to whoever runs the main thread)."""
    previous: dict[int, Any] = {}
    for sig in STOP_SIGNALS:
        with contextlib.suppress(ValueError):
            previous[sig] = signal.signal(sig, handler)
    return previous


def restore(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        with contextlib.suppress(ValueError, TypeError):
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


_deferred: list[str] = []  # a first stop signal held for the run (see startup_guard)


def take_deferred() -> list[str]:
    """The stop signal that arrived during start-up and was held for the run (once)."""
    names = _deferred[:]
    _deferred.clear()
    return names


@contextlib.contextmanager
def startup_guard(*, defer_first: bool = False) -> Iterator[None]:
    """Stop signals during start-up. With `defer_first` the first one is held for the
    run, which starts stopped and writes what it can (take_deferred); otherwise, and for
    a second one, StopRequested ends the process here with one line and exit 3. A run
    installs its own handlers within the block and puts these back when it is done."""

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if defer_first and not _deferred:
            _deferred.append(name)
            return
        raise StopRequested(name)

    _deferred.clear()
    previous = install(on_signal)
    try:
        yield
    except StopRequested as exc:
        sys.stderr.write(f"loadtui: aborted by {exc.name}\n")
        raise SystemExit(EXIT_ABORTED) from None
    finally:
        restore(previous)
        _deferred.clear()
