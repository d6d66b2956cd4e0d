"""The target's processes when it runs on this machine, so their RSS and CPU can be
watched beside the generator's (a soak's leak shows while it happens).

A real server is a tree: a pre-fork master (gunicorn, uvicorn --workers, nginx) with
workers that come and go. The watched set is each given pid plus all its descendants,
walked again at every sample, so new workers join and exited ones drop out.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import urlsplit

import psutil

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_LINUX = sys.platform.startswith("linux") and os.path.isdir("/proc")


def is_local(host: str) -> bool:
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listening_pids(url: str) -> tuple[int, ...]:
    """The processes listening on a loopback URL's port, if this user may see them.

    psutil names one holder per socket; when that is a pre-fork worker sharing its
    master's socket, the master (an ancestor listening on the same port) is taken
    instead, so the whole server is watched from its top."""
    parts = urlsplit(url)
    if not is_local(parts.hostname or ""):
        return ()
    try:
        port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
        conns = psutil.net_connections(kind="tcp")
    except (ValueError, psutil.Error, OSError):
        return ()
    found = {
        int(c.pid)
        for c in conns
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid
    }
    return tuple(sorted({listener_top(pid, port) for pid in found}))


def listener_top(pid: int, port: int) -> int:
    """The highest ancestor of `pid` (itself included) that still listens on `port`."""
    top = pid
    try:
        proc = psutil.Process(pid).parent()
        while proc is not None and proc.pid > 1 and _listens(proc, port):
            top = proc.pid
            proc = proc.parent()
    except psutil.Error:
        pass
    return top


def _listens(proc: psutil.Process, port: int) -> bool:
    try:
        conns = proc.net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in conns)


def pid_exists(pid: int) -> bool:
    return pid > 0 and psutil.pid_exists(pid)


def children_map() -> dict[int, list[int]]:
    """Every process's children by parent pid, from one pass over the process table.

    On Linux this reads /proc/N/stat directly: about half of what walking with
    `psutil.Process.children()` costs, and one pass serves every root."""
    return _linux_children() if _LINUX else _psutil_children()


def _linux_children() -> dict[int, list[int]]:
    out: defaultdict[int, list[int]] = defaultdict(list)
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fd = os.open(f"/proc/{name}/stat", os.O_RDONLY)
            try:
                data = os.read(fd, 512)
            finally:
                os.close(fd)
            # "pid (comm) state ppid ...": comm may itself hold spaces and parentheses.
            state, ppid, _ = data[data.rfind(b")") + 2 :].split(b" ", 2)
            parent = int(ppid)
        except (OSError, ValueError):
            continue  # exited meanwhile, or not ours to see
        if state != b"Z":  # a zombie has exited, only its parent has not reaped it yet
            out[parent].append(int(name))
    return out


def _psutil_children() -> dict[int, list[int]]:
    out: defaultdict[int, list[int]] = defaultdict(list)
    for proc in psutil.process_iter(["ppid", "status"]):
        ppid = proc.info.get("ppid")
        if ppid is not None and proc.info.get("status") != psutil.STATUS_ZOMBIE:
            out[int(ppid)].append(proc.pid)
    return out


def process_tree(
    roots: Iterable[int],
    *,
    skip: int | None = None,
    children: dict[int, list[int]] | None = None,
) -> tuple[int, ...]:
    """The roots that exist, in order, then all their descendants (ascending), each once.

    `skip` (default: this process) and its own descendants are left out wherever they
    sit, so the generator never counts itself when the target is one of its ancestors
    (a container's pid 1, say)."""
    kids = children_map() if children is None else children
    alive = {pid for pids in kids.values() for pid in pids}  # every process has a parent
    leave_out = os.getpid() if skip is None else skip
    tops = [pid for pid in dict.fromkeys(roots) if pid in alive and pid != leave_out]
    seen = set(tops)
    stack = list(tops)
    while stack:
        for child in kids.get(stack.pop(), ()):
            if child not in seen and child != leave_out:
                seen.add(child)
                stack.append(child)
    return (*tops, *sorted(seen.difference(tops)))


class TargetTree:
    """RSS and CPU summed over the target's process tree, sampled once per tick.

    CPU is percent of one core, summed, since the previous sample, from each process's
    CPU time. A process present at the start is primed (its past CPU is not this run's);
    one that appears later was born within the interval, so all its CPU time belongs to
    it (a boot cost, not a spike); one whose time exceeds what the interval allows was
    not new (adopted into the tree) and is primed instead.
    """

    def __init__(self, roots: Iterable[int], *, skip: int | None = None) -> None:
        self.roots = tuple(dict.fromkeys(roots))
        self._skip = skip
        self._cpu_s: dict[int, tuple[psutil.Process, float]] = {}  # pid → (proc, user+sys)
        self._last = time.monotonic()
        self.pids: tuple[int, ...] = ()  # the tree at the latest sample
        self.gone = False
        for pid in self._walk():  # primed: CPU spent before the run is not the run's
            proc = self._open(pid)
            if proc is not None and (total := _cpu_total(proc)) is not None:
                self._cpu_s[pid] = (proc, total)

    def _walk(self) -> tuple[int, ...]:
        self.pids = process_tree(self.roots, skip=self._skip)
        if not any(pid in self.roots for pid in self.pids):
            self.gone = True  # every given process exited: their orphans are not theirs
            self.pids = ()
        return self.pids

    @staticmethod
    def _open(pid: int) -> psutil.Process | None:
        try:
            return psutil.Process(pid)
        except psutil.Error:
            return None

    def sample(self) -> tuple[float, int] | None:
        """(CPU percent of one core, RSS bytes) summed over the tree; None once every
        given process is gone, or when none of the tree could be read."""
        if self.gone:
            return None
        now = time.monotonic()
        elapsed, self._last = now - self._last, now
        ceiling = elapsed * (os.cpu_count() or 1)  # the most CPU a newborn could have used
        tracked: dict[int, tuple[psutil.Process, float]] = {}
        cpu_s = 0.0
        rss = 0
        for pid in self._walk():
            known = self._cpu_s.get(pid)
            proc = known[0] if known is not None else self._open(pid)
            if proc is None:
                continue
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    rss += proc.memory_info().rss
            except psutil.Error:
                continue  # exited since the walk, or not ours to read
            total = times.user + times.system
            used = total - known[1] if known is not None else -1.0
            if used < 0:  # new to the tree (or a reused pid): born within the interval
                used = total if total <= ceiling else 0.0
            cpu_s += used
            tracked[pid] = (proc, total)
        self._cpu_s = tracked
        if not tracked:
            return None
        return (cpu_s / elapsed * 100 if elapsed > 0 else 0.0), rss


def _cpu_total(proc: psutil.Process) -> float | None:
    try:
        times = proc.cpu_times()
    except psutil.Error:
        return None
    return times.user + times.system
