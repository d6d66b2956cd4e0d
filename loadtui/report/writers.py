"""Report files: JSON (for scripts), Markdown (for PR comments), JUnit XML (for CI).

Every writer takes the report of `build.build_report`; the path "-" means stdout. Files
are written to a temporary name and renamed, so a CI step never reads half a report.
The JSON text is `schema.to_json`'s; the CSV writer lives in `csv_report` (it follows
the run tick by tick); `outputs.write_reports` writes every file a command asked for.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from loadtui.report import fmt
from loadtui.report.csv_report import CsvWriter
from loadtui.report.markdown import render_markdown
from loadtui.report.schema import Report, ThresholdEntry
from loadtui.report.schema import to_json as render_json
from loadtui.report.thresholds import format_limit

__all__ = [
    "CsvWriter",
    "cannot_write",
    "render_json",
    "render_junit",
    "render_markdown",
    "write_json",
    "write_junit",
    "write_markdown",
    "write_text",
]


def cannot_write(path: object, exc: OSError) -> str:
    """The one line that says an output was not written: the file and the OS's reason."""
    return f"cannot write {path}: {exc.strerror or exc}"


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` atomically (temp file + rename); "-" writes to stdout. A path that
    exists and is not a regular file (a pipe, /dev/stdout, a device) is written straight
    into: renaming over it would replace the device itself. OSError when it fails."""
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    if target.exists() and not target.is_file() and not target.is_dir():
        with open(target, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is for sharing
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(report: Report, path: str | os.PathLike[str]) -> None:
    write_text(path, render_json(report))


def write_markdown(report: Report, path: str | os.PathLike[str]) -> None:
    write_text(path, render_markdown(report))


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: object) -> str:
    """Text XML 1.0 can hold: ElementTree escapes <, & and quotes, not control chars."""
    return _XML_BAD.sub("?", str(text))


def render_junit(report: Report) -> str:
    """One testsuite, one testcase per threshold; a failed threshold has a <failure>."""
    thresholds = report["thresholds"]
    unserved = report["unserved"]
    failures = sum(1 for t in thresholds if not t["ok"]) + (1 if unserved else 0)
    name = _x(f"loadtui {report['scenario'] or 'run'}".strip())
    duration = f"{report['duration_s']:.3f}"
    tests = len(thresholds) + (1 if unserved else 0)
    attrs = {"name": name, "tests": str(tests), "failures": str(failures)}
    suites = ET.Element("testsuites", {**attrs, "errors": "0", "time": duration})
    suite = ET.SubElement(
        suites,
        "testsuite",
        {**attrs, "errors": "0", "skipped": "0", "time": duration},
    )
    if report["started"]:
        suite.set("timestamp", _x(report["started"]))
    figures = (
        ("requests", report["requests"]),
        ("failures", report["failures"]),
        ("rps", report["rps"]),
    )
    shown = [(k, v) for k, v in (*fmt.names(report), *figures) if v != ""]
    if shown:
        props = ET.SubElement(suite, "properties")
        for key, value in shown:
            ET.SubElement(props, "property", {"name": key, "value": _x(value)})
    for t in thresholds:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": _junit_class(t), "name": _x(t["name"]), "time": "0"},
        )
        if not t["ok"]:
            observed = fmt.observed(t["metric"], t["observed"])
            if t["observed"] is None and t["reason"]:
                observed = f"{observed} ({t['reason']})"
            limit = f"{t['op']} {format_limit(t['metric'], t['limit'])}".strip()
            message = f"observed {observed}, limit {limit}"
            failure = ET.SubElement(case, "failure", {"message": _x(message), "type": "threshold"})
            failure.text = _x(f"{t['name']}: {message}")
    if unserved:  # the target served nothing: a failure whatever the thresholds
        case = ET.SubElement(
            suite, "testcase", {"classname": "loadtui.run", "name": "target served", "time": "0"}
        )
        failure = ET.SubElement(case, "failure", {"message": _x(unserved), "type": "unserved"})
        failure.text = _x(unserved)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _junit_class(t: ThresholdEntry) -> str:
    """loadtui.thresholds for the run's and endpoints' thresholds, then
    loadtui.thresholds.websocket and loadtui.thresholds.target: CI groups them."""
    scope = t["scope"]
    return "loadtui.thresholds" if scope == "run" else _x(f"loadtui.thresholds.{scope}")


def write_junit(report: Report, path: str | os.PathLike[str]) -> None:
    write_text(path, render_junit(report))
