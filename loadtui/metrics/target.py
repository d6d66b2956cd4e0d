"""Finding the target's process when it runs on this machine, so its RSS and CPU can be
watched beside the generator's (a soak's leak shows while it happens)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import psutil

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_local(host: str) -> bool:
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listening_pid(url: str) -> int | None:
    """The pid listening on a loopback URL's port, if this user may see it; else None."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not is_local(host):
        return None
    try:
        port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
        conns = psutil.net_connections(kind="tcp")
    except (ValueError, psutil.Error, OSError):
        return None
    for c in conns:
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid:
            return int(c.pid)
    return None


def pid_exists(pid: int) -> bool:
    return pid > 0 and psutil.pid_exists(pid)
