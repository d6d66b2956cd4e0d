"""What the replay reads from a recorded session's header: names, profile and
thresholds, tolerant of gaps (a header from an older or hand-edited log). No Textual."""

from __future__ import annotations

from loadtui.scenario.model import Profile, Threshold
from loadtui.session.reader import Session, SessionError


def recorded_names(session: Session) -> tuple[str, str]:
    """(scenario name, target URL) from the session header, tolerant of gaps."""
    header = session.header
    scenario = header.get("scenario") or {}
    target = header.get("target") or {}
    name = scenario.get("name") if isinstance(scenario, dict) else None
    url = target.get("url") if isinstance(target, dict) else None
    return str(name or session.path.stem), str(url or "?")


def recorded_profile(session: Session) -> Profile:
    try:
        return session.profile()
    except (SessionError, TypeError, ValueError, AttributeError):  # a partial header
        return Profile("recorded")


def recorded_thresholds(session: Session) -> list[Threshold]:
    try:
        return session.thresholds()
    except (SessionError, TypeError, ValueError, AttributeError):
        return []
