"""Jobs on the demo target: a flow whose steps only work in order.

A logged-in user creates a job (`POST /api/jobs?ms=N`), polls it (`GET /api/jobs/ID`)
until it is done, N ms after it was created, and downloads its result
(`GET /api/jobs/ID/result`; 409 while it runs). Each request needs the token of the
user who created the job and its id, so a flow run out of order fails visibly (401,
404, 409) instead of passing by luck. `POST /api/logout` forgets a token: what a user's
on_stop step does.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

MAX_JOBS = 100_000  # jobs remembered; oldest forgotten first
MAX_WORK_MS = 60_000


class Job(NamedTuple):
    owner: str  # the token that created it
    ready_at: float


class JobStore:
    """The jobs of one demo target, and what was done with them (for tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self.created = 0
        self.polled = 0
        self.downloaded = 0

    def create(self, owner: str, work_ms: int) -> str:
        job_id = secrets.token_hex(8)
        self._jobs[job_id] = Job(owner, self._clock() + work_ms / 1000)
        if len(self._jobs) > MAX_JOBS:
            self._jobs.popitem(last=False)
        self.created += 1
        return job_id

    def find(self, owner: str, job_id: str) -> Job | None:
        """The job, if it exists and `owner` created it."""
        job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def done(self, job: Job) -> bool:
        return self._clock() >= job.ready_at
