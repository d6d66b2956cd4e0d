"""bench/suite.py's parts that can be wrong without any speed figure: reading each peer
tool's output (samples captured from the real tools), the steady-window cost, the
bounded process runner, alternating rounds, goal verdicts, the scenarios it writes
(loaded by loadtui's own loader) and one real loadtui run read back through the
report and CSV history. No timing assertions: only what was counted and parsed."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import peers  # noqa: E402
import suite  # noqa: E402
from loadtui_runs import http_row, run_loadtui, scenario  # noqa: E402
from measure import Overran, Row, RunFailed, Sample, Usage, run, steady  # noqa: E402
from modes_open import goals_truth  # noqa: E402
from rounds import Context, alternate  # noqa: E402

from loadtui.scenario.loader import load_scenario_text  # noqa: E402

WRK = """Running 1s test @ http://127.0.0.1:38023/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   542.12us    1.25ms  12.10ms   89.82%
    Req/Sec    49.76k    15.69k   71.19k    54.55%
  Latency Distribution
     50%   82.00us
     75%  156.00us
     90%    1.83ms
     99%    6.33ms
  54461 requests in 1.10s, 9.50MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  49520.17
Transfer/sec:      8.64MB
"""

AB = """Concurrency Level:      8
Time taken for tests:   1.001 seconds
Complete requests:      69660
Failed requests:        2
Keep-Alive requests:    69660
Requests per second:    69576.30 [#/sec] (mean)
"""
AB_E = "Percentage served,Time in ms\n0,0.017\n49,0.058\n50,0.058\n99,0.084\n100,5.375\n"

HEY = """Summary:
  Requests/sec:	992.6872

Latency distribution:
  10% in 0.0002 secs
  50% in 0.0004 secs
  99% in 0.0067 secs

Status code distribution:
  [200]	990 responses
  [503]	5 responses

Error distribution:
  [5]	Get "http://127.0.0.1:1/": dial tcp [::1]:1: connect: connection refused
"""

H2LOAD = """finished in 1.00s, 1000.00 req/s, 178.71KB/s
requests: 1000 total, 1000 started, 998 done, 990 succeeded, 8 failed, 0 errored, 0 timeout
"""


def test_wrk_output_is_read_with_its_units() -> None:
    row = peers.parse_wrk(WRK)
    assert row["rps"] == 49520.17 and row["requests"] == 54461 and row["failures"] == 3
    assert row["p50_ms"] == pytest.approx(0.082) and row["p99_ms"] == pytest.approx(6.33)
    assert peers.wrk_ms("2.01s") == pytest.approx(2010.0) and math.isnan(peers.wrk_ms("n/a"))


def test_a_thread_share_ending_in_50_or_99_percent_is_not_a_percentile() -> None:
    # As a 500 req/s run printed it: the stdev shares end in "50%" and "99%".
    out = WRK.replace("89.82%", "98.50%").replace("54.55%", "70.99%")
    row = peers.parse_wrk(out)
    assert row["p50_ms"] == pytest.approx(0.082) and row["p99_ms"] == pytest.approx(6.33)


def test_ab_percentiles_come_from_its_csv_below_one_ms() -> None:
    row = peers.parse_ab(AB, AB_E)
    assert row["rps"] == 69576.30 and row["requests"] == 69660 and row["failures"] == 2
    assert row["p50_ms"] == 0.058 and row["p99_ms"] == 0.084


def test_hey_counts_error_statuses_and_transport_errors() -> None:
    row = peers.parse_hey(HEY)
    assert row["requests"] == 1000 and row["failures"] == 10
    assert row["p50_ms"] == pytest.approx(0.4) and row["p99_ms"] == pytest.approx(6.7)


def test_h2load_percentiles_come_from_its_request_log() -> None:
    log = "".join(f"1796023377690522\t200\t{us}\n" for us in range(1000, 101_000, 1000))
    row = peers.parse_h2load(H2LOAD, log)
    assert row["rps"] == 1000.0 and row["requests"] == 998 and row["failures"] == 8
    assert row["p50_ms"] == 50.0 and row["p99_ms"] == 99.0


@pytest.mark.parametrize("tool", [peers.parse_wrk, peers.parse_hey])
def test_a_tool_that_printed_no_summary_is_a_failed_run(tool: Callable[[str], Row]) -> None:
    with pytest.raises(RunFailed, match="no summary"):
        tool("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_steady_cost_leaves_start_up_out() -> None:
    # 1 s of start-up at full CPU, then 1,000 req/s at 50 % CPU (40 % user, 10 % system).
    samples = []
    for i in range(51):
        t = i / 10
        busy = min(t, 1.0) + max(0.0, t - 1.0) * 0.5
        samples.append(Sample(100.0 + t, busy * 0.8, busy * 0.2, 0))
    usage = Usage(0, 5.0, samples[-1].user, samples[-1].system, "", "", samples)
    history = [{"wall": str(101.0 + k / 2), "Total Request Count": str(k * 500)} for k in range(9)]
    cost = steady(usage, history, skip_s=0.5)
    assert cost is not None
    assert cost["per_s"] == pytest.approx(1000.0)
    assert cost["user_us"] == pytest.approx(400.0) and cost["system_us"] == pytest.approx(100.0)
    assert cost["per_cpu_s"] == pytest.approx(2000.0)
    # the whole run would have charged the start-up to the requests too
    assert usage.cpu_s / 4000 * 1e6 > cost["user_us"] + cost["system_us"]


def test_a_rate_column_is_summed_over_its_intervals() -> None:
    samples = [Sample(10.0 + i / 10, i / 100, 0.0, 0) for i in range(41)]
    usage = Usage(0, 4.0, 0.4, 0.0, "", "", samples)
    history = [{"wall": str(10.0 + k / 2), "Received/s": "200"} for k in range(9)]
    cost = steady(usage, history, skip_s=0.0, count="Received/s")
    assert cost is not None and cost["count"] == pytest.approx(200 * 3.5)


def test_run_measures_a_real_child_and_kills_one_that_overruns() -> None:
    usage = run([sys.executable, "-c", "print(sum(range(3_000_000)))"], 30.0)
    assert usage.code == 0 and usage.out.strip() == str(sum(range(3_000_000)))
    assert usage.user_s > 0
    with pytest.raises(Overran, match="still running after 1 s"):
        run([sys.executable, "-c", "import time; time.sleep(60)"], 1.0)


def test_rounds_alternate_and_a_failed_run_is_kept_out_of_the_medians(tmp_path: Path) -> None:
    calls: list[str] = []
    figures = iter([10.0, 30.0])

    def good() -> dict[str, float]:
        calls.append("a")
        return {"rps": next(figures)}

    def flaky() -> dict[str, float]:
        calls.append("b")
        if len(calls) < 3:
            raise RunFailed("b exited 1: refused")
        return {"rps": 5.0}

    ctx = Context(seconds=1, rounds=2, quick=True, tmp=tmp_path)
    sec = alternate("t", {"a": good, "b": flaky}, ctx)
    assert calls == ["a", "b", "b", "a"]
    assert sec["runs"]["b"][0]["error"] == "b exited 1: refused" and len(sec["runs"]["b"]) == 2
    assert sec["median"]["a"]["rps"] == 20.0 and sec["median"]["b"]["rps"] == 5.0
    assert len(sec["load"]) == 2


def _truth(*rounds: tuple[float, float, bool]) -> dict[str, object]:
    vs = [
        {"dp50_ms": a, "dp99_ms": b, "within": a <= 0.5 and b <= 3.0, "saturated": s}
        for a, b, s in rounds
    ]
    return {"levels": {"2000": {"vs_wrk": vs}}}


def test_truth_is_judged_on_every_round_and_misses_must_carry_the_warning() -> None:
    within, warned = goals_truth(_truth((0.2, 1.0, False), (0.4, 2.9, False)))
    assert within.met is True and warned.met is True
    within, warned = goals_truth(_truth((0.2, 1.0, False), (0.9, 1.0, True)))
    assert within.met is False and warned.met is True
    within, warned = goals_truth(_truth((0.2, 4.0, False)))
    assert within.met is False and warned.met is False


def test_an_unknown_mode_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        suite.parse_args(["--only", "closed,nope"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "unknown mode nope" in err and "choose from closed, open, truth, h2, ws, idle" in err
    args = suite.parse_args(["--quick", "--only", "h2,idle"])
    assert args.modes == ["h2", "idle"] and args.rounds == 1 and args.duration == 3


@pytest.mark.parametrize(
    "kwargs",
    [
        {"http2": True, "max_connections": 1},
        {"wait": "pacing(25ms)"},
        {"wait": "constant(1h)", "plateaus": ((2000, 3.6, 5000), (10000, 5.4, 5000))},
        {"ws_every": "100ms"},
    ],
)
def test_the_scenarios_it_writes_are_valid(kwargs: dict[str, object]) -> None:
    scen = load_scenario_text(scenario("t", "https://127.0.0.1:9", **kwargs))  # type: ignore[arg-type]
    assert scen.targets[0].max_connections == kwargs.get("max_connections", 10_000)
    assert scen.targets[0].http2 is kwargs.get("http2", False)
    if "plateaus" in kwargs:
        assert [s.users for s in scen.profiles[0].stages] == [2000, 10000]


def test_a_real_loadtui_run_reads_back_from_report_and_history(
    demo_url: str, tmp_path: Path
) -> None:
    text = scenario("smoke", demo_url, path="/api/fast", wait="pacing(50ms)")
    r = run_loadtui("smoke", text, ["-u", "2", "-r", "100", "-t", "2s"], 2.0, tmp_path)
    row = http_row(r, skip_s=0.5)
    assert row["requests"] > 0 and row["failures"] == 0
    assert r.history and all("wall" in h for h in r.history)
    assert int(float(r.history[-1]["Total Request Count"])) == row["requests"]
    assert {"p50_ms", "p99_ms", "user_us", "per_cpu_s", "whole_per_cpu_s"} <= row.keys()
