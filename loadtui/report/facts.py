"""What a verdict needs beyond the final snapshot: facts folded over the whole run."""

from __future__ import annotations

from dataclasses import dataclass

from loadtui.metrics.target_process import TargetProcessSummary


@dataclass(frozen=True)
class RunFacts:
    # None: no target process was watched (a target threshold then fails closed).
    target_process: TargetProcessSummary | None = None
    # Whether the generator's self-check saw itself saturated at any time in the run.
    saturated: bool = False
