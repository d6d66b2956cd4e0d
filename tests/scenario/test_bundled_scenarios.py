"""Every bundled scenario loads with the loader, with and without LOADTUI_TARGET."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtui.scenario import bundled, load_scenario

SCENARIOS = sorted(bundled.directory().glob("*.toml"))
EXPECTED = {
    "baseline", "day-in-the-life", "demo", "heavy", "light", "production-incident",
    "soak", "spike", "stress", "streaming", "write-heavy", "accounts",
}  # fmt: skip


def test_the_expected_scenarios_are_bundled() -> None:
    assert {p.stem for p in SCENARIOS} >= EXPECTED


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenario_loads(path: Path) -> None:
    s = load_scenario(path, env={})
    assert s.name == path.stem
    assert s.description
    assert [t.name for t in s.targets] == ["demo"]
    assert s.targets[0].url == "http://127.0.0.1:8089"
    assert s.users and s.profiles and s.thresholds
    assert all(p.duration > 0 and p.description for p in s.profiles)
    moved = load_scenario(path, env={"LOADTUI_TARGET": "http://127.0.0.1:5999/"})
    assert moved.targets[0].url == "http://127.0.0.1:5999"


def test_shapes_match_their_descriptions() -> None:
    by_name = {p.stem: load_scenario(p, env={}) for p in SCENARIOS}
    incident = by_name["production-incident"].profiles[0]
    assert incident.model == "open" and incident.duration == 24 * 60
    assert incident.stages[0].rate * 60 == pytest.approx(54)
    assert incident.burst is not None and incident.burst.rate * 60 == pytest.approx(1350)
    assert incident.burst.every == 60
    soak = by_name["soak"].profiles[0]
    assert soak.duration == 12 * 3600 and soak.stages[0].users == 50
    spike = by_name["spike"].profiles[0]
    assert [s.users for s in spike.stages] == [10, 150, 10, 10]
    assert (150 - 10) / spike.stages[1].spawn_rate == pytest.approx(10)
    assert any(t.on_429 == "honor" for u in by_name["spike"].users for t in u.tasks)
    heavy = by_name["heavy"].profiles[0]
    assert heavy.stages[0].users == 20 and heavy.burst is not None
    assert heavy.burst.users == 100 and heavy.burst.every == 30
    assert [u.weight for u in by_name["day-in-the-life"].users] == [40, 30, 20, 5, 3, 2]
    assert len({u.wait for u in by_name["day-in-the-life"].users}) == 6
    assert by_name["baseline"].profiles[0].stages[0].users == 100
    stress = by_name["stress"].profiles[0]
    users = [s.users or 0 for s in stress.stages]
    assert users == sorted(users) and len(users) >= 4


def test_the_accounts_scenario_feeds_each_user_its_own_account() -> None:
    s = load_scenario(bundled.named("accounts") or "", env={})
    accounts, peers = s.data
    assert (accounts.mode, accounts.pick, accounts.on_exhausted) == ("unique", "per_user", "stop")
    assert accounts.rows == 50 and accounts.used == ("email", "password", "plan")
    assert (peers.mode, peers.pick, peers.used) == ("random", "per_iteration", ("email",))
    assert accounts.path == peers.path == str(bundled.directory() / "accounts.csv")
