"""Shared fixtures for the demo target tests: one real server per module, raw-socket helpers."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from loadtui.demo import DemoTarget


@pytest.fixture(scope="module")
def target() -> Iterator[DemoTarget]:
    with DemoTarget() as t:
        yield t


@pytest.fixture
def client(target: DemoTarget) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=target.url, timeout=5.0) as c:
        yield c


@pytest.fixture
def conn(target: DemoTarget) -> Iterator[socket.socket]:
    sock = socket.create_connection(("127.0.0.1", target.port), timeout=5.0)
    try:
        yield sock
    finally:
        sock.close()
