"""Turning run objects (scenario, snapshots, events) into plain JSON values.

Encoded histograms are already base64 text and are stored as such; other bytes are
written as {"b64": ...}. Secrets named in REDACT are replaced in any (name, value) pairs;
the session header goes through redact.Redaction, which knows which pairs are headers,
query or variables and adds the names a user configured for each.
"""

from __future__ import annotations

import base64
import dataclasses
import math
from typing import Any

REDACT = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key"})
HIDDEN = "***"


def jsonable(value: Any, redact: frozenset[str] = REDACT) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.name == "histogram" and isinstance(item, bytes):
                out[f.name] = item.decode("ascii")  # HdrHistogram's base64 form, kept as is
            elif f.name == "histograms" and isinstance(item, dict):
                out[f.name] = {k: v.decode("ascii") for k, v in item.items()}
            else:
                out[f.name] = jsonable(item, redact)
        return out
    if isinstance(value, dict):
        return {str(k): jsonable(v, redact) for k, v in value.items()}
    if isinstance(value, tuple | list):
        if value and all(
            isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in value
        ):  # (name, value) pairs, e.g. headers
            return {k: (HIDDEN if k.lower() in redact else jsonable(v, redact)) for k, v in value}
        return [jsonable(v, redact) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(jsonable(v, redact) for v in value)
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
