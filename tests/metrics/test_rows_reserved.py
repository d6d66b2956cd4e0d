"""The scenario refuses task names of the rows every run has; it names them itself (the
scenario layer imports no metrics), so they must stay the metrics' own."""

from __future__ import annotations

from loadtui.metrics.fold import TOTAL_NAME
from loadtui.metrics.rows import OTHER_NAMES
from loadtui.scenario.users import RESERVED_ROWS


def test_the_reserved_task_names_are_the_rows_the_metrics_make() -> None:
    assert set(RESERVED_ROWS) == {TOTAL_NAME, OTHER_NAMES}
