"""Connections ramp with the load instead of storming, and a profile's `warmup` opens
them before t = 0: counted on the pool and at loopback servers the tests start."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from support.loopback import Counters, LoopbackServer
from support.runs import config, run, stop_when, worker_of
from support.scenarios import NOWHERE, api_delay, get, scenario, user
from support.stalling import StallingTarget
from support.waits import wait_for

from loadtui.engine.controller import Controller
from loadtui.engine.http.connections import (
    CONNECT_BURST,
    CONNECT_RATE,
    LAGGING_CONNECTS,
    MIN_CONNECTING,
)
from loadtui.engine.http.pool import Pool
from loadtui.engine.worker import Worker
from loadtui.metrics.snapshot import Snapshot

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@dataclass
class Seen:
    requests: int = 0


def ok_server(seen: Seen) -> LoopbackServer:
    """Answers every request with an empty 200, counting requests (and connections)."""

    async def answer(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Counters
    ) -> None:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            seen.requests += 1
            writer.write(OK)
            await writer.drain()

    return LoopbackServer(answer, 60.0, "ok-target")


def silent_pool(port: int, connect_timeout: float = 5.0) -> Pool:
    """A pool of 1,000 connections to a silent target: every connection stays busy."""
    return Pool(
        "http",
        "127.0.0.1",
        port,
        ssl_context=None,
        max_connections=1_000,
        connect_timeout=connect_timeout,
        read_timeout=60.0,
    )


async def connect_all(pool: Pool, count: int) -> list[dict[str, float]]:
    """`count` requests at once on `pool`, until each has its connection: the pool's
    gauges once per loop turn meanwhile, with the loop's time as `t`."""
    loop = asyncio.get_running_loop()
    requests = [loop.create_task(pool.request(GET)) for _ in range(count)]
    turns: list[dict[str, float]] = []
    beating = True

    def beat() -> None:
        turns.append({**pool.gauges(), "t": loop.time()})
        if beating:
            loop.call_soon(beat)

    loop.call_soon(beat)
    try:
        await wait_for(lambda: pool.gauges()["open"] == count, what="every request connected")
    finally:
        beating = False
        for task in requests:
            task.cancel()
        await asyncio.gather(*requests, return_exceptions=True)
        await pool.close()
    return turns


async def test_a_pool_connects_a_few_at_a_time_and_at_most_doubles() -> None:
    """200 requests at once on a fresh pool: MIN_CONNECTING connect, the rest wait in
    line; connects under way never exceed max(MIN_CONNECTING, open), and every request
    still gets its connection (the target holds them all)."""
    with StallingTarget(silent=True) as silent:
        pool = silent_pool(silent.port)
        turns = await connect_all(pool, 200)
    first = turns[0]  # after each request's first step
    assert (first["connecting"], first["waiting"]) == (MIN_CONNECTING, 200 - MIN_CONNECTING)
    for g in turns:
        assert g["connecting"] <= max(MIN_CONNECTING, g["open"]), g
    assert pool.connects == 200 and pool.connect_errors == 0


async def test_a_lagging_loop_slows_the_pools_growth_to_a_few_connects() -> None:
    """40 connections busy at a silent target; the loop then stalls (a blocking sleep
    here, a CPU-bound generator in a real run), so the next sweep runs late. Of 100 more
    requests only a few connect at once, the rest wait in line: the backlog is the
    generator's own lag. Not none: a machine busy for long must not starve a slow target
    of connections, so in the end every request connects."""
    with StallingTarget(silent=True) as silent:
        # Connects may take 5 s: a stall of a busy machine's own while one is under way
        # must not time it out (at 0.4 s one did, and the pool never reached 140). The
        # sweep then runs every MAX_TICK (100 ms).
        pool = silent_pool(silent.port)
        loop = asyncio.get_running_loop()
        first = [loop.create_task(pool.request(GET)) for _ in range(40)]
        more: list[asyncio.Task[object]] = []
        try:
            await wait_for(lambda: pool.gauges()["open"] == 40, what="the first 40 connected")
            time.sleep(0.25)  # the loop stalls: the pending sweep runs over 0.15 s late
            await asyncio.sleep(0)
            await asyncio.sleep(0)  # the overdue sweep has run by now
            assert pool._lagging
            more = [loop.create_task(pool.request(GET)) for _ in range(100)]
            await asyncio.sleep(0)  # each new request has taken its first step
            held = pool.gauges()
            await wait_for(lambda: pool.gauges()["open"] == 140, what="every request connected")
        finally:
            for task in (*first, *more):
                task.cancel()
            await asyncio.gather(*first, *more, return_exceptions=True)
            await pool.close()
    assert held["open"] == 40 and held["connecting"] == LAGGING_CONNECTS, held
    assert held["waiting"] == 100 - LAGGING_CONNECTS, held
    assert pool.connects == 140 and pool.connect_errors == 0


