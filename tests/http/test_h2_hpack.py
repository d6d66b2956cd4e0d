"""HPACK (engine/http/h2hpack.py) against the hpack library: our decoder reads whatever
hpack's Encoder writes (dynamic table, Huffman, never-indexed fields, table resizes),
block after block, remembered blocks included, exactly as hpack's Decoder does; hpack's
Decoder reads our blocks back; bytes no encoder would write fail as HpackError only; a
header list past the cap fails its stream and leaves the table in step."""

from __future__ import annotations

import pytest
from hpack import Decoder, Encoder, HeaderTuple, NeverIndexedHeaderTuple
from hypothesis import given
from hypothesis import strategies as st

from loadtui.engine.http.h2hpack import HeadDecoder, HeadTooLarge, HpackError, encode_block

CAP = 1 << 16

common = st.sampled_from([b"server", b"date", b"content-type", b"x-id", b"set-cookie"])
made_up = st.binary(min_size=1, max_size=20).map(lambda b: b"x-" + bytes(97 + c % 26 for c in b))
names = common | made_up
values = st.binary(max_size=60).map(lambda b: bytes(c for c in b if c not in b"\r\n\0"))
fields = st.lists(st.tuples(names, values, st.booleans()), max_size=8)
statuses = st.sampled_from([b"200", b"204", b"404", b"500"])
# A response: its status and fields, whether hpack Huffman-codes it, and a table size
# hpack announces first (None: unchanged).
responses = st.tuples(statuses, fields, st.booleans(), st.none() | st.integers(0, 4096))


def encode(encoder: Encoder, response: tuple) -> bytes:
    status, items, huffman, table_size = response
    if table_size is not None:
        encoder.header_table_size = table_size
    head = [HeaderTuple(b":status", status)]
    head += [
        NeverIndexedHeaderTuple(n, v) if secret else HeaderTuple(n, v) for n, v, secret in items
    ]
    return encoder.encode(head, huffman=huffman)


@given(st.lists(responses, min_size=1, max_size=12), st.lists(st.integers(0, 11), max_size=30))
def test_blocks_decode_as_hpack_decodes_them(distinct: list[tuple], picks: list[int]) -> None:
    """A connection's blocks: distinct responses, then some sent again (the same header
    list encodes to the same bytes once hpack has indexed it): ours and hpack's
    decoders, each seeing every block in order, agree on every one."""
    encoder, theirs, ours = Encoder(), Decoder(), HeadDecoder(CAP)
    sequence = distinct + [distinct[i % len(distinct)] for i in picks]
    for response in sequence:
        block = encode(encoder, response)
        want = [(bytes(n), bytes(v)) for n, v in theirs.decode(block, raw=True)]
        status, got, size = ours.decode(block)
        assert status == int(response[0])
        assert got == want[1:]
        assert size == sum(len(n) + len(v) + 32 for n, v in want)


def test_a_block_seen_again_replays_what_it_adds_to_the_table() -> None:
    """nginx sends the same block on every response and adds its fields to the table
    each time: remembered, the block still adds them, so a later block that reads the
    table by index reads what hpack's decoder reads."""
    theirs, ours = Decoder(), HeadDecoder(CAP)
    nginx = bytes.fromhex("887689aa6355e580ae212e1f6196d07abe94640a693f75040138a01fb827ee")
    nginx += bytes.fromhex("084a62d1bf5f8b1d75d0620d263d4c7441ea5c023239")
    for _ in range(200):  # each adds four entries: the 4 KiB table turns over many times
        assert ours.decode(nginx) == (
            200,
            [(n, v) for n, v in theirs.decode(nginx, raw=True)][1:],
            265,
        )
    # Index 62 is the newest entry, 65 the oldest of the last response's four.
    by_index = bytes([0x88, 0xBE, 0xBF, 0xC0, 0xC1])
    assert ours.decode(by_index)[1] == [(n, v) for n, v in theirs.decode(by_index, raw=True)][1:]


