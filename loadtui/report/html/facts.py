"""What the page says about a run in words: its facts, its verdict and thresholds, its
events. Formatted here with the other reports' helpers (report/fmt.py), so the page
shows the same values as the Markdown and the terminal; the page only lays them out.
Everything read from a session header is turned into text first: the page treats it as
text (never as markup) whatever the file held.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from loadtui.report import fmt
from loadtui.report.schema import Report
from loadtui.scenario.model import Profile, Stage
from loadtui.scenario.userinfo import redact_url
from loadtui.session.reader import Session, SessionError

MAX_EVENTS = 5000  # a flapping breach can log thousands; the page lists the first ones
MARKED = ("stage", "operator", "breach", "warning", "error")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _stage(stage: Stage, model: str) -> str:
    if model == "open" or stage.rate is not None:
        what = f"{stage.rate:g}/s" if stage.rate is not None else "rate as before"
    else:
        what = f"{stage.users} users" if stage.users is not None else "users as before"
        if stage.spawn_rate is not None:
            what += f" at {stage.spawn_rate:g}/s"
    if stage.streams:
        what += f", {stage.streams} streams"
    return f"{fmt.duration(stage.duration)} {what}"


def profile_text(profile: Profile) -> str:
    """ "ramp (closed): 1m00s 10 users at 2/s → 5m00s 100 users at 10/s × 2, burst …" """
    parts = " → ".join(_stage(s, profile.model) for s in profile.stages[:8])
    if len(profile.stages) > 8:
        parts += f" → … ({len(profile.stages)} stages)"
    text = f"{profile.name} ({profile.model})" + (f": {parts}" if parts else "")
    if profile.repeat > 1:
        text += f" × {profile.repeat}"
    b = profile.burst
    if b is not None:
        level = f"{b.rate:g}/s" if b.rate is not None else f"{b.users} users"
        text += f"; burst to {level} for {fmt.duration(b.length)} every {fmt.duration(b.every)}"
    return text


def facts(session: Session, report: Report) -> list[list[str]]:
    """[label, value] rows: scenario, target, profile, length, workers, version, host."""
    hdr = session.header
    scenario = hdr.get("scenario") or {}
    found = hdr.get("host")
    host: dict[str, Any] = found if isinstance(found, dict) else {}
    try:
        profile = profile_text(session.profile())
    except SessionError:
        profile = report["profile"]
    target = redact_url(report["target"] or _text((hdr.get("target") or {}).get("url")))
    rows = [
        ["scenario", report["scenario"] or _text(scenario.get("name"))],
        ["scenario file", PurePath(_text(scenario.get("path"))).name],
        ["description", _text(scenario.get("description"))],
        ["target", target],
        ["profile", profile],
        ["started", report["started"] or _text(hdr.get("started"))],
        ["duration", fmt.duration(report["duration_s"])],
        ["workers", _text(hdr.get("workers") or 1)],
        ["requests", fmt.count(report["requests"])],
        ["loadtui", _text(hdr.get("tool"))],
        [
            "host",
            " · ".join(
                _text(host.get(k))
                for k in ("hostname", "platform", "python")
                if host.get(k) is not None
            )
            + (f" · {host['cpus']} CPUs" if host.get("cpus") else ""),
        ],
        [
            "session",
            session.path.name + (" (cut short: a killed run)" if session.truncated else ""),
        ],
    ]
    return [row for row in rows if row[1]]


def verdict(report: Report) -> dict[str, Any]:
    """Passed or not, why, and every threshold with observed against its limit."""
    reasons = [report["unserved"]] if report["unserved"] else []
    reasons += [f"threshold failed: {t['name']}" for t in report["thresholds"] if not t["ok"]]
    saturated = fmt.saturation(report)
    return {
        "passed": report["passed"],
        "reasons": reasons,
        "warnings": [saturated] if saturated else [],
        "thresholds": [
            {
                "name": t["name"],
                "ok": t["ok"],
                "observed": fmt.observed(t["metric"], t["observed"]),
                "limit": fmt.observed(t["metric"], t["limit"]),
                "scope": t["endpoint"] or t["stream"] or t["scope"],
                "reason": t["reason"] or "",
            }
            for t in report["thresholds"]
        ],
    }


def events(session: Session) -> dict[str, Any]:
    """The session's events (the first MAX_EVENTS), as [t, kind, message]."""
    shown = [[round(e.t, 3), e.kind, e.message] for e in session.events[:MAX_EVENTS]]
    return {"list": shown, "more": max(0, len(session.events) - MAX_EVENTS)}
