"""One loop timer for all the sends of a stream's sessions, by millisecond slot.

A loop timer per send (`call_later`: a handle made, put in the loop's heap, fired) cost
about as much as the rest of a send's Python work at 50,000 messages a second. Here a
session due at time t joins the list of t's millisecond (never an earlier one), and a
single loop timer wakes at the earliest such slot and runs everyone due by then.

A wake cannot be taken back: a session that ended meanwhile ignores its last one. So
only wakes a send period away come here; a session's end, which may be hours off, has a
timer of its own.

Sessions opened together (a spawner starts users in batches) would send together every
period, and the round trips of a burst queue behind the generator's own writes: `spread`
gives each session's first send its own fraction of the period (a golden-ratio sequence:
deterministic, evenly spread however many sessions there are).
"""

from __future__ import annotations

import asyncio
import heapq
import math
from collections.abc import Callable
from time import perf_counter

SLOT_S = 0.001
GOLDEN = 0.6180339887498949


class SendClock:
    """Runs each `at(when, wake)` once, in the loop, within a slot of `when`
    (perf_counter seconds)."""

    __slots__ = ("_armed", "_order", "_phase", "_slots", "_timer")

    def __init__(self) -> None:
        self._slots: dict[int, list[Callable[[], None]]] = {}
        self._order: list[int] = []  # heap of the slots in `_slots`
        self._timer: asyncio.TimerHandle | None = None
        self._armed = 0  # the slot the loop timer is set for (0: none)
        self._phase = 0.0

    def spread(self) -> float:
        """The next session's first send, as a fraction of its period: in (0, 1]."""
        phase = self._phase
        self._phase = (phase + GOLDEN) % 1.0
        return 1.0 - phase

    def at(self, when: float, wake: Callable[[], None]) -> None:
        slot = math.ceil(when / SLOT_S)
        due = self._slots.get(slot)
        if due is not None:
            due.append(wake)
            return
        self._slots[slot] = [wake]
        heapq.heappush(self._order, slot)
        if not self._armed or slot < self._armed:
            self._arm(slot)

    def _arm(self, slot: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(slot * SLOT_S - perf_counter(), self._fire)
        self._armed = slot

    def _fire(self) -> None:
        self._timer = None
        self._armed = 0
        order, slots = self._order, self._slots
        now = perf_counter() / SLOT_S + 1  # the loop's timers keep milliseconds: 1 slot early
        while order and order[0] <= now:  # a wake may add a slot already due: run it too
            for wake in slots.pop(heapq.heappop(order)):
                wake()
        if order:
            self._arm(order[0])
