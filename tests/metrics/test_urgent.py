"""metrics.urgent.urgent_tiles over hand-made day rows: which cases the wall counts down."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from metrics.feed import DayRows
from metrics.query import Period, Query
from metrics.urgent import urgent_tiles

NOW = datetime(2026, 12, 3, 10, 0)
PATH = {"city_code": "C", "district_code": "D", "town_code": "T1", "grid_code": "G1", "village_code": "V1",
        "unit_code": "V1"}
OTHER = {**PATH, "town_code": "T2", "grid_code": "G2", "village_code": "V2", "unit_code": "V2"}


def _m(minutes: int | None) -> datetime | None:
    return None if minutes is None else NOW + timedelta(minutes=minutes)


def _case(case_id: str, urgent: bool, is_open: bool, reported: int, dispatched: int | None,
          arrived: int | None = None, path: dict[str, str] = PATH) -> dict[str, object]:
    return {"case_id": case_id, "reported_at": _m(reported), "dispatched_at": _m(dispatched), "arrived_at": _m(arrived),
            "first_result_at": None, "closed_at": None if is_open else _m(-1), "deadline_at": _m(600),
            "urgent": urgent, "is_open": is_open, "title": f"t-{case_id}", "lon": 121.1, "lat": 31.1, **path,
            "unit_zh": "单位", "unit_en": "Unit"}


def _alarm(alarm_id: str, case_id: str | None, started: int, ended: int | None) -> dict[str, object]:
    return {"alarm_id": alarm_id, "started_at": _m(started), "ended_at": _m(ended), "has_case": case_id is not None,
            "case_id": case_id, "severity": "alarm", "title": "water_level", "lon": 121.1, "lat": 31.1, **PATH,
            "unit_zh": "单位", "unit_en": "Unit"}


def _rows() -> DayRows:
    cases = pd.DataFrame([
        _case("U-open", True, True, -20, -18),  # urgent, open, not on site after 18 min: red
        _case("U-new", True, True, -3, None),  # urgent, open, not yet dispatched: running from the report
        _case("U-closed", True, False, -40, -39, -30),  # closed: no tile
        _case("U-future", True, True, 5, 6),  # reported after now (a replayed snapshot): no tile
        _case("U-other", True, True, -5, -4, path=OTHER),  # another 街镇
        _case("A-live", False, True, -10, -9, -2),  # a general case made from a live alarm: tile
        _case("A-ended", False, True, -50, -49),  # made from an alarm that has ended: no tile
        _case("G", False, True, -5, -4),  # a general case: no tile
    ])
    for c in ("reported_at", "dispatched_at", "arrived_at", "first_result_at", "closed_at", "deadline_at"):
        cases[c] = pd.to_datetime(cases[c])
    alarms = pd.DataFrame([_alarm("a1", "A-live", -12, None), _alarm("a2", "A-ended", -55, -20),
                           _alarm("a3", None, -5, None)])
    for c in ("started_at", "ended_at"):
        alarms[c] = pd.to_datetime(alarms[c])
    empty = pd.DataFrame()
    return DayRows(date(2026, 12, 3), cases, alarms, empty, empty, empty)


def test_open_urgent_and_live_alarm_cases_in_scope() -> None:
    q = Query(Period.containing("day", NOW.date()), unit="T1")
    tiles = urgent_tiles(_rows(), q, NOW)
    assert tiles["case_id"].tolist() == ["U-open", "U-new", "A-live"]  # red first, then the nearest deadline
    assert tiles["kind"].tolist() == ["case", "case", "alarm"]
    assert tiles.loc[2, "alarm_title"] == "water_level"
    assert tiles["state"].tolist() == ["bad", "ok", "ok"]
    assert tiles.loc[1, "arrive_by"] == NOW + timedelta(minutes=12)  # from the report: not dispatched
    everywhere = urgent_tiles(_rows(), Query(Period.containing("day", NOW.date())), NOW)
    assert set(everywhere["case_id"]) == {"U-open", "U-new", "A-live", "U-other"}
