"""Reference targets for benchmarks, all on loopback: nginx (when installed) and the
embedded demo target in its own process. Each is a context manager yielding a base URL."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from loadtui.demo.runner import start_subprocess, stop_subprocess

NGINX_CONF = """
worker_processes {workers};
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log crit;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir};
    proxy_temp_path {dir};
    fastcgi_temp_path {dir};
    uwsgi_temp_path {dir};
    scgi_temp_path {dir};
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            default_type application/json;
            return 200 '{{"ok":true,"service":"bench"}}';
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )


@contextmanager
def nginx(workers: str = "1") -> Iterator[str]:
    """nginx answering every path with a small JSON body; `workers` is its
    worker_processes (a number, or "auto": one per core)."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="loadtui-nginx-") as tmp:
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=tmp, port=port, workers=workers))
        proc = subprocess.Popen([binary, "-c", str(conf), "-p", tmp])
        try:
            wait_listening(port)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=5)


@contextmanager
def demo_target() -> Iterator[str]:
    proc, port = start_subprocess("127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_subprocess(proc)
