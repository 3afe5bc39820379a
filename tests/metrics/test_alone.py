"""Every indicator computed on its own: the compiled statement gets exactly the parameters it names
(DuckDB rejects unused ones, e.g. ``$s0`` for an end-of-period backlog), and agrees with the value
computed together with every other indicator of its table."""

from __future__ import annotations

import math
from datetime import date

import pytest

from metrics import Period, Query, catalog, drill, indicator_table, indicator_values

MARCH = Query(Period.containing("month", date(2026, 3, 10)))
IDS = [i.id for i in catalog({})]


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    return a == pytest.approx(b)


@pytest.mark.parametrize("metric_id", IDS)
def test_each_indicator_alone_matches_the_full_set(march, metric_id):
    together = indicator_values(march, IDS, MARCH, overrides={})[metric_id]
    alone = indicator_values(march, [metric_id], MARCH, overrides={})[metric_id]
    assert same(alone.value, together.value) and same(alone.previous_value, together.previous_value)
    by_town = indicator_table(march, [metric_id], MARCH, by="town", overrides={})
    assert set(by_town.key) == {"T1", "T2", "T3"}


@pytest.mark.parametrize("metric_id", IDS)
def test_each_indicator_drills_alone(march, metric_id):
    ind = next(i for i in catalog({}) if i.id == metric_id)
    rows, total = drill(march, metric_id, MARCH, overrides={})
    assert len(rows) == min(total, 100)
    if ind.kind == "count":
        # the rows behind a count are exactly the count
        assert total == indicator_values(march, [metric_id], MARCH, overrides={})[metric_id].value


def test_backlog_alone_counts_hand_computed_rows(march):
    # open at April 1 00:00: c3 (never closed), c6 (no closure), c8 (closed 00:10 April 1)
    vals = indicator_values(march, ["open_backlog"], MARCH, overrides={})
    assert vals["open_backlog"].value == 3
    # past deadline at April 1: c3 and c8 (c6 is due April 3)
    assert indicator_values(march, ["overdue_backlog"], MARCH, overrides={})["overdue_backlog"].value == 2
