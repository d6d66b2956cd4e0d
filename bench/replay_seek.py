"""How fast replay opens and seeks an hour-long session (14,400 ticks at 4 a second).

    python bench/replay_seek.py [--ticks 14400] [--rounds 5]

Moved here from the unit tests, where a wall-clock bound flaked on a busy machine. The
goal it kept: opening under 1 s and any seek under 250 ms (measured ~10 ms and ~5 ms).
Prints the best of `--rounds` for each, and exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from tui.replay_host import recorded_ticks, session_of, story_events

from loadtui.tui.replay_player import ReplayPlayer

OPEN_GOAL_S, SEEK_GOAL_S = 1.0, 0.25


def once(ticks: int) -> tuple[float, float]:
    """Seconds to open the player and for its slowest seek."""
    session = session_of(recorded_ticks(ticks, events=story_events()))
    started = time.perf_counter()
    p = ReplayPlayer(session)
    opened = time.perf_counter() - started
    slowest = 0.0
    for move in (p.home, lambda: p.seek(600), lambda: p.seek(-60), p.end, lambda: p.seek(-10)):
        started = time.perf_counter()
        move()
        slowest = max(slowest, time.perf_counter() - started)
    return opened, slowest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=14_400)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    runs = [once(args.ticks) for _ in range(args.rounds)]
    opened, seek = min(r[0] for r in runs), min(r[1] for r in runs)
    print(
        f"{args.ticks:,} ticks: opened in {opened * 1000:.1f} ms, slowest seek {seek * 1000:.1f} ms"
    )
    return 0 if opened < OPEN_GOAL_S and seek < SEEK_GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
