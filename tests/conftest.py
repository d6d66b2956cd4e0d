"""Shared fixtures: the embedded demo target on loopback, started once per session.

Hypothesis runs without its per-example deadline and its too-slow health check in every
test: how fast an example runs is a speed figure (bench/), and a busy machine must not
fail a property that holds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from loadtui.demo.runner import DemoTarget

settings.register_profile("loadtui", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("loadtui")


@pytest.fixture(scope="session")
def demo() -> Iterator[DemoTarget]:
    with DemoTarget("127.0.0.1", 0) as target:
        yield target


@pytest.fixture(scope="session")
def demo_url(demo: DemoTarget) -> str:
    return demo.url
