"""Events stamped with the seconds since a run's start, buffered until the next tick
takes them: the worker's recorder and the controller's fold each keep one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from loadtui.metrics.snapshot import Event, EventKind


class EventLog:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.t0 = clock()
        self._events: list[Event] = []

    def start(self) -> None:
        """Mark t = 0."""
        self.t0 = self._clock()

    @property
    def elapsed(self) -> float:
        return self._clock() - self.t0

    def add(self, kind: EventKind, message: str, **data: Any) -> Event:
        event = Event(t=self.elapsed, kind=kind, message=message, data=dict(data))
        self._events.append(event)
        return event

    def extend(self, events: Iterable[Event]) -> None:
        self._events.extend(events)

    def take(self) -> tuple[Event, ...]:
        """Every event since the last take, in order."""
        events, self._events = tuple(self._events), []
        return events
