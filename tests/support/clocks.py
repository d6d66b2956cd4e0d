"""A clock the test moves by hand, and the metrics Recorder started on one: figures over
minutes of run time without waiting for them."""

from __future__ import annotations

from loadtui.metrics.recorder import Recorder


class FakeClock:
    """Reads `now`; the test moves it (`clock.now += 2.0`)."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def recorder(now: float = 0.0, epoch: float = 1_700_000_000.0) -> tuple[Recorder, FakeClock]:
    """A started Recorder whose clock reads `now` and whose wall clock reads
    `epoch + now`."""
    clock = FakeClock(now)
    rec = Recorder(clock=clock, wall=lambda: epoch + clock.now)
    rec.start()
    return rec, clock
