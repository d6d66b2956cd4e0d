"""Idle Locust users for the suite's memory comparison: each FastHttpUser sends one GET
and then waits an hour, while a load shape holds plateaus of users.

    BENCH_LEVELS=2000,10000 BENCH_HOLD=10 BENCH_SPAWN=2000 \\
        locust -f bench/locust_idle.py --headless --host URL --csv PREFIX

Each plateau lasts 1.5 times the time to spawn up to it (at BENCH_SPAWN users/s) plus
BENCH_HOLD seconds; after the last one the shape ends and Locust quits.
"""

from __future__ import annotations

import os

from locust import FastHttpUser, LoadTestShape, constant, task

LEVELS = [int(x) for x in os.environ.get("BENCH_LEVELS", "2000,10000").split(",")]
HOLD_S = float(os.environ.get("BENCH_HOLD", "10"))
SPAWN = float(os.environ.get("BENCH_SPAWN", "2000"))


class IdleUser(FastHttpUser):
    wait_time = constant(3600)

    @task
    def get(self) -> None:
        self.client.get("/")


class Plateaus(LoadTestShape):
    def tick(self) -> tuple[int, float] | None:
        t, start, previous = self.get_run_time(), 0.0, 0
        for users in LEVELS:
            start += 1.5 * (users - previous) / SPAWN + HOLD_S  # as modes_ws.stage_lengths
            if t < start:
                return users, SPAWN
            previous = users
        return None
