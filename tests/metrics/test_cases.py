"""Case indicators against hand computations (period = March 2026, previous = February)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from metrics import Period, Query, QueryError, drill, indicator_table, indicator_values
from tests.metrics.warehouse import case

MARCH = Query(Period.containing("month", date(2026, 3, 10)))
NO_OVERRIDES: dict = {}


def by_key(df, metric):
    sub = df[df.metric_id == metric]
    return {k: (n, d, v) for k, n, d, v in zip(sub.key, sub.numerator, sub.denominator, sub.value, strict=True)}


def test_due_closed_and_rates_per_town(march):
    df = indicator_table(march, ["registered", "due", "closed", "closure_rate", "ontime_closure_rate",
                               "ontime_disposal_rate", "rework_rate", "open_backlog", "overdue_backlog"],
                         MARCH, by="town", overrides=NO_OVERRIDES)
    v = {m: {k: x[2] for k, x in by_key(df, m).items()} for m in df.metric_id.unique()}
    # registered in March, not cancelled: c1 c2 c6 c8
    assert v["registered"]["T1"] == 4
    # due: c1 c2 (deadline in March), c3 (earlier, still open), c5 (earlier, open at March 1), c8 (23:59)
    assert v["due"]["T1"] == 5
    assert v["closed"]["T1"] == 3  # c1 c2 c5; c8 closed after midnight
    assert v["closure_rate"]["T1"] == pytest.approx(3 / 5)
    assert v["ontime_closure_rate"]["T1"] == pytest.approx(1 / 5)  # only c1
    assert v["ontime_disposal_rate"]["T1"] == pytest.approx(1 / 5)
    assert v["rework_rate"]["T1"] == pytest.approx(1 / 5)
    assert v["open_backlog"]["T1"] == 3  # c3 c6 c8 at April 1 00:00
    assert v["overdue_backlog"]["T1"] == 2  # c3 c8
    assert v["closure_rate"]["T2"] == 1.0
    # T3 has no cases: listed, with no rate (never 0% or 100%) and zero counts
    assert math.isnan(v["closure_rate"]["T3"]) and v["registered"]["T3"] == 0


def test_previous_period_and_zero_denominator(march):
    df = indicator_table(march, ["closure_rate"], MARCH, by="town", overrides=NO_OVERRIDES)
    prev = dict(zip(df.key, df.previous_value, strict=True))
    assert prev["T1"] == pytest.approx(1 / 3)  # Feb: due c3 c4 c5, closed by Mar 1: c4
    assert math.isnan(prev["T2"])


def test_scope_totals_and_status(march):
    vals = indicator_values(march, ["closure_rate", "proactive_rate", "supervision_rate"], MARCH,
                            overrides=NO_OVERRIDES)
    cr = vals["closure_rate"]
    assert (cr.numerator, cr.denominator) == (4, 6) and cr.value == pytest.approx(4 / 6)
    assert cr.status == "red"  # 66.7% < warning 90%
    assert vals["proactive_rate"].value == pytest.approx(1 / 5)
    assert vals["supervision_rate"].value == pytest.approx(1 / 5)
    t2 = indicator_values(march, ["closure_rate"], Query(MARCH.period, unit="V2"), overrides=NO_OVERRIDES)
    assert t2["closure_rate"].status == "green" and t2["closure_rate"].previous_value is None


def test_overrides_change_target_and_status_without_code(march):
    over = {"indicators": {"closure_rate": {"target": 0.5, "warning": 0.4}}}
    cr = indicator_values(march, ["closure_rate"], MARCH, overrides=over)["closure_rate"]
    assert cr.target == 0.5 and cr.status == "green"


def test_filters_unit_subtree_and_source(march):
    q = Query(MARCH.period, unit="G1")
    assert indicator_values(march, ["due"], q, overrides=NO_OVERRIDES)["due"].value == 5
    q = Query(MARCH.period, source="patrol")
    assert indicator_values(march, ["registered"], q, overrides=NO_OVERRIDES)["registered"].value == 1
    with pytest.raises(QueryError):
        indicator_values(march, ["due"], Query(MARCH.period, unit="nowhere"), overrides=NO_OVERRIDES)


def test_drill_returns_the_rows_behind_numerator_and_denominator(march):
    rows, total = drill(march, "closure_rate", MARCH, key="T1", part="denominator", overrides=NO_OVERRIDES)
    assert total == 5 and sorted(rows.case_id) == ["c1", "c2", "c3", "c5", "c8"]
    rows, total = drill(march, "closure_rate", MARCH, key="T1", part="numerator", limit=2, offset=1,
                        overrides=NO_OVERRIDES)
    assert total == 3 and list(rows.case_id) == ["c2", "c5"]


def test_category_and_urgency_filters_and_cancelled_rows_never_drilled(march):
    case(march, "k1", registered="2026-03-03 09:00", deadline="2026-03-04 09:00", category_code="B02001",
         urgency="urgent")
    q = Query(MARCH.period, category="B02")
    assert indicator_values(march, ["registered"], q, overrides=NO_OVERRIDES)["registered"].value == 1
    q = Query(MARCH.period, category="E01001", urgency="urgent")
    assert indicator_values(march, ["registered"], q, overrides=NO_OVERRIDES)["registered"].value == 0
    rows, total = drill(march, "registered", MARCH, overrides=NO_OVERRIDES)
    assert "c7" not in set(rows.case_id) and total == 6  # c1 c2 c6 c8 c9 k1; c7 is cancelled


def test_unknown_indicator_and_count_denominator_are_errors(march):
    with pytest.raises(QueryError):
        indicator_table(march, ["nope"], MARCH, overrides=NO_OVERRIDES)
    with pytest.raises(QueryError):
        drill(march, "registered", MARCH, part="denominator", overrides=NO_OVERRIDES)
