"""Server-side state of the demo target, with an injected clock."""

from __future__ import annotations

import pytest
from support.clocks import FakeClock

from loadtui.demo import state as state_mod
from loadtui.demo.state import DemoState, TokenBucket


def test_token_bucket_burst_then_refill() -> None:
    clock = FakeClock(100.0)
    bucket = TokenBucket(rate=10, burst=10, clock=clock)
    assert sum(bucket.take() for _ in range(15)) == 10
    clock.now += 0.25  # 2.5 tokens
    assert sum(bucket.take() for _ in range(5)) == 2
    clock.now += 60  # never more than the burst
    assert sum(bucket.take() for _ in range(50)) == 10


def test_limiter_is_one_bucket_per_rate() -> None:
    state = DemoState(clock=FakeClock(100.0))
    assert state.limiter(5.0) is state.limiter(5.0)
    assert state.limiter(5.0) is not state.limiter(6.0)
    assert state.limiter(0.5).burst == 1.0  # at least one request gets through


def test_limiter_buckets_are_capped() -> None:
    state = DemoState(clock=FakeClock(100.0))
    for rate in range(1, state_mod.MAX_BUCKETS + 20):
        state.limiter(float(rate))
    assert len(state._buckets) == state_mod.MAX_BUCKETS


def test_tokens() -> None:
    state = DemoState()
    token = state.login("ana")
    assert state.user_for(token) == "ana"
    assert state.user_for("nope") is None
    assert state.login("ana") != token


def test_grow_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_mod, "GROW_CAP_KB", 100)
    state = DemoState()
    assert state.grow(64) == 64
    assert state.grow(64) == 100
    assert state.grow(64) == 100
    assert sum(len(b) for b in state._retained) == 100 * 1024
