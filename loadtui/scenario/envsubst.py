"""`${NAME}` and `${NAME:-default}` in every string value of a scenario.

Done on the parsed tree, before validation, so a URL or token from the environment is
checked like any literal. `$${` is a literal `${`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from loadtui.scenario.errors import Collector, FieldPath

_REF = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def substitute_tree(value: Any, env: Mapping[str, str], out: Collector, path: FieldPath) -> Any:
    """A copy of `value` with every string substituted; problems go to `out`."""
    if isinstance(value, str):
        return substitute(value, env, out, path)
    if isinstance(value, dict):
        return {k: substitute_tree(v, env, out, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_tree(v, env, out, (*path, i)) for i, v in enumerate(value)]
    return value


def substitute(text: str, env: Mapping[str, str], out: Collector, path: FieldPath) -> str:
    if "$" not in text:
        return text

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$${":
            return "${"
        inner = m.group(1)
        if inner is None:
            out.add(path, "unterminated ${", 'Write "${NAME}" or "$${" for a literal "${"')
            return ""
        name, sep, default = inner.partition(":-")
        if not _NAME.fullmatch(name):
            out.add(path, f"bad environment variable name {name!r} in ${{{inner}}}")
            return ""
        found = env.get(name)
        if sep:
            return found if found else default
        if found is None:
            out.add(
                path,
                f"environment variable {name} is not set",
                f'Set it, or give a default: "${{{name}:-value}}"',
            )
            return ""
        return found

    return _REF.sub(sub, text)
