"""The peer tools the benchmarks compare loadtui with, and how each gets installed.

Nothing is installed at import time: `ensure_tools(needs)` is called by a bench's main
once it knows which modes run. Debian packages come with apt-get (as root), Locust from
PyPI into bench/.venv-locust, node packages (ws, Artillery) with npm into bench/node;
each step says what it installs and why, and a step that cannot run stops the bench with
one line saying what to do instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCUST_VENV = HERE / ".venv-locust"
LOCUST = LOCUST_VENV / "bin" / "locust"
NODE = HERE / "node"
ARTILLERY = NODE / "node_modules" / ".bin" / "artillery"
NGINX_MODULES = (Path("/usr/lib/nginx/modules"), Path("/usr/share/nginx/modules"))

# tool -> Debian package that brings it
APT = {
    "nginx": "nginx-light",
    "nginx-echo": "libnginx-mod-http-echo",
    "wrk": "wrk",
    "ab": "apache2-utils",
    "hey": "hey",
    "h2load": "nghttp2-client",
    "openssl": "openssl",
    "node": "nodejs",
    "npm": "npm",
}
DEFAULT_NEEDS = ("nginx", "wrk", "locust")  # what bench/scale.py and the old suite used


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    return found or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def echo_module() -> Path | None:
    """The nginx echo module's shared object (Debian: libnginx-mod-http-echo)."""
    for folder in NGINX_MODULES:
        if (folder / "ngx_http_echo_module.so").exists():
            return folder / "ngx_http_echo_module.so"
    return None


def _found(tool: str) -> bool:
    if tool == "nginx":
        return nginx_binary() is not None
    if tool == "nginx-echo":
        return echo_module() is not None
    return shutil.which(tool) is not None


def node_packages_missing() -> list[str]:
    return [p for p in ("ws", "artillery") if not (NODE / "node_modules" / p).exists()]


def ensure_tools(needs: Iterable[str] = DEFAULT_NEEDS) -> None:
    """Install whatever of `needs` is missing: tool names of APT, "locust" and "node-packages"."""
    wanted = list(dict.fromkeys(needs))
    if "node-packages" in wanted:
        wanted += ["node", "npm"]
    missing = sorted({APT[t] for t in wanted if t in APT and not _found(t)})
    if missing:
        _apt_install(missing)
    if "locust" in wanted and not LOCUST.exists():
        print("installing Locust from PyPI into bench/.venv-locust (one time)", flush=True)
        _run([sys.executable, "-m", "venv", str(LOCUST_VENV)], "create bench/.venv-locust")
        _run([str(LOCUST_VENV / "bin" / "pip"), "install", "-q", "locust"], "pip install locust")
    if "node-packages" in wanted and node_packages_missing():
        print(
            f"installing {', '.join(node_packages_missing())} with npm into bench/node "
            "(one time; Artillery takes a few minutes)",
            flush=True,
        )
        # Artillery pulls in Playwright, whose install step would fetch a browser: not needed.
        env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
        _run(["npm", "install", "--no-audit", "--no-fund"], "npm install", cwd=NODE, env=env)


def _apt_install(packages: list[str]) -> None:
    if os.geteuid() != 0:
        raise SystemExit(
            f"missing Debian packages: {' '.join(packages)}; run as root or "
            f"`sudo apt-get install {' '.join(packages)}`, then run the bench again"
        )
    print(f"installing with apt-get: {' '.join(packages)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update", "-q"], "apt-get update", env=env)
    _run(["apt-get", "install", "-y", "-q", *packages], "apt-get install", env=env)


def _run(
    cmd: list[str], what: str, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> None:
    try:
        subprocess.run(cmd, check=True, cwd=cwd, env=env)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"{what} failed ({exc}); install it by hand and run again") from None


if __name__ == "__main__":
    ensure_tools(sys.argv[1:] or DEFAULT_NEEDS)
