"""What a Python task's code may use: `step`, to give its requests their own name.

    from loadtui.tasks import step

    async def install(client, vars):
        with step("simple index"):
            index = await client.get("/simple/demo/")
        with step("download"):
            await client.get(pick_wheel(index))

Every request made inside `with step(NAME)` is timed and counted under NAME instead of
the task's name: a row of its own in every pane and report, and a name thresholds may
use (`[thresholds.endpoints."download"]`). An exception raised inside a step counts
under that step too. The name follows the code into tasks it starts (it is a context
variable); the innermost step wins. No engine import: this module costs nothing to load.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar

MAX_NAME = 200  # characters: a name is a row label, not a place for data
_STEP: ContextVar[str | None] = ContextVar("loadtui_step", default=None)
_FAILED_IN = "_loadtui_step"  # set on an exception that escaped a step: where it began


@contextmanager
def step(name: str) -> Iterator[None]:
    """Count the requests made inside the block (and an error raised there) as `name`."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"step name must be a non-empty string, got {name!r}")
    if len(name) > MAX_NAME:
        raise ValueError(f"step name longer than {MAX_NAME} characters")
    token = _STEP.set(name)
    try:
        yield
    except BaseException as exc:
        if not hasattr(exc, _FAILED_IN):  # the innermost step is where it happened
            with suppress(AttributeError, TypeError):  # a type that takes no attributes
                setattr(exc, _FAILED_IN, name)
        raise
    finally:
        _STEP.reset(token)


def current_step() -> str | None:
    """The name of the innermost `step` around the running code, if any."""
    return _STEP.get()


def failed_step(exc: BaseException) -> str | None:
    """The innermost step an exception escaped from, if it escaped one."""
    name = getattr(exc, _FAILED_IN, None)
    return name if isinstance(name, str) else None
