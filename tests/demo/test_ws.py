"""WebSocket endpoints on the HTTP port: echo, push, handshake errors, disconnects."""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import struct
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from loadtui.demo import DemoTarget


def ws_url(target: DemoTarget, path: str) -> str:
    return f"ws://127.0.0.1:{target.port}{path}"


def upgrade(path: str) -> bytes:
    """A WebSocket handshake request for `path`."""
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )


def recv_until(sock: socket.socket, end: bytes) -> bytes:
    """What `sock` receives up to `end`; fails if the server closes first."""
    data = b""
    while not data.endswith(end):
        chunk = sock.recv(4096)
        assert chunk, data
        data += chunk
    return data


def raw_handshake(target: DemoTarget, path: str) -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", target.port), timeout=5)
    sock.sendall(upgrade(path))
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    return sock, head


def masked_frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    data = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + data


def test_echo_text_and_binary(target: DemoTarget) -> None:
    with connect(ws_url(target, "/ws/echo")) as ws:
        ws.send("héllo")
        assert ws.recv(timeout=2) == "héllo"
        ws.send(b"\x00\x01\xff")
        assert ws.recv(timeout=2) == b"\x00\x01\xff"
        ws.send(["frag", "mented"])  # one message sent as fragments
        assert ws.recv(timeout=2) == "fragmented"
        big = os.urandom(200_000)
        ws.send(big)
        assert ws.recv(timeout=2) == big
        ws.ping(b"p").wait(2)


def test_client_close_is_answered(target: DemoTarget) -> None:
    with connect(ws_url(target, "/ws/echo")) as ws:
        ws.close(code=1000, reason="bye")
        assert ws.close_code == 1000
        assert ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1000


def test_subprotocol_offered_is_accepted(target: DemoTarget) -> None:
    with connect(ws_url(target, "/ws/echo"), subprotocols=[Subprotocol("chat.v1")]) as ws:
        assert ws.subprotocol == "chat.v1"


def test_push_messages_come_in_order(target: DemoTarget) -> None:
    began = time.time()
    with connect(ws_url(target, "/ws/push?rate=20&size=16")) as ws:
        t0 = time.monotonic()
        messages = []
        while time.monotonic() - t0 < 1.0:
            messages.append(json.loads(ws.recv(timeout=2)))
        got = time.time()
    # At 20 a second about 20 arrive; a busy machine delivers fewer or a late burst,
    # never out of order (the rate itself is a speed figure, not a unit test's).
    assert len(messages) >= 2
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert all(m["pad"] == "x" * 16 for m in messages)
    # Stamped in wall-clock seconds, between the connect and its receipt (by causality:
    # however long a busy machine held either side). 10 ms for the stamp's rounding.
    assert began - 0.01 <= messages[0]["t"] <= messages[-1]["t"] <= got + 0.01


def test_push_ignores_client_messages_and_keeps_pushing(target: DemoTarget) -> None:
    with connect(ws_url(target, "/ws/push?rate=50&size=0")) as ws:
        ws.send("ignored")
        first = json.loads(ws.recv(timeout=2))
        second = json.loads(ws.recv(timeout=2))
        assert second["seq"] == first["seq"] + 1 and first["pad"] == ""


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ws/push?rate=abc", 400),
        ("/ws/push?rate=0", 400),
        ("/ws/push?size=-1", 400),
        ("/ws/nope", 404),
    ],
)
def test_handshake_errors(target: DemoTarget, path: str, status: int) -> None:
    with pytest.raises(InvalidStatus) as info:
        connect(ws_url(target, path))
    assert info.value.response.status_code == status


def test_bad_handshake_headers_rejected(target: DemoTarget) -> None:
    with socket.create_connection(("127.0.0.1", target.port), timeout=5) as s:
        s.sendall(
            b"GET /ws/echo HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"  # no key
        )
        assert s.recv(4096).startswith(b"HTTP/1.1 400 ")


def test_frames_sent_with_the_handshake_are_not_lost(target: DemoTarget) -> None:
    sock = socket.create_connection(("127.0.0.1", target.port), timeout=5)
    sock.sendall(upgrade("/ws/echo") + masked_frame(0x1, b"early"))
    assert recv_until(sock, b"early").startswith(b"HTTP/1.1 101 ")
    sock.close()


def test_abrupt_disconnects_do_not_break_the_server(
    target: DemoTarget, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for path in ("/ws/echo", "/ws/push?rate=1000&size=1000"):
        sock, head = raw_handshake(target, path)
        assert head.startswith(b"HTTP/1.1 101 ")
        sock.sendall(masked_frame(0x1, b"x" * 10))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    sock, _ = raw_handshake(target, "/ws/echo")
    sock.shutdown(socket.SHUT_WR)  # EOF without a close frame: the server hangs up
    while sock.recv(4096):  # (the socket's 5 s timeout guards the wait)
        pass
    sock.close()
    with connect(ws_url(target, "/ws/echo")) as ws:
        ws.send("still here")
        assert ws.recv(timeout=2) == "still here"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_protocol_error_closes_with_1002(target: DemoTarget) -> None:
    sock, _ = raw_handshake(target, "/ws/echo")
    sock.sendall(bytes([0x81, 0x02]) + b"hi")  # unmasked client frame: protocol error
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    assert data[0] == 0x88 and struct.unpack("!H", data[2:4])[0] == 1002
    sock.close()


def test_stop_says_going_away() -> None:
    with DemoTarget() as t, connect(ws_url(t, "/ws/echo")) as ws:
        t.stop()
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=2)
        assert ws.close_code == 1001


def test_upgrade_pipelined_behind_a_delayed_response(target: DemoTarget) -> None:
    with socket.create_connection(("127.0.0.1", target.port), timeout=5) as sock:
        sock.sendall(
            b"GET /api/delay?ms=50 HTTP/1.1\r\nHost: t\r\n\r\n"
            + upgrade("/ws/echo")
            + masked_frame(0x2, b"after")
        )
        data = recv_until(sock, b"after")
    first, _, rest = data.partition(b'{"status":"ok","delayed":true}')
    assert first.startswith(b"HTTP/1.1 200 ")
    assert rest.startswith(b"HTTP/1.1 101 ")
