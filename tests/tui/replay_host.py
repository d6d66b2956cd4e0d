"""Hand-built recorded sessions (real encoded histograms, fixed figures, no file) and a
tiny app hosting ReplayScreen, for the replay tests and a look in tmux:

    python tests/tui/replay_host.py [TICKS]
"""

from __future__ import annotations

import random
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from textual.app import App

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for `support`

from support.snapshots import endpoint, snapshot
from tui.dashboard_host import CLOSED, THRESHOLDS

from loadtui.metrics.histogram import decode, encode, latency_of, merge, new_histogram, record
from loadtui.metrics.snapshot import EndpointStats, Event, Latency, Snapshot
from loadtui.scenario.model import Profile, Threshold
from loadtui.session.codec import jsonable
from loadtui.session.reader import Session
from loadtui.tui.replay_player import ReplayPlayer
from loadtui.tui.screens.replay import ReplayScreen

Hist = tuple[bytes, Latency]
NAMES = ("/api/items", "login")


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def histogram_pool(n: int = 8, seed: int = 7) -> list[Hist]:
    """`n` distinct interval histograms (µs values, 50-400 samples each), encoded."""
    rng = random.Random(seed)
    pool = []
    for i in range(n):
        h = new_histogram()
        for _ in range(rng.randint(50, 400)):
            record(h, int(rng.lognormvariate(8.0 + i * 0.15, 0.6)))
        pool.append((encode(h), latency_of(h)))
    return pool


def _totals(pool: Sequence[Hist], shift: int) -> list[Hist]:
    """Total histogram of the tick using pool[k] and pool[(k + shift) % n], by k."""
    n, out = len(pool), []
    for k in range(n):
        h = merge([decode(pool[k][0]), decode(pool[(k + shift) % n][0])])
        out.append((encode(h), latency_of(h)))
    return out


def recorded_ticks(
    count: int,
    *,
    interval_s: float = 0.25,
    pool: Sequence[Hist] | None = None,
    events: Mapping[int, Sequence[Event]] | None = None,
) -> list[Snapshot]:
    """`count` ticks at `interval_s`: two endpoints with real histograms (taken from a
    pool in turn), cumulative counts that add up, login failing 2 per 10th tick.
    `events` maps a tick's seq (1-based) to the events it carries."""
    pool = list(pool or histogram_pool())
    shift = 3
    totals = _totals(pool, shift)
    n = len(pool)
    cum = {name: [0, 0] for name in NAMES}  # requests, failures
    ticks: list[Snapshot] = []
    for seq in range(1, count + 1):
        k = seq % n
        eps: list[EndpointStats] = []
        for name, (data, lat) in zip(NAMES, (pool[k], pool[(k + shift) % n]), strict=True):
            fails = 2 if name == "login" and seq % 10 == 0 else 0
            cum[name][0] += lat.count
            cum[name][1] += fails
            reqs, failed = cum[name]
            eps.append(
                replace(
                    endpoint(
                        name,
                        "GET" if name.startswith("/") else "",
                        requests=reqs,
                        failures=failed,
                        interval_requests=lat.count,
                        interval_failures=fails,
                        rps=lat.count / interval_s,
                        mean_rps=reqs / (seq * interval_s),
                        status_codes={200: reqs - failed, **({503: failed} if failed else {})},
                        errors={"status 503": failed} if failed else {},
                    ),
                    interval_latency=lat,
                    histogram=data,
                )
            )
        snap = snapshot(
            seq, interval_s=interval_s, endpoints=eps, events=(events or {}).get(seq, ())
        )
        data, lat = totals[k]
        snap = replace(snap, total=replace(snap.total, interval_latency=lat, histogram=data))
        ticks.append(snap)
    return ticks


def session_of(
    ticks: Sequence[Snapshot],
    *,
    path: str = "sessions/demo-run.json",
    profile: Profile = CLOSED,
    thresholds: Sequence[Threshold] = THRESHOLDS,
    finished: bool = True,
) -> Session:
    """A Session as the reader would build it from a log of these ticks."""
    header = {
        "type": "header",
        "format": "loadtui-session",
        "version": 1,
        "scenario": {"name": "demo", "thresholds": jsonable(tuple(thresholds))},
        "target": {"name": "local", "url": "http://127.0.0.1:8089"},
        "profile": jsonable(profile),
    }
    events = tuple(e for t in ticks for e in t.events)
    summary = {"type": "summary", "report": {}} if finished else None
    return Session(Path(path), header, tuple(ticks), events, summary, not finished)


def story_events(interval_s: float = 0.25) -> dict[int, list[Event]]:
    """Events of a short run, by the seq of the tick that carries them."""

    def at(seq: int, kind: str, message: str) -> tuple[int, list[Event]]:
        return seq, [Event(seq * interval_s, kind, message)]  # type: ignore[arg-type]

    return dict(
        [
            at(1, "info", "run started"),
            at(40, "stage", "stage 2/3: 20 users for 60s"),
            at(120, "operator", "set users to 25"),
            at(200, "breach", "threshold breached: login: p95 < 50ms"),
            at(320, "stage", "stage 3/3: 5 users for 30s"),
        ]
    )


class ReplayHost(App[None]):
    def __init__(self, session: Session, *, player: ReplayPlayer | None = None) -> None:
        super().__init__()
        self.replay = ReplayScreen(session, player=player, frame_s=0.02)

    def on_mount(self) -> None:
        self.push_screen(self.replay)


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    ReplayHost(session_of(recorded_ticks(count, events=story_events()))).run()
