"""Commands are data declared once: each one survives every transport unchanged (a
process pipe pickles it, as Ray does), and a session's recorded action maps back to it."""

from __future__ import annotations

import multiprocessing as mp
import pickle

import pytest

from loadtui.engine.commands import (
    ArrivalRate,
    Command,
    Finish,
    FollowProfile,
    Hold,
    NextStage,
    Pause,
    Resume,
    SetRate,
    SetStreams,
    SetUsers,
    Share,
    Stop,
    WorkerCommand,
    args_of,
    from_action,
)

COMMANDS: list[Command] = [
    SetUsers(40, 5.0),
    SetUsers(3),
    SetStreams(10, None),
    SetRate(250.5),
    Pause(),
    Resume(),
    FollowProfile(),
    NextStage(2),
    NextStage(),
    Stop(1.5, "stopped by operator"),
]
WORKER_COMMANDS: list[WorkerCommand] = [
    Share(7, 2, 3.5, None, True),
    ArrivalRate(1_000.0, 64),
    Hold(True),
    Hold(False),
    Finish(0.0),
]


@pytest.mark.parametrize("command", [*COMMANDS, *WORKER_COMMANDS], ids=repr)
def test_every_command_crosses_a_process_pipe_unchanged(command: object) -> None:
    ours, theirs = mp.get_context("spawn").Pipe()
    with ours, theirs:
        ours.send(command)
        assert theirs.recv() == command
    assert pickle.loads(pickle.dumps(command)) == command


@pytest.mark.parametrize("command", COMMANDS, ids=repr)
def test_a_recorded_action_maps_back_to_its_command(command: Command) -> None:
    again = from_action(command.action, args_of(command))
    if isinstance(command, Stop):  # the log records the grace; the reason is the operator's
        assert again == Stop(command.grace)
    else:
        assert again == command


def test_unknown_or_malformed_actions_are_no_commands() -> None:
    assert from_action("rm -rf", []) is None
    assert from_action("set_users", ["a", "b", "c"]) is None
    assert from_action("set_users", ["40"]) is None
    assert from_action("set_users", [2.5]) is None
    assert from_action("set_rate", [float("nan")]) is None
    assert from_action("next_stage", [True]) is None
    assert from_action("stop", [None]) == Stop()
    assert from_action("__class__", []) is None
