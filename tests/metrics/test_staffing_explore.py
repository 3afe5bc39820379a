"""metrics.staffing_explore against hand computations (and against metrics.staffing where they overlap)."""

from __future__ import annotations

from datetime import date

import pytest

from metrics import Period, Query, cases_per_person, on_duty
from metrics import staffing_explore as TX
from tests.metrics.warehouse import cases_due, insert, new_warehouse, with_path

THREE_DAYS = Query(Period.custom(date(2026, 3, 1), date(2026, 3, 3)))


@pytest.fixture
def wh(tmp_path):
    con = new_warehouse(tmp_path)
    rows = [("p1", "2026-03-01", "night", "V1"), ("p1", "2026-03-02", "night", "V1"),
            ("p2", "2026-03-01", "day", "V1"), ("p2", "2026-03-02", "on_call", "V1"),
            ("p3", "2026-03-01", "day", "V2"), ("p4", "2026-03-02", "day", "G2"),
            ("p1", "2026-03-05", "night", "V1")]  # after the period
    for i, (pid, d, shift, unit) in enumerate(rows):
        insert(con, "staffing_roster", with_path({"roster_id": f"r{i}", "source_system": "t", "source_id": str(i),
                                                  "person_id": pid, "duty_date": date.fromisoformat(d),
                                                  "shift": shift}, unit))
    return con


def test_duty_by_unit_lists_every_town_with_scope_totals(wh):
    duty = TX.duty_by_unit(wh, THREE_DAYS)
    by = duty.by_unit.set_index("key")
    assert by.index.tolist() == ["T1", "T2", "T3"]  # T3 has no roster: listed with zeros
    assert by.loc["T1", ["day", "night", "on_call", "total"]].tolist() == [1, 1, 1, 2]
    assert by.loc["T2", ["day", "total"]].tolist() == [2, 2] and by.loc["T3", "total"] == 0
    assert by.loc["T1", "label"] == "甲镇"
    assert (duty.day, duty.night, duty.on_call, duty.total) == (3, 1, 1, 4)
    theirs = on_duty(wh, THREE_DAYS, by="town").set_index("key")
    assert by.loc[theirs.index, "total"].tolist() == theirs["total"].tolist()
    grids = TX.duty_by_unit(wh, Query(THREE_DAYS.period, unit="T2")).by_unit
    assert grids.key.tolist() == ["G2"] and grids.total.tolist() == [2]


def test_duty_by_day(wh):
    df = TX.duty_by_day(wh, THREE_DAYS)
    got = {(str(d)[:10], s): p for d, s, p in zip(df.day, df["shift"], df.persons, strict=True)}
    assert got == {("2026-03-01", "day"): 2, ("2026-03-01", "night"): 1, ("2026-03-02", "day"): 1,
                   ("2026-03-02", "night"): 1, ("2026-03-02", "on_call"): 1}


def test_night_gaps_lists_grids_without_night_cover(wh):
    gaps = TX.night_gaps(wh, THREE_DAYS)
    # G1: nights 1 and 2 covered by p1, 3 not; G2: no night shift at all
    assert gaps.key.tolist() == ["G2", "G1"]
    assert gaps.nights_uncovered.tolist() == [3, 1] and gaps.uncovered.tolist() == [True, True]
    insert(wh, "staffing_roster", with_path({"roster_id": "r9", "source_system": "t", "source_id": "9",
                                             "person_id": "p1", "duty_date": date(2026, 3, 3), "shift": "night"},
                                            "V1"))
    gaps = TX.night_gaps(wh, THREE_DAYS).set_index("key")
    assert not gaps.loc["G1", "uncovered"] and gaps.loc["G2", "uncovered"]


def test_night_gaps_stop_at_tonight(wh):
    insert(wh, "warehouse_meta", {"key": "data_now", "value": "2026-03-02 15:00:00"})
    gaps = TX.night_gaps(wh, THREE_DAYS).set_index("key")
    # nights of March 1 and 2 only: the night of the 3rd has not come yet
    assert gaps.loc["G1", ["nights", "nights_uncovered"]].tolist() == [2, 0]
    assert gaps.loc["G2", "nights_uncovered"] == 2


def test_workload_cases_per_person(wh):
    cases_due(wh, "c", "V1", 4, 0)  # registered March 1 in T1
    cases_due(wh, "d", "V2", 3, 0, cancelled=True)  # cancelled: not counted
    load = TX.workload(wh, THREE_DAYS)
    by = load.by_unit.set_index("key")
    assert by.loc["T1", ["cases", "persons", "cases_per_person"]].tolist() == [4, 2, 2.0]
    assert by.loc["T2", "cases_per_person"] == 0.0
    assert by.loc["T3", "persons"] == 0 and by["cases_per_person"].isna()["T3"]  # nobody on duty: no value
    assert (load.cases, load.persons, load.cases_per_person) == (4, 4, 1.0)
    theirs = cases_per_person(wh, THREE_DAYS, by="town").set_index("key")
    for k in theirs.index:
        assert by.loc[k, "cases_per_person"] == pytest.approx(theirs.loc[k, "cases_per_person"], nan_ok=True)
