"""`loadtui run` against every mode of the misbehaving targets: what each fault costs.

    python bench/faults.py [--seconds 3] [--mode NAME ...]

For each mode of tests/support/faulty.py (HTTP) and, when present, faulty_ws.py
(WebSocket), a target plays the fault on loopback and `loadtui run` drives two users
at it for `--seconds` (or the mode's own minimum). Printed per run: the error kinds in
the JSON report, the generator's peak RSS (sampled every 20 ms with psutil, its child
processes included), the run's wall time and its exit code. A healthy run against the
embedded demo target comes first as the baseline. The endless-body modes run twice:
with a body check (the body is kept, so its cap applies) and without one (only counted).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # support.*
sys.path.insert(0, str(Path(__file__).resolve().parent))
from support.rss import RssWatch
from targets import demo_target

MiB = 1024 * 1024
UNKEPT_TOO = {"endless-chunked", "endless-length"}  # also run without a body check
GRACE = "0.3s"
HEALTHY = """
name = "healthy"
[targets.t]
url = "{url}"
[[users]]
name = "u"
wait = "none"
[[users.tasks]]
name = "get"
path = "/api/fast"
checks = { body_contains = "ok" }
"""


@dataclass
class Row:
    mode: str
    kinds: str
    peak_mib: float
    seconds: float
    exit_code: int


def fault_modules() -> list[ModuleType]:
    """The HTTP fault server and, once it exists, the WebSocket one."""
    found = [importlib.import_module("support.faulty")]
    with contextlib.suppress(ModuleNotFoundError):
        found.append(importlib.import_module("support.faulty_ws"))
    return found


def observed_kinds(report: dict[str, Any]) -> str:
    """HTTP error kinds, then WebSocket handshake failures, stream errors and abnormal
    close codes: every named fault the report counted."""
    counts: dict[str, int] = dict(report.get("errors") or {})
    ws = report.get("websocket") or {}
    for key in ("handshake_failures", "errors"):
        for kind, n in (ws.get(key) or {}).items():
            counts[f"ws {kind}"] = counts.get(f"ws {kind}", 0) + n
    for code, n in (ws.get("close_codes") or {}).items():
        if code not in ("1000", "1001"):
            counts[f"ws close {code}"] = n
    return ", ".join(f"{k} {n}" for k, n in counts.items()) or "none"


def run_once(label: str, text: str, seconds: float, folder: Path) -> Row:
    scen = folder / "scenario.toml"
    report = folder / "report.json"
    scen.write_text(text)
    report.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "loadtui", "run", str(scen), "-u", "2", "-r", "100"]
    cmd += ["-t", f"{seconds}s", "--grace", GRACE, "-q", "--report-json", str(report)]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with RssWatch(proc.pid) as rss:
        try:
            _, err = proc.communicate(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    took = time.monotonic() - t0
    kinds = "(no report)"
    if report.exists():
        kinds = observed_kinds(json.loads(report.read_text()))
    elif err.strip():
        kinds = "(no report) " + err.strip().splitlines()[-1][:100]
    return Row(label, kinds, rss.peak / MiB, took, proc.returncode)


def runs(seconds: float, only: set[str]) -> Iterator[Row]:
    with tempfile.TemporaryDirectory(prefix="loadtui-faults-") as tmp:
        folder = Path(tmp)
        if not only:
            with demo_target() as url:
                yield run_once("(healthy demo)", HEALTHY.replace("{url}", url), seconds, folder)
        for module in fault_modules():
            for name, spec in module.MODES.items():
                if only and name not in only:
                    continue
                variants = [("", {})]
                if name in UNKEPT_TOO:
                    variants.append((" (not kept)", {"keep_body": False}))
                for suffix, options in variants:
                    try:
                        with module.serve(name) as target:
                            text = module.scenario(name, target.url, **options)
                            length = max(seconds, spec.run_s)
                            yield run_once(name + suffix, text, length, folder)
                    except getattr(module, "ModeUnavailable", ()) as exc:
                        yield Row(name + suffix, f"(skipped: {exc})", 0.0, 0.0, -1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="run length per mode")
    parser.add_argument("--mode", action="append", default=[], help="only this mode")
    args = parser.parse_args()
    print(f"| mode | error kinds (count) | peak RSS MiB | run s (-t {args.seconds:g}s) | exit |")
    print("|---|---|---:|---:|---:|")
    for row in runs(args.seconds, set(args.mode)):
        print(
            f"| {row.mode} | {row.kinds} | {row.peak_mib:.0f} | {row.seconds:.1f} "
            f"| {row.exit_code} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
