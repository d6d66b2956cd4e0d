"""Nested values as parsed from TOML or JSON (dicts, lists, scalars), for property tests
that change one place at a time."""

from __future__ import annotations

import json
from typing import Any

Path = tuple[Any, ...]


def paths_of(value: Any, path: Path = ()) -> list[Path]:
    """Every place in `value`, depth first: () for the whole, then each key or index path."""
    found = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            found += paths_of(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += paths_of(v, (*path, i))
    return found


def copy_to(tree: Any, path: Path) -> tuple[Any, Any]:
    """A deep copy of `tree`, and in it the container holding the last step of `path`."""
    copy = json.loads(json.dumps(tree))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    return copy, parent
