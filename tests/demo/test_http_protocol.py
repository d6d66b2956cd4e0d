"""HTTP/1.1 behaviour of the demo target on raw sockets: keep-alive, pipelining, errors."""

from __future__ import annotations

import logging
import socket
import struct
import time
from dataclasses import dataclass, field

import pytest

from loadtui.demo import DemoTarget


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class Reader:
    """Reads responses one at a time from a socket, keeping leftovers for pipelined ones."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            self._fill()
        head, _, self.buf = self.buf.partition(marker)
        return head

    def _exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self, head_only: bool = False) -> RawResponse:
        lines = self._until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        resp = RawResponse(int(lines[0].split()[1]))
        for line in lines[1:]:
            name, _, value = line.partition(":")
            resp.headers[name.strip().lower()] = value.strip()
        if head_only or resp.status < 200:
            return resp
        if resp.headers.get("transfer-encoding") == "chunked":
            while (size := int(self._until(b"\r\n"), 16)) != 0:
                resp.body += self._exactly(size)
                self._exactly(2)
            self._exactly(2)
        else:
            resp.body = self._exactly(int(resp.headers.get("content-length", "0")))
        return resp

    def closed(self) -> bool:
        """True once the peer has closed (and nothing is left unread)."""
        if self.buf:
            return False
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True


def get(path: str, extra: str = "", version: str = "1.1") -> bytes:
    return f"GET {path} HTTP/{version}\r\nHost: test\r\n{extra}\r\n".encode()


def still_serving(target: DemoTarget) -> None:
    with socket.create_connection(("127.0.0.1", target.port), timeout=5) as s:
        s.sendall(get("/health"))
        assert Reader(s).response().status == 200


def test_keep_alive_serves_many_requests_on_one_connection(conn: socket.socket) -> None:
    reader = Reader(conn)
    for i in range(100):
        conn.sendall(get(f"/api/items/{i}"))
        resp = reader.response()
        assert resp.status == 200
        assert f'"id":{i},'.encode() in resp.body
    assert "connection" not in resp.headers


def test_pipelined_requests_are_answered_in_order(conn: socket.socket) -> None:
    conn.sendall(get("/api/items/1") + get("/api/items/2"))
    reader = Reader(conn)
    assert b'"id":1,' in reader.response().body
    assert b'"id":2,' in reader.response().body


def test_pipelined_delay_holds_back_later_responses(conn: socket.socket) -> None:
    t0 = time.perf_counter()  # before the send: the 120 ms run from the server's reading
    conn.sendall(get("/api/delay?ms=120") + get("/api/fast") + get("/api/items/3"))
    reader = Reader(conn)
    first = reader.response()
    assert first.body == b'{"status":"ok","delayed":true}'
    assert time.perf_counter() - t0 >= 0.1
    assert b'"endpoint":"fast"' in reader.response().body
    assert b'"id":3,' in reader.response().body


def test_many_pipelined_requests_in_one_write(conn: socket.socket) -> None:
    conn.sendall(b"".join(get(f"/api/items/{i}") for i in range(50)))
    reader = Reader(conn)
    for i in range(50):
        assert f'"id":{i},'.encode() in reader.response().body


def test_connection_close_closes(conn: socket.socket) -> None:
    conn.sendall(get("/health", "Connection: close\r\n") + get("/api/fast"))
    reader = Reader(conn)
    resp = reader.response()
    assert resp.status == 200
    assert resp.headers["connection"] == "close"
    assert reader.closed()  # the pipelined request after it is not answered


def test_close_endpoint_closes_raw(conn: socket.socket) -> None:
    conn.sendall(get("/api/close"))
    reader = Reader(conn)
    assert reader.response().headers["connection"] == "close"
    assert reader.closed()


def test_http10(target: DemoTarget) -> None:
    with socket.create_connection(("127.0.0.1", target.port), timeout=5) as s:
        s.sendall(get("/health", version="1.0"))
        reader = Reader(s)
        assert reader.response().headers["connection"] == "close"
        assert reader.closed()
    with socket.create_connection(("127.0.0.1", target.port), timeout=5) as s:
        s.sendall(get("/health", "Connection: keep-alive\r\n", version="1.0"))
        reader = Reader(s)
        assert reader.response().headers["connection"] == "keep-alive"
        s.sendall(get("/api/fast", version="1.0"))
        assert reader.response().status == 200


def test_head_has_headers_but_no_body(conn: socket.socket) -> None:
    conn.sendall(b"HEAD /api/items HTTP/1.1\r\nHost: t\r\n\r\n" + get("/health"))
    reader = Reader(conn)
    head = reader.response(head_only=True)
    assert head.status == 200 and int(head.headers["content-length"]) > 1000
    assert reader.response().body == b'{"status":"ok"}'


def test_chunked_request_body(conn: socket.socket) -> None:
    conn.sendall(
        b"POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    resp = Reader(conn).response()
    assert resp.status == 200 and resp.body == b"hello world"


def test_body_split_across_writes(conn: socket.socket) -> None:
    conn.sendall(b"POST /api/ec")
    time.sleep(0.02)
    conn.sendall(b"ho HTTP/1.1\r\nContent-Length: 6\r\n\r\nabc")
    time.sleep(0.02)
    conn.sendall(b"def")
    assert Reader(conn).response().body == b"abcdef"


def test_expect_continue(conn: socket.socket) -> None:
    conn.sendall(b"POST /api/echo HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
    reader = Reader(conn)
    assert reader.response().status == 100
    conn.sendall(b"abc")
    assert reader.response().body == b"abc"


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header Line\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST /api/echo HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        b"POST /api/echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello
    ],
)
def test_malformed_request_gets_400_and_server_keeps_serving(
    target: DemoTarget, conn: socket.socket, raw: bytes
) -> None:
    conn.sendall(raw)
    reader = Reader(conn)
    resp = reader.response()
    assert resp.status == 400
    assert resp.headers["connection"] == "close"
    assert reader.closed()
    still_serving(target)


def test_malformed_after_good_request_keeps_order(conn: socket.socket) -> None:
    conn.sendall(get("/api/delay?ms=50") + b"NOT HTTP AT ALL\r\n\r\n")
    reader = Reader(conn)
    assert reader.response().status == 200
    assert reader.response().status == 400
    assert reader.closed()


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (get("/" + "a" * 9000), 414),
        (get("/", "".join(f"X-H{i}: {'v' * 100}\r\n" for i in range(700))), 431),
        (b"POST /api/echo HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n", 413),
    ],
)
def test_limits(target: DemoTarget, conn: socket.socket, raw: bytes, status: int) -> None:
    conn.sendall(raw)
    assert Reader(conn).response().status == status
    still_serving(target)


def test_non_websocket_upgrade_answered_then_closed(conn: socket.socket) -> None:
    conn.sendall(get("/health", "Connection: Upgrade\r\nUpgrade: h2c\r\n"))
    reader = Reader(conn)
    resp = reader.response()
    assert resp.status == 200 and resp.headers["connection"] == "close"
    assert reader.closed()


def _reset(sock: socket.socket) -> None:
    """Close with RST, the way a crashed client vanishes."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_clients_vanishing_mid_response_do_not_hurt(
    target: DemoTarget, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for raw in (get("/api/delay?ms=100"), get("/api/big?kb=8192"), get("/api/delay?ms=1") * 20):
        s = socket.create_connection(("127.0.0.1", target.port), timeout=5)
        s.sendall(raw)
        _reset(s)
    half = socket.create_connection(("127.0.0.1", target.port), timeout=5)
    half.sendall(get("/api/delay?ms=50"))
    half.shutdown(socket.SHUT_WR)  # half-closed: still owed its response
    assert Reader(half).response().status == 200
    half.close()
    # Answered after every delay asked before it: their timers fired on dead connections.
    with socket.create_connection(("127.0.0.1", target.port), timeout=5) as later:
        later.sendall(get("/api/delay?ms=100"))
        assert Reader(later).response().status == 200
    still_serving(target)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
