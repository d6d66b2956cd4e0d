"""Every threshold table and metric: what reads, what is refused, and with which hint."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtui.scenario import ScenarioError, load_scenario_text
from loadtui.scenario.model import Threshold
from loadtui.scenario.threshold_metrics import (
    RUN_ONLY,
    SCOPE_METRICS,
    STATUS_CLASSES,
    metric_unit,
)
from loadtui.scenario.units import parse_threshold, resolve_threshold

HEAD = """name = "t"
[targets.local]
url = "http://127.0.0.1:8080"
[[users]]
name = "shopper"
[[users.tasks]]
name = "item"
path = "/item"
[[users]]
name = "chatter"
[users.websocket]
path = "/ws"
"""
MiB = 1 << 20


def load(thresholds: str, head: str = HEAD) -> tuple[Threshold, ...]:
    return load_scenario_text(head + thresholds, "t.toml", env={}).thresholds


def problems(thresholds: str, head: str = HEAD) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load(thresholds, head)
    return [p.format() for p in info.value.problems]


def test_every_table_reads_with_its_scope_and_label() -> None:
    ts = load(
        """[thresholds]
status_4xx = "== 0"
status_429 = "< 3"
rate_limited = "< 5%"
checks = "< 1%"
unfinished = "== 0"
dropped = "== 0"
late = "< 10"
generator_saturated = false
[thresholds.endpoints."item"]
status_503 = "== 0"
rate_limited = "< 10"
[thresholds.websocket]
success_rate = "> 95%"
"handshake_p99.9" = "< 1s"
disconnects = "< 5"
[thresholds.websocket.streams."chatter"]
rtt_p95 = "< 50ms"
first_message_p50 = "< 2s"
gap_max = "<= 1500ms"
messages_received = "> 100"
reconnects = "== 0"
[thresholds.target]
rss_growth = "< 50MiB"
rss_max = "< 2GiB"
cpu_mean = "< 80%"
cpu_max = "<= 250%"
"""
    )
    got = {t.label: (t.metric, t.op, t.value) for t in ts}
    assert got == {
        "status_4xx == 0": ("status_4xx", "==", 0),
        "status_429 < 3": ("status_429", "<", 3),
        "rate_limited < 5%": ("rate_limited", "<", 0.05),
        "checks < 1%": ("checks", "<", 0.01),
        "unfinished == 0": ("unfinished", "==", 0),
        "dropped == 0": ("dropped", "==", 0),
        "late < 10": ("late", "<", 10),
        "generator_saturated == false": ("generator_saturated", "==", 0),
        "item: status_503 == 0": ("status_503", "==", 0),
        # without "%" rate_limited is a count, stored under a name that says so
        "item: rate_limited < 10": ("rate_limited_count", "<", 10),
        "websocket: success_rate > 95%": ("success_rate", ">", 0.95),
        "websocket: handshake_p99.9 < 1s": ("handshake_p99.9", "<", 1000),
        "websocket: disconnects < 5": ("disconnects", "<", 5),
        "websocket chatter: rtt_p95 < 50ms": ("rtt_p95", "<", 50),
        "websocket chatter: first_message_p50 < 2s": ("first_message_p50", "<", 2000),
        "websocket chatter: gap_max <= 1500ms": ("gap_max", "<=", 1500),
        "websocket chatter: messages_received > 100": ("messages_received", ">", 100),
        "websocket chatter: reconnects == 0": ("reconnects", "==", 0),
        "target: rss_growth < 50MiB": ("rss_growth", "<", 50 * MiB),
        "target: rss_max < 2GiB": ("rss_max", "<", 2 << 30),
        "target: cpu_mean < 80%": ("cpu_mean", "<", 80),
        "target: cpu_max <= 250%": ("cpu_max", "<=", 250),
    }
    scopes = {(t.scope, t.endpoint, t.stream) for t in ts}
    assert scopes == {
        ("run", None, None),
        ("run", "item", None),
        ("websocket", None, None),
        ("websocket", None, "chatter"),
        ("target", None, None),
    }


def test_existing_thresholds_keep_their_defaults() -> None:
    (t,) = load('[thresholds]\np99 = "< 500ms"\n')
    assert t == Threshold("p99", "<", 500.0, None, "< 500ms")
    assert (t.scope, t.stream, t.label) == ("run", None, "p99 < 500ms")


@pytest.mark.parametrize(
    ("thresholds", "expected"),
    [
        (
            '[thresholds]\nrate_limted = "< 5%"\n',
            "t.toml:14: thresholds.rate_limted: unknown threshold metric. "
            'Did you mean "rate_limited"?',
        ),
        (
            '[thresholds]\nrtt_p95 = "< 5ms"\n',
            "thresholds.rtt_p95: unknown threshold metric. "
            "rtt_p95 belongs in [thresholds.websocket]",
        ),
        (
            '[thresholds.websocket]\nrss_max = "< 1GiB"\n',
            "thresholds.websocket.rss_max: unknown threshold metric. "
            "rss_max belongs in [thresholds.target]",
        ),
        (
            '[thresholds.target]\np95 = "< 1s"\n',
            "thresholds.target.p95: unknown threshold metric. p95 belongs in [thresholds]",
        ),
        (
            '[thresholds.websocket]\nsucess_rate = "> 90%"\n',
            'unknown threshold metric. Did you mean "success_rate"?',
        ),
        (
            '[thresholds.target]\nrss_grow = "< 1MiB"\n',
            'thresholds.target.rss_grow: unknown threshold metric. Did you mean "rss_growth"?',
        ),
        (
            '[thresholds.endpoints."item"]\ndropped = "== 0"\n',
            "thresholds.endpoints.item.dropped: dropped is a figure of the whole run, not of one "
            "endpoint. Move it to [thresholds]",
        ),
        (
            '[thresholds.endpoints."item"]\ngenerator_saturated = false\n',
            "generator_saturated is a figure of the whole run",
        ),
        (
            '[thresholds.websocket.streams."chater"]\nrtt_p95 = "< 5ms"\n',
            "thresholds.websocket.streams.chater: no stream is named 'chater'. "
            'Did you mean "chatter"?',
        ),
        (
            '[thresholds.websocket.streams."zzz"]\nrtt_p95 = "< 5ms"\n',
            "no stream is named 'zzz'. Streams: chatter",
        ),
        ("[thresholds]\ngenerator_saturated = true\n", "would fail every healthy run"),
        ('[thresholds]\ngenerator_saturated = "false"\n', "without quotes"),
        ('[thresholds.target]\ncpu_mean = "< 80"\n', "percent of one CPU core"),
        ('[thresholds.target]\nrss_growth = "< 50 megs"\n', "cannot read '50 megs'"),
        ('[thresholds.target]\nrss_max = "< 0.5B"\n', "not a whole number of bytes"),
        ('[thresholds.websocket]\nsuccess_rate = "> 95"\n', "above 100 %"),
        ('[thresholds]\nrate_limited = "< 5.5"\n', '"< 10" (a count)'),
        ('[thresholds]\nchecks = "< 1ms"\n', "cannot read '1ms'"),
        ('[thresholds]\nstatus_600 = "== 0"\n', "unknown threshold metric"),
        ('[thresholds]\nstatus_42 = "== 0"\n', "unknown threshold metric"),
        ("[thresholds]\nwebsocket = 3\n", "thresholds.websocket: expected a table of thresholds"),
        ("[thresholds]\ntarget = []\n", "thresholds.target: expected a table of thresholds"),
        (
            "[thresholds.websocket]\nstreams = 1\n",
            "thresholds.websocket.streams: expected a table of streams",
        ),
        (
            '[thresholds.websocket]\n"rtt_p99".9 = "< 1s"\n',
            'For rtt_p99.9 quote the key: "rtt_p99.9" = "< 1s"',
        ),
    ],
)
def test_problems_name_place_and_hint(thresholds: str, expected: str) -> None:
    found = problems(thresholds)
    assert any(expected in p for p in found), found


def test_every_problem_at_once() -> None:
    found = problems(
        """[thresholds]
