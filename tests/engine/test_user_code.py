"""User code is contained: whatever a Python task raises, BaseException included, is a
counted error of its task (`python: Type: message`) and the run goes on; the engine's
own cancellation of calls in flight at stop is still told apart from it."""

from __future__ import annotations

from pathlib import Path

from support.runs import GUARD_S, run, stop_when
from support.scenarios import call, load, scenario, user
from support.stalling import StallingTarget

from loadtui.engine.pycalls import MAX_KINDS, python_task_problems

RAISERS = {  # task name: (its body, the error kind it counts)
    "exits": ("import sys\n    sys.exit(9)", "python: SystemExit: 9"),
    "interrupts": ("raise KeyboardInterrupt", "python: KeyboardInterrupt"),
    "closes": ("raise GeneratorExit('gone')", "python: GeneratorExit: gone"),
    "cancels": ("raise asyncio.CancelledError('by hand')", "python: CancelledError: by hand"),
    "custom": ("raise Boom('first line\\nsecond line')", "python: Boom: first line"),
    "long": ("raise ValueError('v' * 500)", "python: ValueError: " + "v" * 79 + "\u2026"),
}
MODULE = """
import asyncio

class Boom(BaseException):
    pass

async def fine(client, vars):
    await client.get("/api/fast")

async def varied(client, vars):
    vars["n"] = vars.get("n", 0) + 1
    raise KeyError(f"key {vars['user_id']}-{vars['n']}")
"""


async def test_any_exception_from_a_task_is_a_counted_error_and_the_run_goes_on(
    demo_url: str, tmp_path: Path
) -> None:
    body = "".join(
        f"\nasync def {n}(client, vars):\n    {code}\n" for n, (code, _) in RAISERS.items()
    )
    (tmp_path / "uc_raising.py").write_text(MODULE + body)
    tasks = [call(f"uc_raising:{n}", n) for n in (*RAISERS, "fine")]
    # In sequence, each pass runs every task (7 picked at random: a short run on a busy
    # machine could miss one).
    text = scenario(user(*tasks, wait="constant(0.01s)", order="sequence"))
    final, _, _ = await run(
        text, demo_url, users=2, spawn_rate=100, iterations=12, grace=1.0, folder=tmp_path
    )
    assert final.load.state == "stopped"
    for name, (_, kind) in RAISERS.items():
        ep = final.endpoint(name)
        assert ep is not None and ep.failures == 12, name
        assert ep.errors == {kind: ep.failures}, ep.errors
    fine = final.endpoint("fine")  # kept running all along, after each failing one
    assert fine is not None and fine.requests == 12 and fine.failures == 0


async def test_a_task_with_ever_new_messages_keeps_its_kinds_few(
    demo_url: str, tmp_path: Path
) -> None:
    (tmp_path / "uc_varying.py").write_text(MODULE)
    text = scenario(user(call("uc_varying:varied", "varied")))
    runs = 2 * MAX_KINDS + 10
    final, _, _ = await run(
        text, demo_url, users=2, spawn_rate=100, iterations=runs, grace=1.0, folder=tmp_path
    )
    ep = final.endpoint("varied")
    assert ep is not None and ep.failures == runs
    assert len(ep.errors) == MAX_KINDS + 1  # the first messages, then the type alone
    assert ep.errors["python: KeyError"] == ep.failures - MAX_KINDS


async def test_a_task_cut_off_at_stop_is_unfinished_not_a_python_error(tmp_path: Path) -> None:
    """The engine cancels a task whose request hangs at stop: its CancelledError is the
    engine's, so the request counts as `unfinished` and no `python: ...` error appears."""
    (tmp_path / "uc_hanging.py").write_text(
        "async def wait(client, vars):\n    await client.get('/hang')\n"
    )
    text = scenario(user(call("uc_hanging:wait", "wait")))
    both_waiting = stop_when(lambda snap: snap.load.inflight == 2)
    with StallingTarget(silent=True) as target:
        final, _, _ = await run(
            text, target.url, both_waiting, users=2, spawn_rate=100, duration=GUARD_S,
            grace=1.0, folder=tmp_path,
        )  # fmt: skip
    ep = final.endpoint("wait")
    assert ep is not None and ep.errors == {"unfinished": 2}, ep.errors


def test_import_failures_are_one_problem_per_module(tmp_path: Path) -> None:
    """Whatever a module raises at import (SystemExit included) is one line naming the
    module, however many tasks use it."""
    tasks = "async def one(client, vars):\n    pass\nasync def two(client, vars):\n    pass\n"
    (tmp_path / "uc_exits.py").write_text("import sys\nsys.exit(9)\n" + tasks)
    (tmp_path / "uc_breaks.py").write_text(
        "class Boom(BaseException):\n    pass\nraise Boom()\n" + tasks
    )
    text = scenario(
        user(call("uc_exits:one", "a"), call("uc_exits:two", "b"), call("uc_breaks:one", "c"))
    )
    problems = python_task_problems(load(text, folder=tmp_path))
    assert len(problems) == 2, problems
    exits = tmp_path / "uc_exits.py"
    assert problems[0] == f"Python task module 'uc_exits' failed to import ({exits}): SystemExit: 9"
    assert "'uc_breaks' failed to import" in problems[1] and problems[1].endswith("): Boom")
