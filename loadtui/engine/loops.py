"""The event loop every engine thread and process runs on: uvloop when installed."""

from __future__ import annotations

import asyncio


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # platforms without uvloop run on the default loop
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
