r"""The regex engine of response checks: RE2, whose time is linear in the text.

A check's regex runs on what the target sends, in the hot path, on the engine's thread,
and Python's `re` holds the GIL while it searches and cannot be interrupted. `re`
backtracks: a nested repeat like `(\w+\s?)+$` takes seconds on two dozen characters a
target chose (doubling with each one more), and even a plain `\w+!` is quadratic under
search (11 s on a 100 KB body, measured here), so one hostile or merely large body would
freeze the generator, its console and Ctrl-C alike. RE2 (google-re2; k6's Go regexp is
the same design) never backtracks: 10 MB are searched in about 20 ms.

Its syntax is Perl's without lookarounds, backreferences, possessive repeats or atomic
groups (the constructs that need backtracking); `validate` refuses those with RE2's
reason. Classes like `\w`, `\d` and `\b` are ASCII. Patterns are searched in the raw bytes
of a body or header value (as UTF-8), with no decoding.
"""

from __future__ import annotations

from typing import Any

import re2

# RE2 logs a refused pattern to stderr through absl; the refusal is reported by
# `validate` as one line instead.
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False

REGEX_HINT = (
    "RE2 syntax, as in k6: no lookarounds or backreferences; "
    "a TOML '...' string keeps backslashes as written"
)


def compile_regex(pattern: str) -> Any:
    """`pattern` compiled for searching bytes; raises ValueError when RE2 refuses it."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        raise ValueError(_reason(exc)) from None


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be a check's regex, or None when it can."""
    try:
        compile_regex(pattern)
    except ValueError as exc:
        return str(exc)
    return None


def _reason(exc: Exception) -> str:
    """RE2's message (bytes in its error's args) as text."""
    arg = exc.args[0] if exc.args else "refused"
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    return text or "refused"
