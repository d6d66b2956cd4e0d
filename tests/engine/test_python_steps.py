"""`loadtui.tasks.step` inside Python tasks, run by the engine against the demo target:
which row each request and each error lands in."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.runs import run
from support.scenarios import call, scenario, user

from loadtui.tasks import current_step, failed_step, step

FLOWS = """
import asyncio

from loadtui.tasks import step


async def nested(client, vars):
    with step("outer"):
        await client.get("/health")
        with step("inner"):  # the innermost step wins, in tasks started inside it too
            await asyncio.gather(client.get("/api/fast"), client.get("/api/fast"))
        await client.get("/health", extensions={"name": "by extension"})  # wins over both
    await client.get("/health")  # no step: the task's row


async def unnamed(client, vars):
    with step(""):
        await client.get("/health")
"""


async def test_steps_name_rows_innermost_first(demo_url: str, tmp_path: Path) -> None:
    (tmp_path / "flows.py").write_text(FLOWS)
    tasks = call("flows:nested", "nested"), call("flows:unnamed", "unnamed")
    # In sequence, so each of the 4 passes runs both tasks (picked at random, a short
    # run on a busy machine could miss one of them).
    text = scenario(user(*tasks, order="sequence"))
    final, _, _ = await run(text, demo_url, users=2, iterations=4, folder=tmp_path)
    rows = {ep.name: ep for ep in final.endpoints}
    outer, inner, by_ext, own = (rows[n] for n in ("outer", "inner", "by extension", "nested"))
    assert all(ep.failures == 0 for ep in (outer, inner, by_ext, own))
    # Per run of the task: one request in "outer", two in "inner", one each in the
    # other two.
    assert outer.requests == own.requests == by_ext.requests == 4 and inner.requests == 8
    assert rows["inner"].method == "GET"
    bad = rows["unnamed"]  # a step name must say something: a counted error, no request
    assert bad.requests == bad.failures == 4
    assert set(bad.errors) == {"python: ValueError: step name must be a non-empty string, got ''"}


def test_step_marks_the_error_that_escaped_it() -> None:
    with pytest.raises(KeyError) as info, step("outer"), step("inner"):
        assert current_step() == "inner"
        raise KeyError("x")
    assert failed_step(info.value) == "inner" and current_step() is None
    assert failed_step(ValueError()) is None
