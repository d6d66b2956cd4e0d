"""`${NAME}` and `${NAME:-default}` in every string value of a scenario.

Done on the parsed tree, before validation, so a URL or token from the environment is
checked like any literal. `$${` is a literal `${`.

What the environment gives is a value, never scenario syntax: in a field read for
`{var}` placeholders (placeholders.renders) its braces are doubled, so a password
`p{a}ss` or a JSON text is sent as it is rather than read as a placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from loadtui.scenario.errors import Collector, FieldPath
from loadtui.scenario.placeholders import renders

_REF = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def substitute_tree(value: Any, env: Mapping[str, str], out: Collector, path: FieldPath) -> Any:
    """A copy of `value` with every string substituted; problems go to `out`."""
    if isinstance(value, str):
        return substitute(value, env, out, path, literal_braces="$" in value and renders(path))
    if isinstance(value, dict):
        return {k: substitute_tree(v, env, out, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_tree(v, env, out, (*path, i)) for i, v in enumerate(value)]
    return value


def substitute(
    text: str, env: Mapping[str, str], out: Collector, path: FieldPath, *, literal_braces: bool
) -> str:
    """`text` with its references replaced; `literal_braces`: escape each `{` of what
    replaces them as `{{`, for a field whose `{...}` are placeholders."""
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
        if sep and not found:
            found = default
        if found is None:
            out.add(
                path,
                f"environment variable {name} is not set",
                f'Set it, or give a default: "${{{name}:-value}}"',
            )
            return ""
        return found.replace("{", "{{") if literal_braces else found

    return _REF.sub(sub, text)
