"""Every report of `loadtui run`, rebuilt from a recorded session, no load sent.

The live run builds its report from its final Snapshot, which is also the session's
last tick record; that record round-trips exactly through JSON (floats print as their
shortest repr), so the same `build_report` on the same thresholds gives the same figures,
and `started` (derived from the final tick's wall clock and elapsed time) too. Only what
the ticks cannot tell comes from elsewhere: scenario, target and profile names from the
header; saturation periods, and any other pass-through `info`, from the summary's report
(read by `schema.from_json`, so an older version's reads too; absent when the run was
killed: then no saturation periods). The target's processes are folded
from every tick's gauges through the same TargetWatch as live, named by the header's
`target_pids`.
"""

from __future__ import annotations

import os

from loadtui.metrics.target_process import TargetProcessSummary, TargetWatch
from loadtui.report.build import build_report
from loadtui.report.facts import RunFacts
from loadtui.report.schema import Report, facts_of, from_json
from loadtui.report.thresholds import evaluate
from loadtui.session.reader import Session, SessionError, tick_gauges
from loadtui.session.schema import Malformed

PathLike = str | os.PathLike[str]


def recorded_report(session: Session) -> Report | None:
    """The live run's report, as its summary line stored it (any version's: a missing
    key takes its empty value); None when the run was killed before writing it.
    SessionError names a field of the wrong type."""
    stored = (session.summary or {}).get("report")
    if stored is None:
        return None
    try:
        return from_json(stored, "summary.report")
    except Malformed as exc:
        raise SessionError(f"{session.path}: {exc}") from None


def session_info(session: Session) -> dict[str, object]:
    """The `info` the live run passed to `build_report`, as far as the log holds it:
    names from the header, saturation periods and pass-through facts from the summary."""
    hdr = session.header
    recorded = recorded_report(session)
    return {
        "scenario": (hdr.get("scenario") or {}).get("name", ""),
        "target": (hdr.get("target") or {}).get("url", ""),
        "profile": (hdr.get("profile") or {}).get("name", ""),
        "saturation": recorded["saturation"] if recorded else [],
        **(facts_of(recorded) if recorded else {}),  # in the live run's order
    }


def target_process(session: Session) -> TargetProcessSummary | None:
    """What the live run's TargetWatch summed up; the ticks are only rebuilt when the
    target was watched (pids in the header, or gauges in the last tick of an older log)."""
    pids = tuple(p for p in session.header.get("target_pids") or () if isinstance(p, int))
    final = session.final
    if not pids and (final is None or final.system.target_rss_bytes is None):
        return None
    watch = TargetWatch(pids)
    for t, system in tick_gauges(session):
        watch.add_gauges(t, system)
    return watch.summary()


def report_from_session(session: Session) -> Report:
    """The report of the recorded run (see build.build_report).

    Raises SessionError when the session holds no tick (killed before its first), or
    its summary's report is malformed."""
    final = session.final
    if final is None:
        raise SessionError(f"{session.path}: no tick recorded, nothing to report")
    info = session_info(session)
    facts = RunFacts(target_process=target_process(session), saturated=bool(info["saturation"]))
    results = evaluate(session.thresholds(), final, facts=facts)
    return build_report(final, results, info=info, target_process=facts.target_process)
