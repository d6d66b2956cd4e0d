"""Credentials found in a recording, replaced by `${ENV}` references.

A drafted scenario never holds a recorded cookie, token or password: each distinct
value gets an environment variable (`LOADTUI_AUTH`, `LOADTUI_COOKIE`, ...; a second
distinct value of the same header `LOADTUI_COOKIE_2`) and the scenario refers to it as
`${NAME}`, with no default, so a run without it set stops at validation, naming it,
rather than sending requests without credentials. The values themselves are only held
in memory to tell one from another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A few headers get the short names people expect; any other becomes LOADTUI_<NAME>.
_SHORT_NAMES = {"authorization": "AUTH", "proxy-authorization": "PROXY_AUTH", "cookie": "COOKIE"}
_NOT_NAME = re.compile(r"[^A-Z0-9]+")
_MAX_NAME = 40
# "Bearer abc" keeps its scheme in the scenario; only the credentials go to the variable.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) +(\S.*)", re.DOTALL)


def literal(text: str) -> str:
    """`text` escaped for a field the loader reads for `{var}` and `${ENV}`: every `{` is
    doubled and every `${` becomes `$${`, so it loads back as exactly `text`."""
    return text.replace("{", "{{").replace("${", "$${")


def key_literal(text: str) -> str:
    """`text` escaped for a key the loader reads for `{var}` only (query names, JSON
    keys: `${ENV}` is only read in values)."""
    return text.replace("{", "{{")


def env_literal(text: str) -> str:
    """`text` escaped for a field the loader reads for `${ENV}` only (names, URLs)."""
    return text.replace("${", "$${")


@dataclass
class EnvVar:
    name: str
    what: str  # "Cookie", "query parameter token", ...
    first_used: str  # the task that first uses it


@dataclass
class EnvRefs:
    """The environment variables a drafted scenario needs, by recorded value."""

    variables: list[EnvVar] = field(default_factory=list)
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _taken: set[str] = field(default_factory=set)

    def ref(self, base: str, what: str, value: str, task: str) -> str:
        """`${NAME}` for `value` under `base` (the same value gets the same name)."""
        known = self._by_value.get((base, value))
        if known is None:
            known, n = base, 1
            while known in self._taken:
                n += 1
                known = f"{base}_{n}"
            self._taken.add(known)
            self._by_value[(base, value)] = known
            self.variables.append(EnvVar(known, what, task))
        return "${" + known + "}"

    def header(self, name: str, value: str, task: str) -> str:
        """The scenario's text for a credential header: `Bearer ${LOADTUI_AUTH}` for an
        Authorization with a scheme, else `${LOADTUI_<NAME>}` for the whole value."""
        base = "LOADTUI_" + _SHORT_NAMES.get(name.lower(), _env_part(name))
        scheme = _SCHEME.fullmatch(value) if name.lower().endswith("authorization") else None
        if scheme:
            what = f'{name} credentials after "{scheme.group(1)} "'
            return literal(scheme.group(1)) + " " + self.ref(base, what, scheme.group(2), task)
        return self.ref(base, name, value, task)

    def query(self, name: str, value: str, task: str) -> str:
        return self.ref("LOADTUI_QUERY_" + _env_part(name), f"query parameter {name}", value, task)

    def json_field(self, name: str, value: str, task: str) -> str:
        return self.ref("LOADTUI_BODY_" + _env_part(name), f"JSON field {name}", value, task)


def _env_part(name: str) -> str:
    """A name as part of a variable's: `X-Api-Key` -> `X_API_KEY`; bounded, never empty."""
    part = _NOT_NAME.sub("_", name.upper()).strip("_")[:_MAX_NAME].rstrip("_")
    return part or "SECRET"
