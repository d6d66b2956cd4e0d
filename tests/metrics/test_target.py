"""Finding a local target's processes: from its listening port, and down its process
tree (a pre-fork server's workers), re-walked as workers come and go."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import psutil
import pytest
from support.loopback import refusing_port
from support.prefork import MiB, kill_group, prefork_server

from loadtui.demo.runner import start_subprocess, stop_subprocess
from loadtui.metrics.system import SystemSampler
from loadtui.metrics.target import (
    TargetTree,
    _linux_children,
    _psutil_children,
    is_local,
    listener_top,
    listening_pids,
    pid_exists,
    process_tree,
)

# A parent that burns CPU before it is watched, then forks a child per line on stdin:
# the child keeps 20 MiB, burns 0.2 s of CPU, prints its pid and sleeps.
PARENT = r"""
import os, signal, sys, time
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reaped at once, no zombies
end = time.process_time() + 0.5
while time.process_time() < end:
    pass
print("ready", flush=True)
for line in sys.stdin:
    if os.fork() == 0:
        keep = b"\x01" * (20 << 20)
        end = time.process_time() + 0.2
        while time.process_time() < end:
            pass
        print(os.getpid(), flush=True)
        time.sleep(60)
        os._exit(0)
"""


@pytest.fixture
def parent() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", PARENT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # one killpg ends it and every child it forked
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        yield proc
    finally:
        kill_group(proc)


def fork_child(proc: subprocess.Popen[str]) -> int:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("fork\n")
    proc.stdin.flush()
    return int(proc.stdout.readline())


def test_listening_pids_finds_the_demo_target_process() -> None:
    proc, port = start_subprocess("127.0.0.1", 0)
    try:
        assert listening_pids(f"http://127.0.0.1:{port}/api") == (proc.pid,)
        assert pid_exists(proc.pid)
    finally:
        stop_subprocess(proc)


def test_nothing_listening_or_not_local() -> None:
    with refusing_port() as port:  # bound, never listening: no parallel test's server either
        assert listening_pids(f"http://127.0.0.1:{port}") == ()
    assert listening_pids("http://target.invalid:80") == ()  # not local: never looked up
    assert is_local("localhost") and is_local("[::1]") and not is_local("example.invalid")
    assert not pid_exists(-1)


def test_a_prefork_server_is_found_from_its_top_with_every_worker() -> None:
    with prefork_server() as srv:
        workers = sorted(c.pid for c in psutil.Process(srv.pid).children())
        port = urlsplit(srv.url).port
        assert port is not None and len(workers) == 2
        assert listening_pids(srv.url) == (srv.pid,)
        # A worker holds the same socket; from it, the walk climbs to the master.
        assert listener_top(workers[0], port) == srv.pid
        assert process_tree((srv.pid,)) == (srv.pid, *workers)
        assert process_tree((workers[1], srv.pid)) == (workers[1], srv.pid, workers[0])
        # Both ways of reading the process table see the same family.
        assert sorted(_linux_children()[srv.pid]) == sorted(_psutil_children()[srv.pid]) == workers


def test_process_tree_walks_a_children_map() -> None:
    kids = {0: [1], 1: [10, 20, 30, 99], 10: [11, 12], 12: [13], 30: [31], 99: [100]}
    assert process_tree((10,), children=kids, skip=-1) == (10, 11, 12, 13)
    # Roots keep their order, are listed once, and a pid that is not running is dropped.
    assert process_tree((20, 10, 20, 404), children=kids, skip=-1) == (20, 10, 11, 12, 13)
    # The generator's own subtree is never the target's, even under a given root.
    assert process_tree((1,), children=kids, skip=12) == (1, 10, 11, 20, 30, 31, 99, 100)
    assert process_tree((99,), children=kids, skip=99) == ()
    assert process_tree((), children=kids) == ()


def test_the_tree_follows_children_as_they_come_and_go(parent: subprocess.Popen[str]) -> None:
    tree = TargetTree((parent.pid,))
    began = time.monotonic()
    first = tree.sample()
    assert first is not None and tree.pids == (parent.pid,)
    cpu0, rss0 = first
    # The 0.5 s the parent burned before the watch began is not counted now.
    assert cpu0 < 100

    child = fork_child(parent)
    second = tree.sample()
    interval = time.monotonic() - began  # at least the time between the two samples
    assert second is not None and tree.pids == (parent.pid, child)
    cpu1, rss1 = second
    assert rss1 > rss0 + 15 * MiB  # the child's kept 20 MiB are summed in
    # Born within the interval: its 0.2 s counts, and can be no more than the machine had.
    assert 0.18 / interval * 100 <= cpu1 <= 100 * (os.cpu_count() or 1)

    other = fork_child(parent)
    assert tree.sample() is not None and tree.pids == (parent.pid, child, other)
    victim = psutil.Process(child)
    victim.kill()
    victim.wait(timeout=10)  # reaped by the parent at once (SIGCHLD ignored)
    third = tree.sample()
    assert third is not None and tree.pids == (parent.pid, other)
    assert third[1] < rss1 + 15 * MiB  # the killed child's memory dropped out

    os.killpg(parent.pid, signal.SIGKILL)
    parent.wait(timeout=10)
    assert tree.sample() is None and tree.gone and tree.pids == ()


def test_sampler_sums_the_target_tree_into_the_gauges() -> None:
    with prefork_server() as srv:
        family = [psutil.Process(srv.pid), *psutil.Process(srv.pid).children()]
        sampler = SystemSampler(target_pids=(srv.pid,))
        g = sampler.sample()
        alone = family[0].memory_info().rss
        total = sum(p.memory_info().rss for p in family)
        assert g.target_rss_bytes is not None and g.target_cpu_percent is not None
        assert g.target_rss_bytes > alone + 2 * MiB  # the workers count, not the parent alone
        assert abs(g.target_rss_bytes - total) < 0.1 * total
    assert SystemSampler(target_pids=(srv.pid,)).sample().target_rss_bytes is None