def test_our_blocks_decode_with_hpack_and_use_no_table() -> None:
    headers = [
        (b":method", b"GET"),
        (b":scheme", b"https"),
        (b":authority", b"api.test:8443"),
        (b":path", b"/a?b=1"),
        (b"authorization", b"Bearer t"),
        (b"x-long", b"v" * 300),
        (b"user-agent", b"loadtui/0.1"),
    ]
    block = encode_block(headers)
    decoder = Decoder()
    assert [(bytes(n), bytes(v)) for n, v in decoder.decode(block, raw=True)] == headers
    assert len(decoder.header_table.dynamic_entries) == 0  # stateless: reusable as is
    assert encode_block(headers) == block
    never = [h for h in Decoder().decode(block, raw=True) if h.indexable is False]
    assert [bytes(h[0]) for h in never] == [b"authorization"]


@given(st.lists(st.tuples(names, values), max_size=10))
def test_our_blocks_round_trip(headers: list[tuple[bytes, bytes]]) -> None:
    block = encode_block(headers)
    assert [(bytes(n), bytes(v)) for n, v in Decoder().decode(block, raw=True)] == headers


@pytest.mark.parametrize(
    "block",
    [
        b"\x80",  # index 0
        b"\xff\x00",  # index 127: past the static table and an empty dynamic one
        b"\x88\x20",  # a table size update after a field
        b"\x3f\xe2\x1f",  # a table size of 4097: more than we allow
        b"\xff\xff\xff\xff\xff\xff\xff\x7f",  # an integer past 2^28
        b"\xff\xff",  # an integer cut short
        b"\x00\x05ab",  # a name longer than the block
        b"\x00\x81\xff\x00",  # a Huffman name that is no Huffman code (EOS)
        b"\x40",  # a literal with nothing after it
    ],
)
def test_bytes_no_encoder_writes_are_hpack_errors(block: bytes) -> None:
    with pytest.raises(HpackError):
        HeadDecoder(CAP).decode(block)


@given(st.binary(max_size=200))
def test_any_bytes_decode_or_fail_as_hpack_errors(block: bytes) -> None:
    decoder = HeadDecoder(512)
    try:
        status, _, size = decoder.decode(block)
    except (HpackError, HeadTooLarge):
        return
    assert -1 <= status <= 999 and size <= 512


def test_a_list_past_the_cap_fails_but_the_table_stays_in_step() -> None:
    """One 3 KB field, added to the table; then a block naming it five times by index:
    15 KB decoded from 5 bytes, past the 8 KiB cap: too large, not kept. The next block
    reads the table and gets what hpack reads."""
    encoder, theirs, ours = Encoder(), Decoder(), HeadDecoder(8192)
    big = [(b":status", b"200"), (b"x-big", b"y" * 3000)]
    first = encoder.encode(big)
    theirs.decode(first)
    assert ours.decode(first)[1] == [(b"x-big", b"y" * 3000)]
    bomb = encoder.encode([(b":status", b"200"), *[(b"x-big", b"y" * 3000)] * 5])
    assert len(bomb) < 10
    theirs.decode(bomb)
    with pytest.raises(HeadTooLarge):
        ours.decode(bomb)
    after = encoder.encode([(b":status", b"204"), (b"x-big", b"y" * 3000), (b"x-new", b"1")])
    want = [(bytes(n), bytes(v)) for n, v in theirs.decode(after, raw=True)]
    assert ours.decode(after) == (204, want[1:], sum(len(n) + len(v) + 32 for n, v in want))


@pytest.mark.parametrize(
    ("head", "status"),
    [
        ([(b"x-a", b"1")], 0),  # no :status (trailers have none; a response must)
        ([(b":status", b"20x")], -1),
        ([(b":status", b"200"), (b":path", b"/")], -1),  # a request's pseudo-header
        ([(b"x-a", b"1"), (b":status", b"200")], -1),  # a pseudo-header after a field
        ([(b":status", b"200"), (b"X-Upper", b"1")], -1),
        ([(b":status", b"200"), (b"connection", b"close")], -1),
        ([(b":status", b"200"), (b"x-a", b"1\r\nx-b: 2")], -1),
        ([(b":status", b"200"), (b"x-a", b"1")], 200),
    ],
)
def test_heads_that_break_http2_rules_are_marked(
    head: list[tuple[bytes, bytes]], status: int
) -> None:
    assert HeadDecoder(CAP).decode(encode_block(head))[0] == status
