"""metrics.sensors_explore against hand computations (and against metrics.sensors where they overlap)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from metrics import Period, Query, alarm_cases, latest_readings, sensor_online
from metrics import sensors_explore as SX
from metrics.indicators import data_now
from tests.metrics.warehouse import case, insert, new_warehouse, ts, with_path

MARCH = Query(Period.containing("month", date(2026, 3, 10)))
AT = datetime(2026, 3, 10, 12, 0)


@pytest.fixture
def wh(tmp_path):
    con = new_warehouse(tmp_path)
    # (id, unit, type, warning, alarm, interval min, installed)
    sensors = [
        ("w1", "V1", "water_level", 4.0, 6.0, 60, None),
        ("w2", "V1", "water_level", 4.0, 6.0, 60, None),
        ("w3", "V2", "water_level", 4.0, 6.0, 60, None),
        ("p1", "V2", "pressure", 0.3, 0.2, 15, None),  # low pressure is bad: alarm below warning
        ("n1", "V2", "noise", 70.0, 80.0, 60, "2026-03-11 00:00"),  # installed after AT: not counted
    ]
    for sid, unit, typ, warn, alarm, every, installed in sensors:
        insert(con, "sensors", with_path({"sensor_id": sid, "source_system": "t", "source_id": sid, "name": sid,
                                          "sensor_type": typ, "threshold_warning": warn, "threshold_alarm": alarm,
                                          "expected_interval_min": every, "installed_at": ts(installed)}, unit))
    readings = [
        ("w1", "2026-03-10 11:30", 5.0),  # online, warning
        ("w2", "2026-03-10 10:00", 7.0),  # silent 2 h > 60 min: offline; alarm (within a day)
        ("w3", "2026-03-02 11:00", 9.0),  # silent 8 days: offline, beyond the 7-day lookback, no state
        ("w3", "2026-03-10 12:00", 1.0),  # at AT exactly: not before AT, ignored
        ("p1", "2026-03-10 11:50", 0.25),  # online (10 min < 15), warning (≤ 0.3, > 0.2)
        ("p1", "2026-03-10 11:40", 0.10),  # older reading: not the latest
    ]
    for sid, t, v in readings:
        insert(con, "sensor_readings", {"sensor_id": sid, "ts": ts(t), "value": v})
    return con


def test_online_rate_by_type_and_unit_hand_computed(wh):
    by_type = SX.online_rate(wh, MARCH, "sensor_type", as_of=AT).set_index("key")
    assert by_type.loc["water_level", ["sensors", "online"]].tolist() == [3, 1]
    # Over the period [Mar 1, AT): 228 hourly intervals per water-level sensor, 912 quarter hours for p1;
    # w1, w2 and w3 each have one interval with a reading, p1 two (11:40 and 11:50 lie in two quarters).
    assert by_type.loc["water_level", ["expected", "received"]].tolist() == [684, 3]
    assert by_type.loc["water_level", "online_rate"] == pytest.approx(3 / 684)
    assert by_type.loc["pressure", "online_rate"] == pytest.approx(2 / 912)
    assert "noise" not in by_type.index  # not installed yet
    by_town = SX.online_rate(wh, MARCH, "unit", as_of=AT).set_index("key")
    assert by_town.loc["T1", ["sensors", "online"]].tolist() == [2, 1] and by_town.loc["T1", "label"] == "甲镇"
    assert by_town.loc["T2", "online_rate"] == pytest.approx(3 / 1140)  # w3 1 of 228, p1 2 of 912
    only_water = SX.online_rate(wh, MARCH, "unit", "water_level", as_of=AT).set_index("key")
    assert only_water.loc["T2", ["sensors", "online"]].tolist() == [1, 0]
    assert only_water.loc["T2", "online_rate"] == pytest.approx(1 / 228)  # w3's Mar 2 reading
    grid_level = SX.online_rate(wh, Query(MARCH.period, unit="T1"), "unit", as_of=AT)
    assert grid_level.key.tolist() == ["G1"]  # a town's children are its grids


def test_online_rate_agrees_with_metrics_sensor_online(wh):
    mine = SX.online_rate(wh, MARCH, "sensor_type", as_of=AT).set_index("key")
    theirs = sensor_online(wh, MARCH, by="sensor_type", as_of=AT).set_index("key")
    for col in ("online", "sensors", "expected", "received", "online_rate"):
        assert mine[col].to_dict() == theirs[col].to_dict(), col


def test_status_states_offline_and_lookback(wh):
    st = SX.sensor_status(wh, MARCH, as_of=AT).set_index("sensor_id")
    assert st.state.to_dict() == {"p1": "warning", "w1": "warning", "w2": "alarm", "w3": "no_data"}
    assert st.loc["p1", "value"] == 0.25
    # the states follow metrics.sensors.latest_readings' rule
    theirs = latest_readings(wh, MARCH, as_of=AT).set_index("sensor_id").state
    assert all(theirs[k] == v for k, v in st.state.items())
    off = SX.offline(st.reset_index())
    assert off.sensor_id.tolist() == ["w3", "w2"]  # never seen within 7 days first, then the longest silent
    assert pd_isnat(off.last_reading.iloc[0]) and off.last_reading.iloc[1] == datetime(2026, 3, 10, 10, 0)
    wider = SX.offline(SX.sensor_status(wh, MARCH, as_of=AT, last=SX.last_readings(wh, AT, timedelta(days=9))))
    assert wider.last_reading.iloc[0] == datetime(2026, 3, 2, 11, 0)  # seen 8 days ago with a longer lookback
    counts = SX.state_counts(st.reset_index()).set_index("sensor_type")
    assert counts.loc["water_level", list(SX.STATES)].tolist() == [1, 1, 0, 1]


def pd_isnat(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v) == "NaT"


def test_alarms_counts_flow_and_type_filter(wh):
    case(wh, "ac1", registered="2026-03-05 10:00", closed="2026-03-06 10:00")
    case(wh, "ac2", registered="2026-03-05 10:00")
    case(wh, "ac3", registered="2026-03-07 10:00", cancelled=True)
    alarms = [("a1", "w1", "alarm", "2026-03-05 09:00", "ac1"), ("a2", "w1", "alarm", "2026-03-05 23:00", "ac2"),
              ("a3", "w2", "warning", "2026-03-07 09:00", "ac3"), ("a4", "p1", "warning", "2026-03-07 10:00", None),
              ("a5", "p1", "alarm", "2026-02-27 10:00", None)]  # February: not in March
    for aid, sid, sev, start, cid in alarms:
        insert(wh, "sensor_alarms", with_path({"alarm_id": aid, "sensor_id": sid, "severity": sev,
                                               "started_at": ts(start), "case_id": cid}, "V1"))
    table = SX.alarm_table(wh, MARCH)
    assert int(table.alarms.sum()) == 4
    sev = SX.alarm_counts(wh, MARCH, "severity", table=table)
    assert dict(zip(sev.key, sev.alarms, strict=True)) == {"alarm": 2, "warning": 2}
    by_day = SX.alarm_counts(wh, MARCH, "day", table=table)
    assert list(zip(by_day.key, by_day.severity, by_day.alarms, strict=True)) == [
        ("2026-03-05", "alarm", 2), ("2026-03-07", "warning", 2)]
    by_type = SX.alarm_counts(wh, MARCH, "sensor_type")
    assert list(zip(by_type.key, by_type.severity, by_type.alarms, strict=True)) == [
        ("pressure", "warning", 1), ("water_level", "alarm", 2), ("water_level", "warning", 1)]
    flow = SX.alarm_case_flow(wh, MARCH)
    # a3's case was cancelled: not a case; ac1 closed, ac2 open
    assert (flow["alarms"], flow["to_cases"], flow["cases_closed"]) == (4, 2, 1)
    assert flow["to_case_rate"] == 0.5 and flow["case_closure_rate"] == 0.5
    ac = alarm_cases(wh, MARCH)
    assert (ac.alarms[0], ac.to_cases[0], ac.cases_closed[0]) == (4, 2, 1)  # same rules as metrics.sensors
    water = SX.alarm_case_flow(wh, MARCH, "water_level")
    assert (water["alarms"], water["to_cases"]) == (3, 2)
    assert SX.alarm_case_flow(wh, MARCH, "noise")["to_case_rate"] is None  # no alarms: no rate, not 0


def test_series_downsampled_with_min_max_and_scoped(wh):
    day = Query(Period.containing("day", date(2026, 3, 9)))
    for h in range(24):
        for m in (0, 30):
            insert(wh, "sensor_readings", {"sensor_id": "w1", "ts": datetime(2026, 3, 9, h, m), "value": h + m / 60})
    full = SX.sensor_series(wh, day, "w1", max_points=1000)
    assert len(full) == 48  # fewer readings than points: every reading is its own bucket
    s = SX.sensor_series(wh, day, "w1", max_points=6)  # 4-hour buckets aligned to the period start
    assert len(s) == 6 and s.ts.iloc[1] == datetime(2026, 3, 9, 4, 0)
    first = s.iloc[0]
    assert (first.n, first.lo, first.hi) == (8, 0.0, 3.5) and first.value == pytest.approx(1.75)
    assert SX.sensor_series(wh, Query(day.period, unit="T2"), "w1").empty  # w1 is in T1: not visible from T2
    assert SX.sensor_info(wh, Query(day.period, unit="T1"), "w1")["threshold_alarm"] == 6.0
    assert SX.sensor_info(wh, day, "nope") is None


def test_types_target_and_data_now(wh):
    assert SX.sensor_types(wh) == ["noise", "pressure", "water_level"]
    assert SX.online_target({"indicators": {"sensor_online_rate": {"target": 0.95}}}) == 0.95
    assert SX.online_target({"indicators": {}}) is None
    assert data_now(wh) is None
    insert(wh, "warehouse_meta", {"key": "data_now", "value": "2026-03-10 12:00:00"})
    assert data_now(wh) == AT


def test_alarm_table_with_kept_alarm_facts_equals_the_full_join(wh):
    case(wh, "ac1", registered="2026-03-05 10:00", closed="2026-03-06 10:00")
    case(wh, "ac2", registered="2026-03-05 10:00")
    case(wh, "ac3", registered="2026-03-07 10:00", cancelled=True)
    case(wh, "other", registered="2026-03-07 10:00")  # no alarm refers to it: not kept
    for aid, sid, sev, start, cid in [("a1", "w1", "alarm", "2026-03-05 09:00", "ac1"),
                                      ("a2", "w2", "warning", "2026-03-05 23:00", "ac2"),
                                      ("a3", "p1", "warning", "2026-03-07 09:00", "ac3"),
                                      ("a4", "p1", "alarm", "2026-03-08 09:00", None)]:
        insert(wh, "sensor_alarms", with_path({"alarm_id": aid, "sensor_id": sid, "severity": sev,
                                               "started_at": ts(start), "case_id": cid}, "V1"))
    facts = SX.alarm_facts(wh)
    flow = SX.alarm_case_flow(wh, MARCH, table=SX.alarm_table(wh, MARCH, None, facts=facts))
    assert (flow["alarms"], flow["to_cases"], flow["cases_closed"]) == (4, 2, 1)
    # the kept per-alarm facts (sensor and case joined once) give the same table for every scope and type
    assert facts.num_rows == 4
    units = [None, *sorted({u for u in wh.execute("SELECT DISTINCT unnest([town_code, grid_code, village_code]) "
                                                      "FROM sensors").df().iloc[:, 0] if u})]
    for unit in units:
        for period in (MARCH, Query(Period.containing("day", date(2026, 3, 5)))):
            q = Query(period.period, unit=unit)
            for stype in (None, "water_level", "pressure"):
                assert SX.alarm_table(wh, q, stype).equals(SX.alarm_table(wh, q, stype, facts=facts)), (unit, stype)
    # the registered frames are gone afterwards: the cursor keeps no state between requests
    assert not wh.execute("SELECT count(*) FROM duckdb_views() WHERE view_name LIKE '__sx_alarm_%'").fetchone()[0]


def test_status_from_the_kept_sensor_table_equals_the_sql_scope(wh):
    insert(wh, "sensor_readings", {"sensor_id": "w1", "ts": ts("2026-03-10 11:30"), "value": 5.0})
    table = SX.sensor_table(wh)
    units = [None, *sorted({u for u in wh.execute("SELECT DISTINCT unnest([town_code, grid_code, village_code]) "
                                                      "FROM sensors").df().iloc[:, 0] if u})]
    checked = 0
    for unit in units:
        q = Query(MARCH.period, unit=unit)
        for stype in (None, "water_level", "pressure", "noise"):
            for at in (AT, datetime(2026, 3, 12)):  # before and after n1's installation
                sql = SX.sensor_status(wh, q, stype, at)
                kept = SX.sensor_status(wh, q, stype, at, sensors=table)
                pd.testing.assert_frame_equal(sql, kept, check_dtype=False)
                # the whole warehouse's status at `at` (what the page keeps per as-of), narrowed to the scope
                whole = SX.sensor_status(wh, q, stype, at, table=SX.status_table(wh, at, sensors=table))
                pd.testing.assert_frame_equal(sql, whole, check_dtype=False)
                checked += len(sql)
    assert checked > 20
