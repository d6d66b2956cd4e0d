"""The controller's workers: which are alive, what share of the load each holds, and
their deltas each tick.

Shares are whole numbers (`split.py`), so 3 users on 2 workers is 2 + 1; the arrival
rate and `max_inflight` are split over the live workers; when one is lost its share
moves to the survivors at once. Each worker is judged for saturation on its own
gauges (one hot worker distorts the figures as much as a hot single process).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from loadtui.engine.commands import DATA_USED, END_RUN, Allow, ArrivalRate, Share, WorkerCommand
from loadtui.engine.iterations import IterationBudget
from loadtui.engine.links import WorkerLink
from loadtui.engine.saturation import SaturationWatch, merge_periods
from loadtui.engine.split import split, split_rate
from loadtui.metrics.delta import WorkerDelta
from loadtui.metrics.fold import Fold
from loadtui.metrics.snapshot import WorkerVitals


class Workers:
    def __init__(self, links: Sequence[WorkerLink], max_inflight: int) -> None:
        self.links = list(links)
        self.max_inflight = max_inflight
        self.users = 0  # asked of the fleet, before any worker's file-descriptor limit
        self.streams = 0
        self._user_rate: float | None = None
        self._stream_rate: float | None = None
        self._rate = 0.0
        self._sent_rate: tuple[float, int] | None = None
        self._gone: set[int] = set()
        self._saturation = {link.index: SaturationWatch() for link in self.links}
        self.ending: str | None = None  # why a worker asked to end the run (END_RUN)
        self._spent: dict[str, set[int]] = {}  # data table -> workers that spent their share
        self.budget: IterationBudget | None = None  # an iteration count's shares (-i)

    @property
    def alive(self) -> list[WorkerLink]:
        """The workers holding a share (a link that died is lost at the next tick)."""
        return [link for link in self.links if link.index not in self._gone]

    @property
    def many(self) -> bool:
        return len(self.links) > 1

    # ---- shares ---------------------------------------------------------------------

    def want(
        self,
        users: int,
        streams: int,
        user_rate: float | None = None,
        stream_rate: float | None = None,
        *,
        at_once: bool = False,
    ) -> None:
        """Ask the fleet for `users` and `streams`, split over the live workers, reached
        at these rates (None: each worker keeps its last)."""
        self.users, self.streams = max(0, users), max(0, streams)
        if user_rate:
            self._user_rate = user_rate
        if stream_rate:
            self._stream_rate = stream_rate
        self._send_shares(user_rate, stream_rate, at_once=at_once)

    def spawn_rate(self) -> float:
        """The users' spawn rate last asked for (1/s until one is)."""
        return self._user_rate or 1.0

    def _send_shares(self, u_rate: float | None, s_rate: float | None, *, at_once: bool) -> None:
        links = self.alive
        users = split(self.users, len(links))
        streams = split(self.streams, len(links))
        u_rates = split_rate(u_rate, users) if u_rate else [None] * len(links)
        s_rates = split_rate(s_rate, streams) if s_rate else [None] * len(links)
        for link, u, s, ur, sr in zip(links, users, streams, u_rates, s_rates, strict=True):
            link.send(Share(u, s, ur, sr, at_once))

    def arrival_rate(self, rate: float) -> None:
        """The open model's rate now: each live worker its part, when it changed."""
        self._rate = rate
        links = self.alive
        if (rate, len(links)) == self._sent_rate or not links:
            return
        self._sent_rate = (rate, len(links))
        caps = split(self.max_inflight, len(links))
        for link, cap in zip(links, caps, strict=True):
            link.send(ArrivalRate(rate / len(links), cap))

    def count_iterations(self, budget: IterationBudget, users: int) -> None:
        """Before t = 0: each worker its first share of `budget`, in proportion to its
        share of `users` (the most the profile asks for)."""
        self.budget = budget
        links = self.alive
        self._allow(budget.first([link.index for link in links], split(users, len(links))))

    def _allow(self, grants: dict[int, int]) -> None:
        for link in self.alive:
            if grants.get(link.index):
                link.send(Allow(grants[link.index]))

    def broadcast(self, command: WorkerCommand) -> None:
        for link in self.alive:
            link.send(command)

    # ---- the run --------------------------------------------------------------------

    async def start(self) -> None:
        """Every worker running before any is sent load (a barrier)."""
        await asyncio.gather(*(link.start() for link in self.links))

    async def collect(self, fold: Fold) -> list[WorkerLink]:
        """Every live worker's delta for this tick, folded; returns the ones that did
        not answer (call `lose` for each)."""
        links = self.alive
        deltas = await asyncio.gather(*(link.delta() for link in links))
        silent = []
        for link, delta in zip(links, deltas, strict=True):
            if delta is not None:
                fold.add(delta)
                if self.budget is not None:
                    self.budget.seen(link.index, delta.load)
                asked = [e.data[END_RUN] for e in delta.events if END_RUN in e.data]
                self.ending = self.ending or next(iter(asked), None)
                for e in delta.events:
                    if DATA_USED in e.data:
                        self._spent.setdefault(str(e.data[DATA_USED]), set()).add(link.index)
            if delta is None or not link.alive:
                silent.append(link)
        if self._spent and self.ending is None:
            self._end_when_spent(fold)
        if self.budget is not None:  # what was handed back goes to workers with users
            self._allow(self.budget.regrant(link.index for link in self.alive))
        return silent

    def _end_when_spent(self, fold: Fold) -> None:
        """A per-iteration unique table ends the run once every live worker has spent its
        share (feeders.py); a lost worker's rows are lost with it."""
        alive = {link.index for link in self.alive}
        for table, spent in self._spent.items():
            if alive and alive <= spent:
                self.ending = f"data {table} ran out"
                fold.add_event(
                    "info",
                    f"data {table}: every worker's share used; the run ends "
                    '(on_exhausted = "stop")',
                    **{END_RUN: self.ending},
                )
                return

    async def finish(self, grace: float, margin: float, fold: Fold) -> list[WorkerLink]:
        """After a Finish: each worker's last delta (in-flight calls included), folded;
        returns the ones that did not finish. An error of the run itself is raised."""
        links = self.alive
        finals = await asyncio.gather(
            *(link.finish(grace + margin) for link in links), return_exceptions=True
        )
        unfinished = []
        for link, final in zip(links, finals, strict=True):
            if isinstance(final, WorkerDelta):
                fold.add(final)
            elif isinstance(final, BaseException) and not isinstance(final, TimeoutError):
                raise final
            else:
                unfinished.append(link)
        return unfinished

    def lose(self, link: WorkerLink, why: str, fold: Fold, *, move: bool) -> bool:
        """Mark a worker lost (its gauges leave the fold, its counts stay); with `move`,
        the survivors take its share. False when it was already lost."""
        if link.index in self._gone:
            return False
        self._gone.add(link.index)
        if self.budget is not None:
            self.budget.lose(link.index)  # its unused share returns to the others
        link.alive = False
        link.lost = link.lost or why
        fold.forget(link.index)
        if move and self.alive:
            self._send_shares(self._user_rate, self._stream_rate, at_once=False)
            self._sent_rate = None
            self.arrival_rate(self._rate)
        return True

    async def close(self) -> None:
        await asyncio.gather(*(link.close() for link in self.links), return_exceptions=True)

    # ---- saturation -----------------------------------------------------------------

    def saturation(self, vitals: Iterable[WorkerVitals], now: float) -> tuple[bool, list[str]]:
        """Each live worker judged on its own last tick (late starts, loop windows, CPU):
        whether any is saturated now, and the messages of those that became (or stopped
        being) saturated."""
        hot, messages = False, []
        for v in vitals:
            watch = self._saturation.get(v.index)
            if watch is None or not v.alive:
                continue
            if watch.update(v, now):
                hot = True
            for message in watch.new_messages():
                messages.append(f"worker {v.index}: {message}" if self.many else message)
        return hot, messages

    def saturated(self) -> list[int]:
        return [i for i, watch in self._saturation.items() if watch.active]

    def saturation_periods(self, now: float) -> list[tuple[float, float]]:
        return merge_periods(p for w in self._saturation.values() for p in w.all_periods(now))
