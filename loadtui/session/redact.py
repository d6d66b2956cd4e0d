"""Secrets out of the session header: a session is evidence meant to be shared.

`codec.jsonable` hides the standard credential headers in any (name, value) pairs; a
`Redaction` knows which pairs it is walking (task, target or WebSocket `headers`, task
`query`, user `variables`) and adds the names a user configured for each, case
insensitively; a response-header check on such a name hides its expected value. It
also hides those query names inside URLs and paths (`?token=...`), and a URL's password
by `scenario.userinfo.redact_url`, the rule every output follows. Values become "***";
names and shapes stay, so the header still says what was sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from loadtui.scenario.model import HeaderCheck
from loadtui.scenario.userinfo import redact_url
from loadtui.session.codec import HIDDEN, REDACT, jsonable

_URL_FIELDS = frozenset({"url", "path"})


def _lower(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.strip().lower() for n in names if n.strip())


def _is_pairs(value: Any) -> bool:
    return (
        isinstance(value, tuple | list)
        and bool(value)
        and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in value)
    )


@dataclass(frozen=True)
class Redaction:
    """Names (lower case) whose values are hidden, by where they appear."""

    headers: frozenset[str] = REDACT
    query: frozenset[str] = frozenset()
    variables: frozenset[str] = frozenset()

    @classmethod
    def extra(
        cls,
        headers: Iterable[str] = (),
        query: Iterable[str] = (),
        variables: Iterable[str] = (),
    ) -> Redaction:
        """The standard header names plus these (any case)."""
        return cls(REDACT | _lower(headers), _lower(query), _lower(variables))

    @property
    def anywhere(self) -> frozenset[str]:
        """For pairs of unknown meaning: every configured name, to err on the safe side."""
        return self.headers | self.query | self.variables

    def jsonable(self, value: Any) -> Any:
        """`codec.jsonable(value)` with every configured secret hidden."""
        return self._walk(value, None)

    def _walk(self, value: Any, field: str | None) -> Any:
        if isinstance(value, HeaderCheck) and value.value and value.name in self.headers:
            # `authorization = "equals:Bearer ..."`: the expected value is the secret
            value = dataclasses.replace(value, value=HIDDEN)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {
                f.name: self._walk(getattr(value, f.name), f.name)
                for f in dataclasses.fields(value)
            }
        if _is_pairs(value):
            names = {
                "headers": self.headers,
                "query": self.query,
                "variables": self.variables,
            }.get(field or "", self.anywhere)
            return {k: HIDDEN if k.lower() in names else self._walk(v, None) for k, v in value}
        if isinstance(value, str) and field in _URL_FIELDS:
            return self.url(value)
        if isinstance(value, tuple | list):
            return [self._walk(v, None) for v in value]
        if isinstance(value, dict):
            return {str(k): self._walk(v, None) for k, v in value.items()}
        return jsonable(value, frozenset())

    def url(self, text: str) -> str:
        """`text` (a URL or a path) with configured query values and any password hidden
        (`redact_url`, as every output does).

        Done on the raw text, so everything else stays byte for byte as written."""
        rest, hash_, fragment = redact_url(text).partition("#")
        base, q, query = rest.partition("?")
        if q and self.query:
            parts = []
            for item in query.split("&"):
                name, eq, _value = item.partition("=")
                parts.append(f"{name}={HIDDEN}" if eq and _unquote(name) in self.query else item)
            query = "&".join(parts)
        return f"{base}{q}{query}{hash_}{fragment}"


def _unquote(name: str) -> str:
    return unquote_plus(name).lower()
