"""How a user class runs its tasks: `order` (weighted random, or an ordered flow) and
the `on_stop` steps that close a user's session.

In an ordered flow (`order = "sequence"`) each pass runs every task once, top to
bottom, so a task's `weight` would mean nothing: it is an error rather than a setting
silently ignored.
"""

from __future__ import annotations

from typing import get_args

from loadtui.scenario.fields import Section
from loadtui.scenario.model import Order, Task
from loadtui.scenario.tasks import read_tasks

ORDERS: tuple[str, ...] = get_args(Order)
WEIGHT_HINT = "Remove weight; to run a step twice in a pass, write it twice (with two names)"


def read_order(sec: Section) -> Order:
    """`order`: "random" (the default) or "sequence"; a sequence's tasks take no weight."""
    order: Order = sec.choice("order", ORDERS, "random")
    if order != "sequence":
        return order
    tasks = sec.data.get("tasks")
    for j, raw in enumerate(tasks if isinstance(tasks, list) else []):
        if isinstance(raw, dict) and "weight" in raw:
            sec.out.add(
                (*sec.at("tasks"), j, "weight"),
                'a step of an ordered flow (order = "sequence") has no weight:'
                " each pass runs every step once",
                WEIGHT_HINT,
            )
    return order


def read_on_stop(sec: Section, folder: str) -> list[Task]:
    """`[[users.on_stop]]`: steps run once, in order, as the user leaves (tasks' keys)."""
    if not sec.has("on_stop"):
        return []
    return read_tasks(sec.out, sec.data["on_stop"], sec.at("on_stop"), folder)
