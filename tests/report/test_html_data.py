"""The HTML report's data, without a browser: histograms read straight from their encoding
equal hdrh's decoding; blocks of any size hold exactly the ticks' figures; the page
carries everything inline, escaped, under a policy that forbids any request."""

from __future__ import annotations

import base64
import json
import re
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import given
from hypothesis import strategies as st
from support.clocks import recorder

from loadtui.metrics.histogram import decode, encode, merge, new_histogram, record
from loadtui.metrics.snapshot import LoadState, SystemGauges
from loadtui.report.from_session import report_from_session
from loadtui.report.html import run_page
from loadtui.report.html.blocks import COLUMNS, STREAM_COUNTS, merge_sparse, sparse
from loadtui.report.html.levels import pack_ticks
from loadtui.report.html.page import json_for_script
from loadtui.report.outputs import Outputs, write_reports
from loadtui.scenario.model import Profile, Scenario, Stage, Target, Threshold
from loadtui.session.reader import Session, read_session
from loadtui.session.writer import SessionWriter

latencies = st.lists(
    st.one_of(st.integers(0, 5_000_000), st.integers(3_000_000_000, 4_000_000_000)), max_size=300
)


def _slow_sparse(h: HdrHistogram) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Non-empty buckets the plain way: every counter of a decoded histogram."""
    pairs = [(i, h.counts[i]) for i in range(h.counts_len) if h.counts[i]]
    return tuple(i for i, _ in pairs), tuple(c for _, c in pairs)


@given(latencies)
def test_buckets_read_from_the_encoding_are_hdrhs(values: list[int]) -> None:
    h = new_histogram()
    for v in values:
        record(h, v)
    assert sparse(encode(h)) == _slow_sparse(decode(encode(h)))


@given(st.lists(st.integers(1, 59_000_000), max_size=100))
def test_an_older_60_s_layout_lands_at_the_same_buckets(values: list[int]) -> None:
    old = HdrHistogram(1, 60_000_000, 3)
    for v in values:
        old.record_value(v)
    assert sparse(old.encode()) == _slow_sparse(merge([old]))


def test_a_foreign_layout_is_rebinned_and_garbage_refused() -> None:
    ms = HdrHistogram(1000, 3_600_000_000, 2)  # another unit and precision
    for v in (1500, 250_000, 9_000_000):
        ms.record_value(v)
    assert sparse(ms.encode()) == _slow_sparse(merge([ms]))
    with pytest.raises(ValueError, match="not an encoded HdrHistogram"):
        sparse(b"HISTFAAAAAAA")


@given(latencies, latencies)
def test_sparse_merges_add_bucket_by_bucket(a: list[int], b: list[int]) -> None:
    ha, hb = new_histogram(), new_histogram()
    for v in a:
        record(ha, v)
    for v in b:
        record(hb, v)
    assert merge_sparse(sparse(encode(ha)), sparse(encode(hb))) == sparse(encode(merge([ha, hb])))


# --- a recorded session, and an independent reader of what the page embeds -------------


def session(tmp_path: Path, ticks: int = 23) -> Session:
    """Real Recorder snapshots through the real writer: two endpoints (one appears
    later), status codes and errors, a target watched for some ticks only."""
    rec, clock = recorder()
    a = rec.endpoint("a", "GET")
    target = Target("t", "http://127.0.0.1:8089")
    profile = Profile("p", stages=(Stage(30.0, users=3),))
    scen = Scenario("html", targets=(target,), thresholds=(Threshold("p95", "<", 5.0),))
    w = SessionWriter(tmp_path / "s.json", scen, target, profile)
    for i in range(ticks):
        for k in range(1 + i % 5):
            a.success(1_000 * (k + 1) + 37 * i, 200)
        if i % 4 == 0:
            a.failure("HTTP 503", 90_000, status=503)
        if i >= 7:
            b = rec.endpoint("b", "POST")
            b.success(20_000 + i, 201)
            b.failure("timeout")
        if i == 3:
            rec.add_event("operator", "users set to 3", action="set_users", args=[3])
        clock.now += 0.5
        watched = i % 3 != 0
        system = SystemGauges(
            cpu_percent=10.0 + i,
            rss_bytes=1_000_000 + 4096 * i,
            target_cpu_percent=50.0 if watched else None,
            target_rss_bytes=2_000_000 + i if watched else None,
        )
        w.on_snapshot(rec.tick(load=LoadState(state="running", users=3), system=system))
    w.close({"report": {}})
    return read_session(tmp_path / "s.json")


class Reader:
    """levels.py's format read back in Python (decode.js does the same in the page)."""

    def __init__(self, data: str) -> None:
        self.b = zlib.decompress(base64.b64decode(data))
        self.i = 0

    def uint(self) -> int:
        out = shift = 0
        while True:
            byte = self.b[self.i]
            self.i += 1
            out |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return out

    def column(self, n: int) -> list[int | None]:
        out: list[int | None] = []
        prev = 0
        for _ in range(n):
            c = self.uint()
            if c == 0:
                out.append(None)
                continue
            z = c - 1
            prev += -(z + 1) // 2 if z % 2 else z // 2
            out.append(prev)
        return out

    def pairs(self) -> dict[int, int]:
        return {self.uint(): self.uint() for _ in range(self.uint())}

    def hist(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        n, at, idx = self.uint(), 0, []
        for _ in range(n):
            at += self.uint()
            idx.append(at)
        return tuple(idx), tuple(self.uint() for _ in range(n))


def unpacked(data: str, endpoints: int) -> tuple[int, dict[str, list[int | None]], list[list]]:
    r = Reader(data)
    nb = r.uint()
    cols = {c.name: r.column(nb) for c in COLUMNS}
    rows = []
    for _ in range(endpoints):
        rows.append([(r.uint(), r.uint(), r.pairs(), r.pairs(), r.hist()) for _ in range(nb)])
    assert r.i == len(r.b)  # no stream: nothing after the endpoints
    return nb, cols, rows


@pytest.mark.parametrize("tighter", [0, 1, 10**9])
def test_blocks_hold_exactly_the_ticks_figures(tmp_path: Path, tighter: int) -> None:
    """Whatever block size the budget leads to, each block's counts and histogram are
    its ticks' summed, and together they are the whole run's."""
    s = session(tmp_path)
    fits = len(pack_ticks(s.ticks).data)  # one tick a block
    packed = pack_ticks(s.ticks, fits - tighter)
    assert (packed.k == 1) == (tighter == 0) and packed.endpoints == ["a", "b"]
    assert len(packed.data) <= fits - tighter or packed.blocks == 1  # else the coarsest
    nb, cols, rows = unpacked(packed.data, 2)
    k, n = packed.k, len(s.ticks)
    assert nb == packed.blocks == -(-n // k)
    assert cols["ticks"] == [min(k, n - b * k) for b in range(nb)]
    assert cols["t"] == [round(s.ticks[min(n, (b + 1) * k) - 1].t * 1000) for b in range(nb)]
    for b in range(nb):
        ticks = s.ticks[b * k : (b + 1) * k]
        for row, name in zip(rows, ("a", "b"), strict=True):
            req, fail, _status, _errors, hist = row[b]
            stats = [t.endpoint(name) for t in ticks]
            present = [e for e in stats if e is not None]
            assert req == sum(e.interval_requests for e in present)
            assert fail == sum(e.interval_failures for e in present)
            hists = [decode(e.histogram) for e in present if e.histogram]
            assert hist == (_slow_sparse(merge(hists)) if hists else ((), ()))
        cpu = [t.system.cpu_percent for t in ticks]
        assert cols["cpu"][b] == round(sum(cpu) / len(cpu) * 10)
        target = [t.system.target_rss_bytes for t in ticks if t.system.target_rss_bytes]
        assert cols["target_rss"][b] == (round(max(target) / 1024) if target else None)
    names = {v: k for k, v in enumerate(packed.keys["status"])}
    statuses = [sum(r[b][2].get(names["503"], 0) for b in range(nb)) for r in rows]
    assert statuses == [s.final.endpoint("a").status_codes[503], 0]
    assert packed.keys["errors"] == ["HTTP 503", "timeout"]
    assert list(STREAM_COUNTS)[:2] == ["opened", "failed"]


def test_the_page_is_self_contained_and_escapes_what_the_session_holds(tmp_path: Path) -> None:
    s = session(tmp_path, 6)
    report = report_from_session(s)
    report["scenario"] = evil = "</script><script>alert(1)</script> & <img src=x>"
    page = run_page(s, report)
    assert "<script>alert(1)" not in page and "<img" not in page
    meta_text = re.search(r'id="loadtui-meta">(.*?)</script>', page, re.S).group(1)
    assert json.loads(meta_text)["runs"][0]["report"]["scenario"] == evil
    assert json_for_script({"x": "</script>"}) == '{"x":"\\u003c/script\\u003e"}'

    class Refs(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.refs: list[str] = []
            self.scripts: list[dict[str, str | None]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.refs += [v or "" for k, v in attrs if k in ("src", "href", "srcset", "action")]
            if tag == "script":
                self.scripts.append(dict(attrs))

    refs = Refs()
    refs.feed(page)
    assert refs.refs == []  # nothing loaded from anywhere: no src, no href
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    executable = [a for a in refs.scripts if "type" not in a]
    assert len(executable) == csp.count("sha256-") - 2  # every script by hash; 2 styles
    assert "uPlot 1.6.32" in page and "Leon Sorokin" not in page  # named; licence shipped beside


def test_an_html_report_needs_the_session(tmp_path: Path) -> None:
    s = session(tmp_path, 3)
    report = report_from_session(s)
    out = tmp_path / "r.html"
    lost = write_reports(report, Outputs(html=out))
    assert lost == [f"cannot write {out}: an HTML report needs the session's ticks"]
    assert write_reports(report, Outputs(html=out), session=s) == [] and out.stat().st_size
    assert Outputs(html=out).files() == [("--report-html", out)]
