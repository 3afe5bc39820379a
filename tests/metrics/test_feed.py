"""metrics.feed: the day's rows read once, counted and sliced in memory (hand-computed fixture).

Site time 2026-03-20 10:00. Towns T1 (grid G1, village V1) and T2 (grid G2, village V2).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from metrics import feed
from metrics.query import Period, Query
from tests.metrics.warehouse import case, insert, new_warehouse, ts, with_path

NOW = datetime(2026, 3, 20, 10, 0)
DAY = Query(period=Period.containing("day", NOW.date()))


def _alarm(con, alarm_id: str, unit: str, started: str, ended: str | None = None, case_id: str | None = None,
           severity: str = "alarm") -> None:
    insert(con, "sensor_alarms", with_path({"alarm_id": alarm_id, "sensor_id": "S-" + unit, "severity": severity,
                                            "started_at": ts(started), "ended_at": ts(ended),
                                            "case_id": case_id}, unit))


@pytest.fixture
def con(tmp_path):
    con = new_warehouse(tmp_path)
    for unit, lon in (("V1", 121.1), ("V2", 121.2)):
        insert(con, "sensors", with_path({"sensor_id": "S-" + unit, "source_system": "t", "source_id": unit,
                                          "sensor_type": "water_level", "lon": lon, "lat": 31.1}, unit))
    open_ = {"status": "dispatched"}
    # urgent, reported 2 h ago, crews arrived: in the feed as "arrived", open, overdue (deadline 09:30)
    case(con, "u1", "V1", reported="2026-03-20 08:00", arrived="2026-03-20 08:30", deadline="2026-03-20 09:30",
         urgency="urgent", lon=121.1, lat=31.1, **open_)
    # urgent, yesterday 11:00 (23 h ago, inside the 24 h window), closed at 09:00 today: "closed", not open
    case(con, "u2", "V2", reported="2026-03-19 11:00", closed="2026-03-20 09:00", deadline="2026-03-21 00:00",
         urgency="urgent", status="closed")
    # urgent, yesterday 09:00 (25 h ago): out of the feed, still open (counts in the backlog)
    case(con, "u3", "V2", reported="2026-03-19 09:00", deadline="2026-03-22 00:00", urgency="urgent", **open_)
    # urgent, reported at 10:30 (after now): nowhere yet
    case(con, "u4", "V1", reported="2026-03-20 10:30", deadline="2026-03-20 12:00", urgency="urgent", **open_)
    # general, open since February and overdue; general today at 09:15 (open, not overdue)
    case(con, "g1", "V1", reported="2026-02-01 09:00", deadline="2026-02-05 09:00", **open_)
    case(con, "g2", "V2", reported="2026-03-20 09:15", deadline="2026-03-25 09:00", **open_)
    # cancelled urgent case today: never shown nor counted
    case(con, "x1", "V1", reported="2026-03-20 07:00", deadline="2026-03-21 00:00", urgency="urgent",
         cancelled=True, **open_)
    # alarms: a1 ongoing since 09:00 with a case (V1); a2 ended at 09:40 (V2); a3 started last week, never ended (V2)
    _alarm(con, "a1", "V1", "2026-03-20 09:00", case_id="u1")
    _alarm(con, "a2", "V2", "2026-03-20 07:00", "2026-03-20 09:40", severity="warning")
    _alarm(con, "a3", "V2", "2026-03-13 09:00")
    # 12345: h1 open and overdue (V1), h2 open (V2), h3 closed today at 06:00 (V1)
    for oid, unit, received, due, closed in (("h1", "V1", "2026-03-18 09:00", "2026-03-19 09:00", None),
                                             ("h2", "V2", "2026-03-20 08:10", "2026-03-23 09:00", None),
                                             ("h3", "V1", "2026-03-20 05:00", "2026-03-21 09:00", "2026-03-20 06:00")):
        insert(con, "hotline_orders", with_path({"order_id": oid, "source_system": "t", "source_id": oid,
                                                 "received_at": ts(received), "due_at": ts(due),
                                                 "closed_at": ts(closed)}, unit))
    # shifts: p1 and p2 on duty in G1 now (p1 twice: two overlapping rows count once), p3 in G2 ended at 08:00
    for rid, person, unit, start, end in (("r1", "p1", "G1", "2026-03-20 08:00", "2026-03-20 16:00"),
                                          ("r2", "p1", "G1", "2026-03-20 09:00", "2026-03-20 12:00"),
                                          ("r3", "p2", "G1", "2026-03-20 06:00", "2026-03-20 14:00"),
                                          ("r4", "p3", "G2", "2026-03-20 00:00", "2026-03-20 08:00")):
        insert(con, "staffing_roster", with_path({"roster_id": rid, "source_system": "t", "source_id": rid,
                                                  "person_id": person, "start_at": ts(start), "end_at": ts(end)},
                                                 unit))
    return con


def test_feed_lists_the_last_24_hours_newest_first_with_states(con):
    rows = feed.day_rows(con, NOW.date())
    df = feed.live_feed(rows, DAY, NOW)
    # a1 09:00 (ongoing, has a case → "case"), u1 08:00 (arrived), a2 07:00 (ended 09:40), u2 yesterday 11:00 (closed)
    assert list(df["item_id"]) == ["a1", "u1", "a2", "u2"]
    assert list(df["state"]) == ["case", "arrived", "ended", "closed"]
    assert list(df["kind"]) == ["alarm", "case", "alarm", "case"]
    assert list(df["age_minutes"]) == [60, 120, 180, 23 * 60]
    assert list(df["severity"]) == ["alarm", "urgent", "warning", "urgent"]
    assert list(df["unit_zh"]) == ["甲村", "甲村", "乙村", "乙村"]
    # town T2 only, and a limit
    assert list(feed.live_feed(rows, Query(period=DAY.period, unit="T2"), NOW, limit=1)["item_id"]) == ["a2"]


def test_backlog_counts_open_work_at_now(con):
    rows = feed.day_rows(con, NOW.date())
    b = feed.backlog(rows, DAY, NOW)
    # open: u1, u3, g1, g2 (u2 closed, u4 not yet reported, x1 cancelled); overdue: u1 (09:30), g1
    assert b == feed.Backlog(open_cases=4, overdue_cases=2, open_urgent=2, open_hotline=2, overdue_hotline=1,
                             active_alarms=2)
    t1 = feed.backlog(rows, Query(period=DAY.period, unit="T1"), NOW)
    assert t1 == feed.Backlog(open_cases=2, overdue_cases=2, open_urgent=1, open_hotline=1, overdue_hotline=1,
                              active_alarms=1)
    # at 10:45 u4 (reported 10:30) is open and urgent and not yet overdue
    later = feed.backlog(rows, DAY, datetime(2026, 3, 20, 10, 45))
    assert (later.open_cases, later.open_urgent, later.overdue_cases) == (5, 3, 2)


def test_counts_by_unit_markers_and_duty(con):
    rows = feed.day_rows(con, NOW.date())
    counts = feed.counts_by_unit(rows, DAY, "town", NOW).set_index("unit_code")
    # open 12345 orders: h1 (V1, T1) and h2 (V2, T2); h3 closed
    assert counts.loc["T1"].to_dict() == {"open_cases": 2, "overdue_cases": 2, "open_urgent": 1, "active_alarms": 1,
                                          "on_duty": 2, "open_hotline": 1}
    assert counts.loc["T2"].to_dict() == {"open_cases": 2, "overdue_cases": 0, "open_urgent": 1, "active_alarms": 1,
                                          "on_duty": 0, "open_hotline": 1}
    mk = feed.markers(rows, DAY, NOW)
    # open urgent cases with coordinates (u1; u3 has none) and active alarms at their sensor (a1, a3)
    assert list(mk["item_id"]) == ["a1", "u1", "a3"] and list(mk["lon"]) == [121.1, 121.1, 121.2]
    duty = feed.on_duty_by_grid(rows, DAY, NOW)
    # G2 has 1 open urgent (u3) and 1 alarm (a3), G1 1 + 1 too: ties by fewer staff first
    assert list(duty["grid_code"]) == ["G2", "G1"]
    assert list(duty["on_duty"]) == [0, 2] and list(duty["open_urgent"]) == [1, 1]
    assert list(duty["active_alarms"]) == [1, 1]


def test_hourly_volume_today_against_typical_day(con):
    # 28 days before: two cases at 09:xx on 2026-03-10, one at 14:00 on 2026-03-01, one 12345 order at 09:00
    case(con, "t1", "V1", reported="2026-03-10 09:05", deadline="2026-03-11 00:00", status="closed")
    case(con, "t2", "V2", reported="2026-03-10 09:50", deadline="2026-03-11 00:00", status="closed")
    case(con, "t3", "V1", reported="2026-03-01 14:00", deadline="2026-03-02 00:00", status="closed")
    case(con, "t4", "V1", reported="2026-02-01 14:00", deadline="2026-02-02 00:00", status="closed")  # too old
    rows = feed.day_rows(con, NOW.date())
    typical = feed.typical_by_hour(con, DAY, date(2026, 3, 20))
    # 09: t1, t2 and u3 (03-19 09:00); 11: u2 (03-19 11:00); 14: t3. g1 and t4 are older than 28 days.
    assert typical[9] == pytest.approx(3 / 28) and typical[11] == pytest.approx(1 / 28)
    assert typical[14] == pytest.approx(1 / 28) and sum(typical) == pytest.approx(5 / 28)
    df = feed.hourly_volume(rows, typical, DAY, NOW)
    # today up to 10:00: u1 08:00, g2 09:15 (x1 07:00 cancelled, u4 10:30 later); hours after 10 are unknown
    assert df["today"].iloc[:11].tolist() == [0] * 8 + [1, 1, 0]
    assert df["today"].iloc[11:].isna().all()
    hot = feed.hourly_volume(rows, feed.typical_by_hour(con, DAY, NOW.date(), "hotline"), DAY, NOW, "hotline")
    assert hot["today"].iloc[5] == 1 and hot["today"].iloc[8] == 1 and hot["today"].sum() == 2
    # h1 (received 03-18 09:00) is the only 12345 order of the 28 days before
    assert hot["typical"].iloc[9] == pytest.approx(1 / 28) and hot["typical"].sum() == pytest.approx(1 / 28)
