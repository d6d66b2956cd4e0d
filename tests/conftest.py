"""Shared fixtures: the embedded demo target on loopback, started once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loadtui.demo.runner import DemoTarget


@pytest.fixture(scope="session")
def demo() -> Iterator[DemoTarget]:
    with DemoTarget("127.0.0.1", 0) as target:
        yield target


@pytest.fixture(scope="session")
def demo_url(demo: DemoTarget) -> str:
    return demo.url
