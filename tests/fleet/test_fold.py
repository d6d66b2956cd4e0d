"""Exact at any size: deltas from any number of workers fold into the figures of one
histogram holding every value; counts are the sums of the workers'."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from loadtui.metrics import histogram as H
from loadtui.metrics.fold import Fold
from loadtui.metrics.recorder import Recorder
from loadtui.metrics.snapshot import LoadState
from loadtui.metrics.wire import Unpacker, pack

LOAD = LoadState(state="running")
latencies = st.lists(st.integers(0, 5_000_000_000), max_size=300)


@given(st.lists(latencies, min_size=1, max_size=8))
def test_packed_histograms_add_exactly(parts: list[list[int]]) -> None:
    whole = H.new_histogram()
    merged = H.new_histogram()
    unpack = Unpacker(merged.counts_len)
    for values in parts:
        h = H.new_histogram()
        for v in values:
            H.record(h, v)
            H.record(whole, v)
        assert unpack.add(merged, pack(h)) == len(values)
    assert list(merged.counts) == list(whole.counts)
    assert merged.total_count == whole.total_count
    if whole.total_count:
        assert (merged.min_value, merged.max_value) == (whole.min_value, whole.max_value)


def test_a_corrupt_packed_histogram_is_refused() -> None:
    h = H.new_histogram()
    H.record(h, 1234)
    data = pack(h)
    unpack = Unpacker(h.counts_len)
    for bad in (data[:10], data[:-1] + b"\xff", b"\x00" * len(data)):
        try:
            unpack.add(H.new_histogram(), bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad!r}")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(1, 10**8), st.booleans()),
        max_size=400,
    ),
    st.integers(1, 12),
    st.integers(1, 4),
    st.randoms(use_true_random=False),
)
def test_any_split_over_workers_and_ticks_gives_the_figures_of_one_run(
    requests: list[tuple[str, int, bool]], workers: int, ticks: int, rnd: random.Random
) -> None:
    """The same requests recorded by one recorder, or spread at random over `workers`
    recorders whose deltas are folded over `ticks` ticks: the same final figures."""
    alone = Recorder()
    fleet = [Recorder() for _ in range(workers)]
    fold = Fold()
    cut = sorted(rnd.randrange(len(requests) + 1) for _ in range(ticks - 1))
    start = 0
    for end in [*cut, len(requests)]:
        for name, us, ok in requests[start:end]:
            for rec in (alone, fleet[rnd.randrange(workers)]):
                ep = rec.endpoint(name, "GET")
                if ok:
                    ep.success(us, 200, bytes_in=10)
                else:
                    ep.failure("timeout", us)
        for i, rec in enumerate(fleet):
            fold.add(rec.take_delta(i))
        start = end
        merged = fold.snapshot(load=LOAD)
    single = alone.tick(load=LOAD)
    assert merged.total.requests == single.total.requests == len(requests)
    assert merged.total.latency == single.total.latency
    assert merged.total.errors == single.total.errors
    assert merged.total.bytes_in == single.total.bytes_in
    assert {e.name: e.latency for e in merged.endpoints} == {
        e.name: e.latency for e in single.endpoints
    }
    assert {e.name: (e.requests, e.failures, e.status_codes) for e in merged.endpoints} == {
        e.name: (e.requests, e.failures, e.status_codes) for e in single.endpoints
    }


def test_a_lost_worker_keeps_its_counts_and_drops_its_gauges() -> None:
    from loadtui.metrics.delta import WorkerLoad

    fold = Fold()
    for i in range(2):
        rec = Recorder()
        rec.endpoint("x").success(1_000, 200)
        rec.stream("s").connected(500)
        fold.add(rec.take_delta(i, load=WorkerLoad(users=3, late=2)))
    first = fold.snapshot(load=LOAD)
    assert first.total.requests == 2 and fold.load().users == 6
    assert first.streams[0].open == 2
    fold.forget(1)
    after = fold.snapshot(load=LOAD)
    assert after.total.requests == 2  # what it counted stays
    assert fold.load().users == 3 and fold.load().late == 4
    assert after.streams[0].open == 1  # its sessions are gone with it
    assert [w.alive for w in fold.vitals()] == [True, False]