p95 = "< fast"
[thresholds.endpoints."itm"]
p99 = "< 1s"
[thresholds.websocket]
success_rate = "95%"
[thresholds.websocket.streams."chatter"]
rtt_p95 = 5
[thresholds.target]
cpu_max = "< 1GiB"
"""
    )
    assert [p.split(": ")[0:2] for p in found] == [
        ["t.toml:14", "thresholds.p95"],
        ["t.toml:15", "thresholds.endpoints.itm"],
        ["t.toml:18", "thresholds.websocket.success_rate"],
        ["t.toml:20", "thresholds.websocket.streams.chatter.rtt_p95"],
        ["t.toml:22", "thresholds.target.cpu_max"],
    ]


def test_websocket_thresholds_need_a_stream() -> None:
    http_only = HEAD[: HEAD.index('[[users]]\nname = "chatter"')]
    found = problems('[thresholds.websocket]\nsuccess_rate = "> 95%"\n', http_only)
    assert found == [
        "t.toml:9: thresholds.websocket: no user class has a [users.websocket]: these "
        "thresholds could never pass. Add [users.websocket] to a user class, or remove "
        "[thresholds.websocket]"
    ]


@pytest.mark.parametrize(
    ("metric", "text", "expected"),
    [
        ("status_429", "== 0", ("status_429", "==", 0.0)),
        ("status_1xx", "< 1", ("status_1xx", "<", 1.0)),
        ("rate_limited", "< 5%", ("rate_limited", "<", 0.05)),
        ("rate_limited", "<= 12", ("rate_limited_count", "<=", 12.0)),
        ("checks", "< 0.01", ("checks", "<", 0.01)),
        ("success_rate", ">= 99.5%", ("success_rate", ">=", 0.995)),
        ("gap_p99", "< 1.5s", ("gap_p99", "<", 1500.0)),
        ("rss_growth", "< 50MiB", ("rss_growth", "<", 50.0 * MiB)),
        ("rss_growth", "< 1048576", ("rss_growth", "<", float(MiB))),
        ("rss_max", "< 2 GB", ("rss_max", "<", 2e9)),
        ("cpu_max", "< 150.5%", ("cpu_max", "<", 150.5)),
        ("generator_saturated", False, ("generator_saturated", "==", 0.0)),
    ],
)
def test_values(metric: str, text: object, expected: tuple[str, str, float]) -> None:
    assert resolve_threshold(metric, text) == expected
    assert parse_threshold(metric, text) == expected[1:]


ALL_METRICS = sorted({m for ms in SCOPE_METRICS.values() for m in ms} | {"status_404"})
OPS = ("<", "<=", ">", ">=", "==")
FAST = settings(max_examples=200, deadline=None)


@FAST
@given(st.sampled_from(ALL_METRICS), st.one_of(st.text(max_size=30), st.integers(), st.floats()))
def test_any_value_reads_or_raises_value_error(metric: str, value: object) -> None:
    try:
        parse_threshold(metric, value)
    except ValueError as exc:
        assert str(exc)


@FAST
@given(
    st.sampled_from([m for m in ALL_METRICS if metric_unit(m) not in ("bool",)]),
    st.sampled_from(OPS),
    st.integers(0, 10**6),
)
def test_limits_read_back_from_their_own_text(metric: str, op: str, n: int) -> None:
    """What a report prints as a limit is what the scenario would have said."""
    from loadtui.report.thresholds import format_limit

    unit = metric_unit(metric)
    value = (n % 10_001) / 10**4 if unit == "fraction" else float(n)  # a share is <= 100 %
    text = f"{op} {format_limit(metric, value)}"
    if metric == "rate_limited":
        metric_read, op_read, limit = resolve_threshold(metric, text)
        assert metric_read == "rate_limited"
    else:
        op_read, limit = parse_threshold(metric, text)
    assert op_read == op
    assert limit == pytest.approx(value, rel=1e-12, abs=1e-15)


def test_catalog_is_consistent() -> None:
    assert set(RUN_ONLY) <= set(SCOPE_METRICS["run"])
    assert set(STATUS_CLASSES) <= set(SCOPE_METRICS["run"])
    for metrics in SCOPE_METRICS.values():
        for metric in metrics:
            assert metric_unit(metric) is not None, metric
