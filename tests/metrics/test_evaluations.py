"""evaluations(): the current and previous period's evaluation from one scan must equal two separate
evaluation() calls, and both must equal an independent reference built from indicator_table."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from metrics import Period, Query, evaluation, evaluations, indicator_table, ranking
from tests.metrics.warehouse import case, cases_due, insert

NO: dict = {}
MARCH = Query(Period.containing("month", date(2026, 3, 10)))
QUERIES = [
    MARCH,
    Query(Period.containing("month", date(2026, 4, 2))),  # previous = March
    Query(Period.containing("week", date(2026, 3, 10))),
    Query(Period.containing("quarter", date(2026, 3, 10))),
    MARCH.with_period(Period(MARCH.period.start, MARCH.period.start.replace(day=20), "custom")),
    Query(MARCH.period, unit="T1"),  # a scope
    Query(MARCH.period, source="patrol"),  # a filter
    Query(MARCH.period, urgency="general", category="E01"),
]
LEVELS = [("region", "town"), ("region", "grid"), ("region", "village"), ("department", "department"),
          ("department", "station")]


@pytest.fixture
def warehouse(march):
    # more volume across three months so the two periods differ; T3 and G-less units have no cases at
    # all (a zero denominator: rates and composite without value, 立案数 0)
    insert(march, "department", {"dept_code": "P1", "name_zh": "城管中队", "peer_group": "城管"})
    insert(march, "department", {"dept_code": "P2", "name_zh": "物业", "peer_group": "物业"})
    insert(march, "station", {"station_code": "S1", "name_zh": "一站", "station_type": "liaison",
                              "district_code": "D", "town_code": "T2"})
    cases_due(march, "a", "V1", 12, 9, dept_code="P1")
    cases_due(march, "b", "V2", 14, 14, dept_code="P2", station_code="S1", rework_count=1)
    cases_due(march, "f", "V1", 11, 3, month="2026-02", dept_code="P1")
    cases_due(march, "g", "V2", 6, 6, month="2026-02", dept_code="P2", source="patrol", proactive=True)
    cases_due(march, "h", "V2", 8, 5, month="2026-04", dept_code="P1", supervision_report=True)
    case(march, "u1", "V2", registered="2026-03-03 09:00", deadline="2026-03-04 09:00", urgency="urgent",
         closed="2026-03-05 09:00", dept_code="P2")
    return march


def reference(con, kind: str, level: str, query: Query) -> pd.DataFrame:
    """The evaluation recomputed from indicator_table with pandas (the pre-evaluations() way)."""
    from metrics.peers import peer_groups
    from metrics.scores import DEFAULT_BANDS, DEPARTMENT_WEIGHTS, REGION_WEIGHTS, band_score, grade

    ids = (["registered", "due", "supervision_rate", "closure_rate", "ontime_closure_rate"] if kind == "region"
           else ["registered", "due", "closure_rate", "ontime_disposal_rate", "rework_rate"])
    long = indicator_table(con, ids, query, by=level, overrides=NO)  # type: ignore[arg-type]
    wide = long.pivot(index=["key", "name"], columns="metric_id", values="value").reset_index()
    peers = peer_groups(con, level)
    wide["peer_group"] = wide["key"].map(lambda k: peers.get(k, "all"))
    med = wide.groupby("peer_group")["registered"].transform("median")
    nan = float("nan")
    if kind == "region":
        parts = {"supervision": 100 * (1 - wide["supervision_rate"]),
                 "registered": (100 * wide["registered"] / med).clip(upper=100).where(med > 0, nan),
                 "closure": 100 * wide["closure_rate"], "ontime_closure": 100 * wide["ontime_closure_rate"]}
        weights = REGION_WEIGHTS
    else:
        parts = {"registered": wide["registered"].map(lambda n: band_score(n, DEFAULT_BANDS)),
                 "closure": 100 * wide["closure_rate"], "ontime_disposal": 100 * wide["ontime_disposal_rate"],
                 "rework": 100 * (1 - wide["rework_rate"])}
        weights = DEPARTMENT_WEIGHTS
    out = wide[["key", "name", "peer_group", *ids]].copy()
    for k, v in parts.items():
        out[f"{k}_score"] = v.astype("float64")
    out["composite"] = sum(weights[k] * out[f"{k}_score"] for k in weights)  # NaN if any part is NaN
    out["grade"] = out["composite"].map(lambda c: None if c != c else grade(c))
    return out.reset_index(drop=True)


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False,
                                  check_names=False)


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
@pytest.mark.parametrize(("kind", "level"), LEVELS)
def test_evaluations_equal_two_evaluations(warehouse, kind, level, query):
    cur, prev = evaluations(warehouse, kind, level, query, overrides=NO)
    one = evaluation(warehouse, kind, level, query, overrides=NO)
    two = evaluation(warehouse, kind, level, query.previous(), overrides=NO)
    same(cur, one)
    same(prev, two)
    if not one.empty:
        same(one, reference(warehouse, kind, level, query))
        same(two, reference(warehouse, kind, level, query.previous()))


def test_the_fixture_exercises_what_it_should(warehouse):
    cur, prev = evaluations(warehouse, "region", "town", MARCH, overrides=NO)
    by = cur.set_index("key")
    # T3 has no cases: 立案数 0, no rates, no composite (the zero-denominator unit)
    assert by.loc["T3", "registered"] == 0 and pd.isna(by.loc["T3", "closure_rate"])
    assert pd.isna(by.loc["T3", "composite"]) and by.loc["T3", "due"] == 0
    # the two periods really differ (February has its own cases)
    assert not cur["composite"].equals(prev["composite"])
    assert cur["composite"].notna().sum() >= 2 and prev["composite"].notna().sum() >= 1


def test_composite_ranking_movement_from_the_previous_period(warehouse):
    df = ranking(warehouse, "town", "region_composite", MARCH, by_peer_group=False, min_volume=1,
                 overrides=NO).set_index("key")
    prev = evaluation(warehouse, "region", "town", MARCH.previous(), overrides=NO).set_index("key")
    for k in df.index:
        p = prev.loc[k, "composite"]
        assert (pd.isna(df.loc[k, "previous_value"]) and pd.isna(p)) or df.loc[k, "previous_value"] == p
