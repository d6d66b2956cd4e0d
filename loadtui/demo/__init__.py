"""The embedded demo target: HTTP/1.1 + WebSocket on one port, asyncio, no web framework."""

from __future__ import annotations

from loadtui.demo.runner import DemoTarget, run_forever, serve, start_subprocess

__all__ = ["DemoTarget", "run_forever", "serve", "start_subprocess"]