async def test_a_paced_pool_connects_no_faster_than_its_rate() -> None:
    """An open-model run's pool paces its connects: 300 requests at once at a silent
    target open CONNECT_BURST at once, then no more than the rate allows in any span of
    time (a connect on loopback completes within a turn, so only a pace bounds how
    many a second); in the end every request has its connection."""
    rate = 1_000.0
    with StallingTarget(silent=True) as silent:
        pool = silent_pool(silent.port)
        pool.connect_rate = rate
        turns = await connect_all(pool, 300)
    seen = [(g["t"], g["open"] + g["connecting"]) for g in turns]  # connects begun so far
    assert seen[0][1] == min(CONNECT_BURST, MIN_CONNECTING)
    tick = 0.001  # the loop's clock counts whole ms (uvloop): a span may read 1 ms short
    for i, (t1, n1) in enumerate(seen):
        for t2, n2 in seen[i + 1 :: 7]:
            assert n2 - n1 <= CONNECT_BURST + rate * (t2 - t1 + tick) + 1, (t1, n1, t2, n2)
    assert pool.connects == 300 and pool.connect_errors == 0


async def test_an_open_model_run_opens_about_what_its_rate_needs(demo_url: str) -> None:
    """100 arrivals/s on a 50 ms endpoint keep about 5 requests in flight: the run opens
    a handful of connections (a loop stall may bunch arrivals), not one per request.
    Each tick that made connections says how long they took, apart from latency."""
    profile = {"model": "open", "stages": [{"duration": "30s", "rate": 100}]}  # 30 s: a guard
    text = scenario(user(api_delay(50, "slow")), profiles={"o": profile})
    hundred = stop_when(lambda s: (ep := s.endpoint("slow")) is not None and ep.requests >= 100)
    final, snaps, engine = await run(text, demo_url, hundred)
    assert worker_of(engine).pools.connect_rate == CONNECT_RATE  # paced (connections.py)
    slow = final.endpoint("slow")
    assert slow is not None and slow.requests >= 100 and slow.failures == 0
    assert 1 <= final.pool.connects <= 2 * 5 + MIN_CONNECTING
    assert final.pool.connects < slow.requests / 3
    connecting = [s for s in snaps if s.pool.connects_per_s > 0]
    assert connecting and all(s.pool.connect_ms_mean > 0 for s in connecting)


async def test_warmup_opens_connections_before_the_first_request() -> None:
    seen = Seen()
    # Until five requests were served (30 s: a guard; a fixed length could end first).
    profile = {"model": "open", "warmup": 20, "stages": [{"duration": "30s", "rate": 20}]}
    text = scenario(user(get("/", "ok")), profiles={"w": profile})
    snaps: list[Snapshot] = []

    def until_five(snap: Snapshot) -> None:
        snaps.append(snap)
        if seen.requests >= 5:
            engine.stop()

    with ok_server(seen) as server:
        engine = Controller(config(text, server.url), until_five)
        await worker_of(engine).warm_up()  # what starting the worker does before t = 0
        await wait_for(lambda: server.counters.connections == 20, what="20 connections")
        assert seen.requests == 0
        final = await engine.run()  # its own warm-up is then a no-op
    assert seen.requests >= 5
    # The run needed no connection beyond the warm-up's, and the warm-up's are not in
    # the run's connect rate.
    assert server.counters.connections == 20
    assert final.pool.connects == 20
    assert all(s.pool.connects_per_s == 0 for s in snaps)
    messages = [e.message for s in snaps for e in s.events]
    assert any(m.startswith("warm-up: opened 20 of 20 connections in") for m in messages)


async def test_warmup_stops_at_the_pool_size_and_says_so() -> None:
    seen = Seen()
    profile = {"model": "open", "warmup": 20, "stages": [{"duration": "1s", "rate": 1}]}
    text = scenario(user(get("/", "ok")), profiles={"w": profile}, max_connections=5)
    with ok_server(seen) as server:
        worker = Worker(config(text, server.url))
        try:
            await worker.warm_up()
            assert worker.pools.totals()["open"] == 5
        finally:
            await worker.pools.close()
    assert worker._warm_note is not None
    kind, message = worker._warm_note
    assert kind == "warning" and "opened 5 of 20" in message and "pool holds 5" in message


async def test_warmup_against_a_closed_port_names_the_failure() -> None:
    profile = {"model": "open", "warmup": 10, "stages": [{"duration": "1s", "rate": 1}]}
    text = scenario(user(get("/", "ok")), profiles={"w": profile})
    worker = Worker(config(text, NOWHERE))
    try:
        await worker.warm_up()
    finally:
        await worker.pools.close()
    assert worker._warm_note is not None
    kind, message = worker._warm_note
    assert kind == "warning" and "opened 0 of 10" in message and "refused" in message
