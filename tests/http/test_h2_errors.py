"""HTTP/2 failures are named kinds, as on HTTP/1.1: RST_STREAM, GOAWAY (unprocessed
streams sent again, the others served or failed), a server that stops answering or never
sends its preface, caps on kept bodies and header lists, a refused port."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest
from support.h2server import H2Server
from support.waits import wait_for

from loadtui.engine.http.errors import HttpError
from loadtui.engine.http.h2pool import H2Pool
from loadtui.engine.http.h2request import encode_h2_request

MakePool = Callable[..., H2Pool]


def req(path: str) -> list[tuple[bytes, bytes]]:
    return encode_h2_request("GET", "http", "127.0.0.1", path, [], None)


async def kind_of(pool: H2Pool, path: str, **kw: object) -> str:
    with pytest.raises(HttpError) as exc:
        await pool.request(req(path), **kw)  # type: ignore[arg-type]
    return exc.value.kind


async def test_rst_stream_is_reset_and_the_connection_lives_on(h2c_pool: MakePool) -> None:
    async with H2Server() as srv:
        pool = h2c_pool(srv.port)
        assert await kind_of(pool, "/rst") == "reset"
        assert (await pool.request(req("/ok"))).status == 200
        assert srv.connections == 1 and pool.retries == 0


async def test_refused_stream_is_sent_again(h2c_pool: MakePool) -> None:
    async with H2Server() as srv:
        pool = h2c_pool(srv.port)
        assert (await pool.request(req("/refuse-once"))).status == 200
        assert pool.retries == 1 and len(srv.seen("/refuse-once")) == 2


async def test_goaway_streams_past_it_are_sent_again_the_others_served(h2c_pool: MakePool) -> None:
    """The server (as nginx at keepalive_requests) sends GOAWAY after its 6th request:
    five of twenty in flight are served there, the fifteen past it go to a new connection."""
    async with H2Server(goaway_after=6) as srv:
        pool = h2c_pool(srv.port)
        await pool.request(req("/ok"))  # the connection is up: the 20 leave in one write
        got = await asyncio.gather(*(pool.request(req("/slow/50")) for _ in range(20)))
        assert [r.status for r in got] == [200] * 20
        assert Counter(r.connection for r in srv.seen("/slow/50")) == {1: 5, 2: 15}
        assert pool.retries == 15
        await wait_for(lambda: pool.gauges()["open"] == 1, what="the first connection closed")


async def test_goaway_with_an_error_fails_the_streams_it_cuts_off(h2c_pool: MakePool) -> None:
    async with H2Server(goaway_after=3, goaway_code=2) as srv:  # INTERNAL_ERROR
        pool = h2c_pool(srv.port)
        await pool.request(req("/ok"))
        outcomes = await asyncio.gather(
            *(pool.request(req("/slow/50")) for _ in range(4)), return_exceptions=True
        )
        kinds = sorted(o.kind if isinstance(o, HttpError) else str(o.status) for o in outcomes)
        assert kinds == ["200", "200", "reset", "reset"]  # two processed, two sent again
        assert pool.retries == 2


async def test_a_server_that_stops_answering_times_out(h2c_pool: MakePool) -> None:
    async with H2Server() as srv:
        # 1 s: what a stall of a busy machine's own must not reach while /ok is answered
        # (the PING that judges a silent connection takes the same limit).
        pool = h2c_pool(srv.port, read_timeout=1.0)
        # One stream left unanswered times out alone (reset); the connection answers a
        # PING, so it lives on.
        assert await kind_of(pool, "/hang") == "read_timeout"
        assert await kind_of(pool, "/hang", read_timeout=5.0, total_timeout=0.2) == "timeout"
        assert (await pool.request(req("/ok"))).status == 200
        await wait_for(lambda: srv.open_streams == 0, what="the timed-out streams reset")
        assert srv.connections == 1
        srv.frozen = True  # the whole server stops: nothing comes back at all
        assert await kind_of(pool, "/ok") == "read_timeout"  # and it is sent a PING
        assert await kind_of(pool, "/ok") == "read_timeout"  # no answer to it either
        srv.frozen = False
        assert (await pool.request(req("/ok"))).status == 200
        assert srv.connections == 2  # the silent connection took no new stream
        await wait_for(lambda: pool.gauges()["open"] == 1, what="the silent one closed")


async def test_a_server_that_never_sends_its_preface_is_a_connect_timeout(
    h2c_pool: MakePool,
) -> None:
    async with H2Server(silent=True) as srv:
        pool = h2c_pool(srv.port, connect_timeout=0.2)
        assert await kind_of(pool, "/ok") == "connect_timeout"
        assert await kind_of(pool, "/ok", total_timeout=0.1) == "timeout"
        assert pool.gauges()["connect_errors"] == 2


async def test_a_kept_body_past_the_cap_resets_only_its_stream(h2c_pool: MakePool) -> None:
    async with H2Server() as srv:
        pool = h2c_pool(srv.port, max_body_size=1000)
        assert await kind_of(pool, "/bytes/5000", want_body=True) == "too large"
        counted = await pool.request(req("/bytes/5000"))  # a body nobody keeps has no cap
        assert counted.body_len == 5000
        assert srv.connections == 1


async def test_a_header_list_past_the_cap_is_too_large(h2c_pool: MakePool) -> None:
    async with H2Server() as srv:
        pool = h2c_pool(srv.port, max_header_size=4096)
        assert await kind_of(pool, "/big-header/10000") == "too large"
        assert (await pool.request(req("/big-header/1000"))).status == 200


async def test_nothing_listening_is_refused(h2c_pool: MakePool, free_port: int) -> None:
    pool = h2c_pool(free_port)
    assert await kind_of(pool, "/ok") == "refused"
    assert pool.gauges()["connect_errors"] == 1


async def test_closing_the_pool_fails_what_is_in_flight_and_waiting(h2c_pool: MakePool) -> None:
    async with H2Server(max_streams=1) as srv:
        pool = h2c_pool(srv.port, max_connections=1)
        calls = [asyncio.ensure_future(pool.request(req("/hang"))) for _ in range(3)]
        await wait_for(lambda: pool.gauges()["waiting"] == 2, what="one in flight, two queued")
        await pool.close()
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert [o.kind for o in outcomes if isinstance(o, HttpError)] == ["closed"] * 3
