"""Driving Textual's command palette in tests: its search runs in a worker, so a test
waits for the hit it typed for instead of pausing and hoping the search has finished."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from support.waits import wait_for


def top_hit(pilot: Pilot[None]) -> str:
    """The highlighted hit's text, or "" while the palette is closed or searching."""
    palette = pilot.app.screen
    if not isinstance(palette, CommandPalette):
        return ""
    hits = palette.query_one(CommandList)
    if hits.highlighted is None or hits.option_count == 0:
        return ""
    return str(hits.get_option_at_index(hits.highlighted).prompt)


async def pick(pilot: Pilot[None], typed: str, expect: str) -> None:
    """Open the palette, type `typed`, wait until `expect` is the top hit, run it."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*typed)
    await wait_for(lambda: expect in top_hit(pilot), what=f"palette hit {expect!r}")
    await pilot.press("enter")
