"""Urgent cases, hotline, sensors, staffing and monthly trends against hand computations."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest

from metrics import (
    Period,
    Query,
    alarm_cases,
    alarms_by_severity,
    cases_per_person,
    grids_without_night_cover,
    indicator_values,
    latest_readings,
    monthly_trend,
    night_cover,
    on_duty,
    repeat_complaints,
    sensor_online,
    urgent_breaches,
)
from tests.metrics.warehouse import case, cases_due, insert, new_warehouse, ts, with_path

MARCH = Query(Period.containing("month", date(2026, 3, 10)))
NO: dict = {}


@pytest.fixture
def wh(tmp_path):
    return new_warehouse(tmp_path)


def test_urgent_rates_and_breach_lists(wh):
    d = "2026-03-05 10:00"
    case(wh, "u1", registered=d, dispatched=d, arrived="2026-03-05 10:15", first_result="2026-03-05 10:50",
         urgency="urgent")
    case(wh, "u2", registered=d, dispatched=d, arrived="2026-03-05 10:16", first_result="2026-03-05 11:00",
         urgency="urgent")
    case(wh, "u3", registered=d, dispatched=d, urgency="urgent")  # never arrived: a breach of both
    case(wh, "g1", registered=d, dispatched=d, arrived="2026-03-05 12:00")  # general: not counted
    v = indicator_values(wh, ["urgent_arrival_rate", "urgent_result_rate"], MARCH, overrides=NO)
    assert v["urgent_arrival_rate"].value == pytest.approx(1 / 3)  # 15 min exactly is on time
    assert v["urgent_result_rate"].value == pytest.approx(2 / 3)  # 60 min exactly is on time
    rows, total = urgent_breaches(wh, MARCH, "arrival")
    assert total == 2 and list(rows.case_id) == ["u2", "u3"]
    rows, total = urgent_breaches(wh, MARCH, "result")
    assert total == 1 and list(rows.case_id) == ["u3"]


def order(con, oid, unit="V1", **kw):
    row = {"order_id": oid, "source_system": "t", "source_id": oid, "received_at": ts("2026-03-03 10:00"),
           "category": "噪音", **{k: (ts(v) if k.endswith("_at") else v) for k, v in kw.items()}}
    insert(con, "hotline_orders", with_path(row, unit))


def test_hotline_rates(wh):
    order(wh, "h1", first_contact=True, resolution="resolved", satisfaction="satisfied",
          due_at="2026-03-10 00:00", closed_at="2026-03-09 12:00")
    order(wh, "h2", first_contact=False, resolution="explained", satisfaction="basic",
          due_at="2026-03-10 00:00", closed_at="2026-03-11 12:00")
    order(wh, "h3", first_contact=None, resolution=None, satisfaction="unsatisfied", due_at="2026-04-10 00:00")
    order(wh, "h4", received_at="2026-02-27 10:00", first_contact=True, satisfaction=None)  # February
    ids = ["hotline_orders", "hotline_first_contact_rate", "hotline_resolution_rate", "hotline_satisfaction_rate",
           "hotline_ontime_rate", "hotline_closure_rate", "hotline_close_p50", "hotline_backlog"]
    v = indicator_values(wh, ids, MARCH, overrides=NO)
    assert v["hotline_orders"].value == 3
    assert v["hotline_first_contact_rate"].value == pytest.approx(1 / 2)  # h3 unrecorded: out
    assert v["hotline_resolution_rate"].value == pytest.approx(1 / 2)
    assert v["hotline_satisfaction_rate"].value == pytest.approx((1 + 0.9 + 0) / 3)
    assert v["hotline_ontime_rate"].value == pytest.approx(1 / 2)  # h1 on time, h2 late; h3 due in April
    assert v["hotline_closure_rate"].value == pytest.approx(2 / 3)
    assert v["hotline_close_p50"].value == pytest.approx((146 + 194) / 2)  # hours: 6d2h and 8d2h
    assert v["hotline_backlog"].value == 2  # h3 and February's h4
    assert v["hotline_satisfaction_rate"].previous_value is None  # h4 was never rated: no value, not 0


def test_repeat_complaints_by_unit_and_cell(wh):
    for i, day in enumerate(("2026-02-20", "2026-03-02", "2026-03-12")):  # 3 within 30 days
        order(wh, f"r{i}", received_at=f"{day} 09:00", lon=121.1, lat=31.15)
    order(wh, "x0", "V2", received_at="2026-03-01 09:00", lon=121.2, lat=31.2)
    order(wh, "x1", "V2", received_at="2026-03-25 09:00", lon=121.2, lat=31.2)
    order(wh, "y0", "V2", received_at="2026-03-02 09:00", category="占道", lon=121.2, lat=31.2)
    df = repeat_complaints(wh, MARCH, min_count=3, within_days=30)
    assert list(zip(df.place, df.category, df.max_in_window, df.orders_in_period, strict=True)) == \
        [("V1", "噪音", 3, 2)]
    assert repeat_complaints(wh, MARCH, min_count=3, within_days=15).empty  # Feb 20 → Mar 12 is 20 days
    cells = repeat_complaints(wh, MARCH, min_count=2, within_days=30, place="cell")
    assert sorted(cells.max_in_window) == [2, 3]  # V2's 噪音 pair (24 days apart) and V1's three


def test_sensors_online_latest_and_alarms(wh):
    at = datetime(2026, 3, 10, 12, 0)
    for sid, unit in (("s1", "V1"), ("s2", "V1"), ("s3", "V2")):
        insert(wh, "sensors", with_path({"sensor_id": sid, "source_system": "t", "source_id": sid,
                                         "sensor_type": "water_level", "threshold_warning": 4.0,
                                         "threshold_alarm": 6.0, "expected_interval_min": 60}, unit))
    readings = (("s1", "2026-03-10 11:30", 5.0), ("s2", "2026-03-10 10:00", 7.0), ("s3", "2026-03-10 11:00", 1.0))
    for sid, t, v in readings:
        insert(wh, "sensor_readings", {"sensor_id": sid, "ts": ts(t), "value": v})
    on = sensor_online(wh, MARCH, as_of=at)
    assert (on.sensors[0], on.online[0]) == (3, 2)  # s2 silent 2 h at `at`
    # over the period [Mar 1, at): 228 hourly intervals each, one of them with a reading
    assert (on.expected[0], on.received[0]) == (684, 3) and on.online_rate[0] == pytest.approx(3 / 684)
    on_t = sensor_online(wh, Query(MARCH.period, unit="T1"), by="town", as_of=at)
    assert on_t.online_rate[0] == pytest.approx(2 / 456)
    latest = latest_readings(wh, MARCH, as_of=at).set_index("sensor_id")
    assert list(latest.state) == ["warning", "alarm", "normal"]
    case(wh, "ac1", registered="2026-03-05 10:00", closed="2026-03-06 10:00")
    case(wh, "ac2", registered="2026-03-05 10:00")
    for aid, sev, cid in (("a1", "alarm", "ac1"), ("a2", "alarm", "ac2"), ("a3", "warning", None)):
        insert(wh, "sensor_alarms", with_path({"alarm_id": aid, "sensor_id": "s1", "severity": sev,
                                               "started_at": ts("2026-03-05 09:00"), "case_id": cid}, "V1"))
    sev = alarms_by_severity(wh, MARCH)
    assert dict(zip(sev.severity, sev.alarms, strict=True)) == {"alarm": 2, "warning": 1}
    ac = alarm_cases(wh, MARCH)
    assert (ac.alarms[0], ac.to_cases[0], ac.cases_closed[0]) == (3, 2, 1)
    assert ac.to_case_rate[0] == pytest.approx(2 / 3) and ac.case_closure_rate[0] == pytest.approx(1 / 2)


def test_staffing(wh):
    three_days = Query(Period.custom(date(2026, 3, 1), date(2026, 3, 3)))
    rows = [("p1", "2026-03-01", "night", "V1"), ("p1", "2026-03-02", "night", "V1"),
            ("p2", "2026-03-01", "day", "V1"), ("p3", "2026-03-01", "day", "V2"), ("p1", "2026-03-05", "night", "V1")]
    for i, (pid, d, shift, unit) in enumerate(rows):
        insert(wh, "staffing_roster", with_path({"roster_id": f"r{i}", "source_system": "t", "source_id": str(i),
                                                 "person_id": pid, "duty_date": date.fromisoformat(d),
                                                 "shift": shift}, unit))
    duty = on_duty(wh, three_days, by="grid").set_index("key")
    assert (duty.loc["G1", "day"], duty.loc["G1", "night"], duty.loc["G1", "total"]) == (1, 1, 2)
    nc = night_cover(wh, three_days).set_index("key")
    assert nc.loc["G1", "nights_uncovered"] == 1 and nc.loc["G2", "nights_uncovered"] == 3
    assert list(grids_without_night_cover(wh, three_days).key) == ["G2", "G1"]
    cases_due(wh, "c", "V1", 4, 0)  # registered March 1
    cpp = cases_per_person(wh, three_days, by="grid").set_index("key")
    assert cpp.loc["G1", "cases_per_person"] == 2.0 and cpp.loc["G2", "cases_per_person"] == 0.0


def test_monthly_trend_in_one_scan(wh):
    cases_due(wh, "jan", "V1", 4, 1, month="2026-01")
    cases_due(wh, "mar", "V1", 5, 5, month="2026-03")
    df = monthly_trend(wh, ["closure_rate", "registered"], MARCH, months=3, overrides=NO)
    cr = df[df.metric_id == "closure_rate"]
    assert [m.isoformat() for m in cr.month] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    # Jan 1/4; Feb: the 3 January cases still open past deadline are due again, none closed → 0/3; Mar 5/8
    assert cr.value.tolist()[0] == pytest.approx(0.25) and cr.value.tolist()[1] == 0.0
    assert cr.value.tolist()[2] == pytest.approx(5 / 8)
    assert df[df.metric_id == "registered"].value.tolist() == [4, 0, 5]
    assert not math.isnan(cr.value.tolist()[1])


def test_cancelled_orders_are_out_of_closure(wh):
    # By hand, March: c1 closed after 2 h, c2 after 6 h, x1 cancelled (closed the same minute, as US
    # exports close a cancelled request), x2 cancelled and never closed, o1 open.
    # Closure 2 closed / 3 live orders; median of 2 h and 6 h = 4 h; backlog o1 only.
    order(wh, "c1", status="closed", closed_at="2026-03-03 12:00")
    order(wh, "c2", status="closed", closed_at="2026-03-03 16:00")
    order(wh, "x1", status="cancelled", closed_at="2026-03-03 10:01")
    order(wh, "x2", status="cancelled")
    order(wh, "o1", status="open")
    v = indicator_values(wh, ["hotline_orders", "hotline_closure_rate", "hotline_close_p50", "hotline_backlog"],
                         MARCH, overrides=NO)
    assert v["hotline_orders"].value == 3
    assert v["hotline_closure_rate"].value == pytest.approx(2 / 3)
    assert v["hotline_close_p50"].value == pytest.approx(4.0)
    assert v["hotline_backlog"].value == 1
