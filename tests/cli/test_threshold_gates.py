"""The gates of issue 9 end to end: `loadtui run` against loopback servers that throttle
or refuse, failing (exit 1) on the figures a team gates on, with the observed values in
the report."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli.test_cli import loadtui, no_traceback, write

THROTTLED = """
name = "throttled"
[targets.local]
url = "{url}"
[[users]]
name = "u"
wait = "constant(0.01s)"
[[users.tasks]]
name = "limited"
path = "/api/limited"
query = {{ rate = "0.25" }}   # a bucket of its own: 1 token, then one every 4 s
[profiles.flat]
stages = [{{ duration = "2s", users = 4, spawn_rate = 1000 }}]
[thresholds]
rate_limited = "< 5%"
[thresholds.endpoints."limited"]
status_429 = "== 0"
"""

REFUSING = """
name = "refused"
[targets.local]
url = "{url}"
[[users]]
name = "chatter"
wait = "constant(0.05s)"
[[users.tasks]]
name = "page"
path = "/"
[users.websocket]
path = "/ws"
[profiles.flat]
stages = [{{ duration = "2s", users = 3, spawn_rate = 1000 }}]
[thresholds.websocket]
success_rate = "> 95%"
[thresholds.websocket.streams."chatter"]
success_rate = "> 95%"
"""


def entry(report: dict, name: str) -> dict:
    return next(t for t in report["thresholds"] if t["name"] == name)


def test_throttled_run_fails_rate_limited(demo_url: str, tmp_path: Path) -> None:
    scen = write(tmp_path, THROTTLED.format(url=demo_url))
    proc = loadtui("run", str(scen), "--report-json", "r.json", "--junit", "j.xml", cwd=tmp_path)
    no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    limited = report["rate_limited"]["responses"]
    responses = sum(report["status_codes"].values())
    assert limited > responses / 2  # the bucket refused most of them

    share = entry(report, "rate_limited < 5%")
    assert share["ok"] is False and share["unit"] == "fraction"
    assert share["observed"] == pytest.approx(limited / responses, abs=1e-6)
    count = entry(report, "limited: status_429 == 0")
    assert count["ok"] is False and count["observed"] == report["status_codes"]["429"]
    assert "FAIL  rate_limited < 5%  (observed " in proc.stdout
    assert 'name="rate_limited &lt; 5%"' in (tmp_path / "j.xml").read_text()


class _RefuseUpgrades(socketserver.StreamRequestHandler):
    """HTTP/1.1 keep-alive: 200 "ok" to every request, 503 to a WebSocket upgrade."""

    timeout = 10

    def handle(self) -> None:
        while True:
            head = []
            while (line := self.rfile.readline(65_537)) not in (b"\r\n", b"\n"):
                if not line:
                    return
                head.append(line.decode("latin-1").lower())
            if any(h.startswith("upgrade:") and "websocket" in h for h in head):
                self.wfile.write(
                    b"HTTP/1.1 503 Service Unavailable\r\n"
                    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                )
                return
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


@pytest.fixture
def refusing_url() -> Iterator[str]:
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RefuseUpgrades) as server:
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join(timeout=5)


def test_refused_handshakes_fail_success_rate(refusing_url: str, tmp_path: Path) -> None:
    scen = write(tmp_path, REFUSING.format(url=refusing_url))
    proc = loadtui("run", str(scen), "--report-json", "r.json", "--report-md", "r.md", cwd=tmp_path)
    no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    ws = report["websocket"]
    assert ws["sessions_opened"] == 0 and ws["sessions_failed"] >= 1
    assert report["status_codes"] == {"200": report["requests"]}  # plain HTTP was served
    for name in ("websocket: success_rate > 95%", "websocket chatter: success_rate > 95%"):
        result = entry(report, name)
        assert (result["ok"], result["observed"], result["scope"]) == (False, 0.0, "websocket")
    assert "| ❌ | websocket: success_rate > 95% | 0% | > 95% |" in (tmp_path / "r.md").read_text()
