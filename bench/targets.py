"""Reference targets for benchmarks, all on loopback: nginx (when installed) and the
embedded demo target in its own process.

`nginx()` and `demo_target()` yield a base URL. `bench_nginx()` yields `Nginx`: one
nginx with the small fixed body on every path, `/sleep20` answering after 20 ms (the
echo module's `echo_sleep`, when asked for) and, when asked for, a TLS port that speaks
HTTP/2 and HTTP/1.1 (ALPN) with a self-signed certificate made at start with openssl.
"""

from __future__ import annotations

import resource
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tools import echo_module, nginx_binary

from loadtui.demo.runner import start_subprocess, stop_subprocess

__all__ = ["Nginx", "bench_nginx", "demo_target", "free_port", "nginx", "nginx_binary"]

SLEEP_PATH = "/sleep20"
SLEEP_S = 0.020

NGINX_CONF = """
{load_module}
worker_processes {workers};
worker_rlimit_nofile {nofile};
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log crit;
events {{ worker_connections {connections}; }}
http {{
    access_log off;
    client_body_temp_path {dir};
    proxy_temp_path {dir};
    fastcgi_temp_path {dir};
    uwsgi_temp_path {dir};
    scgi_temp_path {dir};
    # nginx ends a connection after this many requests (HTTP/2 included): h2load -c1
    # does not reconnect, so 1,000,000 capped it at 100,000 req/s over 10 s.
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        {tls_listen}
        {tls_files}
        location / {{
            default_type application/json;
            return 200 '{{"ok":true,"service":"bench"}}';
        }}
        {sleep_location}
    }}
}}
"""

SLEEP_LOCATION = """location = {path} {{
            default_type text/plain;
            echo_sleep {seconds};
            echo "ok";
        }}"""


@dataclass(frozen=True)
class Nginx:
    url: str  # http://127.0.0.1:PORT
    tls_url: str | None  # https://127.0.0.1:PORT (HTTP/2 and HTTP/1.1), when asked for
    sleep_url: str | None  # url + /sleep20, when the echo module was loaded


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


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A P-256 certificate for 127.0.0.1, valid one day: (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed (apt-get install openssl)")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@contextmanager
def bench_nginx(workers: str = "1", *, sleep: bool = False, tls: bool = False) -> Iterator[Nginx]:
    """nginx on loopback; `workers` is its worker_processes (a number, or "auto")."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
    module = echo_module() if sleep else None
    if sleep and module is None:
        raise RuntimeError(
            "the nginx echo module is missing (apt-get install libnginx-mod-http-echo)"
        )
    port, tls_port = free_port(), free_port() if tls else 0
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = 65536 if nofile == resource.RLIM_INFINITY else nofile
    with tempfile.TemporaryDirectory(prefix="loadtui-nginx-") as tmp:
        tls_listen = tls_files = ""
        if tls:
            cert, key = self_signed(Path(tmp))
            tls_listen = f"listen 127.0.0.1:{tls_port} ssl http2 backlog=4096;"
            tls_files = f"ssl_certificate {cert}; ssl_certificate_key {key};"
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                dir=tmp, port=port, workers=workers, nofile=nofile,
                connections=max(1024, nofile - 256),
                load_module=f"load_module {module};" if module else "",
                tls_listen=tls_listen, tls_files=tls_files,
                sleep_location=SLEEP_LOCATION.format(path=SLEEP_PATH, seconds=SLEEP_S)
                if module else "",
            )
        )  # fmt: skip
        proc = subprocess.Popen([binary, "-c", str(conf), "-p", tmp])
        try:
            wait_listening(port)
            if tls:
                wait_listening(tls_port)
            url = f"http://127.0.0.1:{port}"
            yield Nginx(
                url=url,
                tls_url=f"https://127.0.0.1:{tls_port}" if tls else None,
                sleep_url=url + SLEEP_PATH if module else None,
            )
        finally:
            proc.terminate()
            proc.wait(timeout=5)


@contextmanager
def nginx(workers: str = "1") -> Iterator[str]:
    """nginx answering every path with a small JSON body: its base URL."""
    with bench_nginx(workers) as server:
        yield server.url


@contextmanager
def demo_target() -> Iterator[str]:
    proc, port = start_subprocess("127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_subprocess(proc)
