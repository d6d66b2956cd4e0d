"""Is anything listening? One TCP connect before the run, so an unreachable target
ends in a one-line reason (exit 3) instead of a run full of connection errors.

A reason names the host and port, never the URL's user:password."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from loadtui.scenario.userinfo import redact_url


def unreachable_reason(url: str, timeout: float = 3.0) -> str | None:
    """None when a TCP connection to the URL's host and port opens; else why not."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
    except ValueError:
        return f"bad port in {redact_url(url)}"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except socket.gaierror as exc:
        return f"cannot resolve {host!r} ({exc.strerror})"
    except ConnectionRefusedError:
        return f"connection refused at {host}:{port} (is the target running?)"
    except TimeoutError:
        return f"no answer from {host}:{port} within {timeout:g}s"
    except OSError as exc:
        return f"cannot connect to {host}:{port}: {exc.strerror or exc}"
