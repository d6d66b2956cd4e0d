"""The session writer: secrets stay out, gzip sessions stay readable at every tick, and
what is written reads back as the very Snapshots the run produced."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from support.clocks import recorder

from loadtui.metrics.snapshot import LoadState, PoolGauges, Snapshot, SystemGauges
from loadtui.scenario import bundled
from loadtui.scenario.model import (
    HttpTask,
    Profile,
    Scenario,
    Stage,
    Target,
    Threshold,
    UserClass,
    WebSocketSpec,
)
from loadtui.session.reader import read_session
from loadtui.session.redact import Redaction
from loadtui.session.writer import SessionWriter

SECRETS = (
    "s3cr3t-bearer",
    "cookie-crumb",
    "tenant-9f2",
    "qtoken-77",
    "apikey-in-path",
    "hunter2",
    "url-password",
    "ws-bearer",
    "tenant-id-5",
    "buyer-bob",
)


def secret_scenario() -> tuple[Scenario, Target, Profile]:
    target = Target(
        "prod",
        "https://alice:url-password@api.example.test/v1?page=2",
        headers=(
            ("Authorization", "Bearer s3cr3t-bearer"),
            ("X-Tenant-Token", "tenant-9f2"),
            ("X-Tenant", "tenant-id-5"),
        ),
    )
    task = HttpTask(
        "search",
        path="/search?q=shoes&Api_Key=apikey-in-path",
        query=(("token", "qtoken-77"), ("page", "1")),
        headers=(("cookie", "cookie-crumb"), ("Accept", "application/json")),
    )
    ws = WebSocketSpec("feed", path="/ws", headers=(("AUTHORIZATION", "ws-bearer"),))
    users = UserClass(
        "buyer",
        tasks=(task,),
        variables=(("password", "hunter2"), ("user", "buyer-bob")),
        websocket=ws,
    )
    profile = Profile("p", stages=(Stage(10.0, users=2, spawn_rate=2),))
    scen = Scenario(
        "shop",
        targets=(target,),
        users=(users,),
        profiles=(profile,),
        thresholds=(Threshold("p95", "<", 100.0),),
    )
    return scen, target, profile


def test_configured_secrets_are_hidden_wherever_they_appear(tmp_path: Path) -> None:
    scen, target, profile = secret_scenario()
    path = tmp_path / "s.json"
    w = SessionWriter(
        path,
        scen,
        target,
        profile,
        redact_headers=("x-TENANT",),
        redact_variables=("User",),
    )
    w.close()
    text = path.read_text()
    for secret in SECRETS:
        assert secret not in text, secret
    header = json.loads(text.splitlines()[0])
    tgt = header["target"]
    assert tgt["headers"] == {"Authorization": "***", "X-Tenant-Token": "***", "X-Tenant": "***"}
    assert tgt["url"] == "https://alice:***@api.example.test/v1?page=2"
    user = header["scenario"]["users"][0]
    task = user["tasks"][0]
    assert task["query"] == {"token": "***", "page": "1"}
    assert task["headers"] == {"cookie": "***", "Accept": "application/json"}
    assert task["path"] == "/search?q=shoes&Api_Key=***"
    assert user["variables"] == {"password": "***", "user": "***"}
    assert user["websocket"]["headers"] == {"AUTHORIZATION": "***"}
    assert header["scenario"]["targets"][0] == tgt  # the same target, hidden the same way


def test_without_extra_names_credential_like_names_go_and_the_rest_stays(
    tmp_path: Path,
) -> None:
    """Credential-like names (the import's rule: token, password, api_key, ...) are
    secrets wherever they name a value, as in bodies; other names only if configured."""
    scen, target, profile = secret_scenario()
    path = tmp_path / "s.json"
    SessionWriter(path, scen, target, profile).close()
    text = path.read_text()
    hidden = ("s3cr3t-bearer", "cookie-crumb", "ws-bearer", "url-password", "tenant-9f2")
    for secret in (*hidden, "qtoken-77", "hunter2", "apikey-in-path"):
        assert secret not in text, secret
    for kept in ("tenant-id-5", "buyer-bob", "shoes", "application/json"):
        assert kept in text, kept  # not credential-like, not configured


def test_url_redaction_keeps_everything_else_byte_for_byte() -> None:
    r = Redaction.extra(query=["sig"])
    assert r.url("/a?x=1&sig=abc&SIG=def&y#frag") == "/a?x=1&sig=***&SIG=***&y#frag"
    assert r.url("/p/{id}?sig={token}") == "/p/{id}?sig=***"
    assert r.url("ws://u@h:1/x?s%69g=1") == "ws://***@h:1/x?s%69g=***"  # a lone user: a token
    assert r.url("http://h/?") == "http://h/?"
    assert Redaction().url("/a?sig=abc") == "/a?sig=abc"


def run_snapshots(n: int) -> list[Snapshot]:
    """Real Recorder snapshots with endpoints, a stream, events and failures."""
    rec, clock = recorder(now=50.0, epoch=1_760_000_000.123)
    a, b = rec.endpoint("GET /a", "GET"), rec.endpoint("post b", "POST")
    ws = rec.stream("feed")
    snaps = []
    for i in range(n):
        for k in range(20):
            a.success(1_000 + 397 * k * (i + 1), 200, bytes_in=120, bytes_out=40)
        b.failure("HTTP 503", 8_123, status=503)
        b.failure("refused")
        b.failure("unfinished", 5_000_000 + i)
        b.rate_limited(429, 1.5)
        if i == 2:
            a.success(2 * 3600 * 1_000_000, 200)  # beyond the histograms' hour: clamped
        ws.connect_started()
        ws.connected(2_345 + i)
        ws.sent(10)
        ws.received(12)
        ws.rtt(1_500 + 10 * i)
        ws.closed(1006, True)
        if i == 1:
            rec.add_event("operator", "users set to 7", action="set_users", args=[7])
            rec.add_event("stage", "stage 2/2", stage=1)
        clock.now += 0.25 + i / 1000
        snaps.append(
            rec.tick(
                load=LoadState(state="running", users=i, rate=0.1 * i),
                pool=PoolGauges(open=3, connect_ms_mean=0.1 / 3),
                system=SystemGauges(cpu_percent=100 / 3, rss_bytes=123_456_789),
                warnings=("generator saturated",) if i == 2 else (),
            )
        )
    return snaps


@pytest.mark.parametrize("name", ["run.json", "run.json.gz"])
def test_snapshots_read_back_exactly(tmp_path: Path, name: str) -> None:
    scen, target, profile = secret_scenario()
    snaps = run_snapshots(4)
    w = SessionWriter(tmp_path / name, scen, target, profile)
    for snap in snaps:
        w.on_snapshot(snap)
    w.close({"report": {"passed": True}})
    s = read_session(tmp_path / name)
    assert s.ticks == tuple(snaps)  # every figure, histogram and event, bit for bit
    last = s.ticks[-1].endpoint("post b")
    assert last is not None and (last.checks, last.checks_failed, last.rate_limited) == (4, 4, 4)
    assert s.ticks[-1].total.clamped == 1 and last.errors["unfinished"] == 4
    assert [e.data for e in s.events] == [{"action": "set_users", "args": [7]}, {"stage": 1}, {}]
    assert s.events[-1].message == "latencies beyond 1h on GET /a are counted as 1h"
    assert s.summary == {"type": "summary", "report": {"passed": True}}
    assert not s.truncated
    assert w.compressed is False  # closed
    if name.endswith(".gz"):
        assert gzip.decompress((tmp_path / name).read_bytes()).count(b'"type":"tick"') == 4


def test_gzip_file_is_readable_after_every_tick_before_close(tmp_path: Path) -> None:
    scen, target, profile = secret_scenario()
    path = tmp_path / "live.json.gz"
    w = SessionWriter(path, scen, target, profile)
    assert w.compressed
    assert read_session(path).header["scenario"]["name"] == "shop"  # header synced at once
    for i, snap in enumerate(run_snapshots(3), start=1):
        w.on_snapshot(snap)
        raw = zlib.decompressobj(wbits=31).decompress(path.read_bytes())  # no trailer yet
        assert raw.endswith(b"\n") and raw.count(b'"type":"tick"') == i
        assert len(read_session(path).ticks) == i
    w.close()
    w.close()  # twice: a no-op
    w.on_snapshot(run_snapshots(1)[0])  # after close: ignored, the file stays whole
    assert gzip.decompress(path.read_bytes()).count(b'"type":"tick"') == 3


def test_sigkilled_gzip_writer_leaves_every_tick(tmp_path: Path) -> None:
    path = tmp_path / "killed.json.gz"
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path[:0] = [{str(Path(__file__).parent)!r}, {str(Path(__file__).parents[1])!r}]
        from test_writer import run_snapshots, secret_scenario
        from loadtui.session.writer import SessionWriter
        w = SessionWriter({str(path)!r}, *secret_scenario())
        for snap in run_snapshots(5):
            w.on_snapshot(snap)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], timeout=60, capture_output=True)
    assert proc.returncode == -9, proc.stderr
    with pytest.raises(EOFError):
        gzip.decompress(path.read_bytes())  # no end-of-stream: it was killed
    s = read_session(path)
    assert [t.seq for t in s.ticks] == [0, 1, 2, 3, 4] and s.summary is None
    assert s.ticks == tuple(run_snapshots(5))


def test_unwritable_path_raises_at_once(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    scen, target, profile = secret_scenario()
    with pytest.raises(OSError):
        SessionWriter(blocker / "s.json", scen, target, profile)


def test_bench_prints_both_figures(tmp_path: Path) -> None:
    bench = Path(__file__).resolve().parents[2] / "bench" / "session_size.py"
    proc = subprocess.run(
        [sys.executable, str(bench), "--soak-ticks", "30", "--fast-ticks", "2", "--no-save"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(":")[0].strip() for line in lines] == ["json", "gzip"]
    for line in lines:
        assert "extrapolated x1440 to 12 h" in line and "KB/tick average over 2 ticks" in line


def shape(value: object) -> object:
    """Tables' keys and lists' lengths, all the way down; any other value is a leaf."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return None


def test_bundled_scenarios_keep_the_codec_shape() -> None:
    """Redaction changes values, never the header's shape (readers rely on it); a
    bundled scenario's login password is such a value."""
    from loadtui.scenario.loader import load_scenario
    from loadtui.session.codec import jsonable

    folder = bundled.directory()
    paths = sorted(folder.glob("*.toml"))
    assert paths
    changed = []
    for p in paths:
        scen = load_scenario(p)
        hidden, plain = Redaction().jsonable(scen), jsonable(scen)
        assert shape(hidden) == shape(plain), p.name
        changed += [p.name] if hidden != plain else []
    assert "demo.toml" in changed  # its login's password
