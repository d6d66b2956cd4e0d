"""Locust users for the benchmark suite: one GET of the path in BENCH_PATH (default "/"),
no think time, so Locust runs as fast as it can, like the other generators.

    locust -f bench/locust_users.py --headless -u 32 -r 32 -t 10s --host URL FastUser
    locust -f bench/locust_users.py --headless -u 32 -r 32 -t 10s --host URL SlowUser

The class name on the command line picks the client: FastUser (geventhttpclient,
Locust's fastest) or SlowUser (requests, Locust's default HttpUser).
"""

from __future__ import annotations

import os

from locust import FastHttpUser, HttpUser, constant, task

PATH = os.environ.get("BENCH_PATH", "/")


class FastUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self) -> None:
        self.client.get(PATH)


class SlowUser(HttpUser):
    wait_time = constant(0)

    @task
    def get(self) -> None:
        self.client.get(PATH)
