"""metrics.lifecycle over hand-built rows: each stage's instant, the time since the stage before it, its
limit and state, checked against durations computed by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pytest

from metrics.lifecycle import case_lifecycle, order_lifecycle
from tests.metrics.warehouse import case, insert, new_warehouse, ts, with_path

NOW = datetime(2026, 3, 5, 9, 0)
M = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.fixture
def con(tmp_path) -> duckdb.DuckDBPyConnection:
    con = new_warehouse(tmp_path)
    # urgent: on site 20 min after dispatch (limit 15), first result after 50 min (limit 60), disposed an
    # hour before the deadline, closed 3 h after it; escalated, reworked twice
    case(con, "u1", reported="2026-03-02 09:00", registered="2026-03-02 09:05", dispatched="2026-03-02 09:10",
         arrived="2026-03-02 09:30", first_result="2026-03-02 10:00", disposed="2026-03-03 08:00",
         closed="2026-03-03 12:00", deadline="2026-03-03 09:00", urgency="urgent", escalated=True, rework_count=2,
         address="青浦区城中北路88弄3号")
    # general, open a day past its deadline at NOW
    case(con, "g1", registered="2026-03-02 09:00", deadline="2026-03-04 09:00")
    # general, closed after NOW (a replayed snapshot): not closed yet at NOW, deadline ahead
    case(con, "g2", "V2", registered="2026-03-04 09:00", deadline="2026-03-06 09:00", closed="2026-03-05 10:00")
    insert(con, "hotline_orders", with_path({
        "order_id": "h1", "source_system": "t", "source_id": "h1", "received_at": ts("2026-03-01 10:00"),
        "agency": "城管中队", "contacted_at": ts("2026-03-01 12:30"), "due_at": ts("2026-03-04 10:00"),
        "closed_at": ts("2026-03-03 16:00"), "callback_at": ts("2026-03-04 09:00"), "satisfaction": "basic",
        "status": "closed", "citizen_name": "王小明", "citizen_phone": "13812345678"}, "V2"))
    return con


def by_key(life) -> dict:
    return {s.key: s for s in life.stages}


def test_urgent_case_durations_limits_and_flags(con: duckdb.DuckDBPyConnection) -> None:
    life = case_lifecycle(con, "u1", NOW)
    assert life is not None
    st = by_key(life)
    assert list(st) == ["reported", "registered", "dispatched", "arrived", "first_result", "disposed", "closed"]
    assert [s.since_previous for s in life.stages] == [None, 5 * M, 5 * M, 20 * M, 30 * M, 22 * H, 4 * H]
    assert st["arrived"].due_by == datetime(2026, 3, 2, 9, 25) and st["arrived"].state == "late"
    assert st["arrived"].margin == -5 * M
    assert st["first_result"].due_by == datetime(2026, 3, 2, 10, 10) and st["first_result"].state == "met"
    assert st["first_result"].margin == 10 * M
    assert (st["disposed"].state, st["disposed"].margin) == ("met", H)
    assert (st["closed"].state, st["closed"].margin) == ("late", -3 * H)
    assert st["registered"].due_by is None and st["registered"].state == "done"
    assert life.field("escalated") is True and life.field("rework_count") == 2
    assert life.field("address") == "青浦区城中北路88弄3号"  # unmasked here: the dashboard masks per reader


def test_open_case_is_overdue_against_now_and_has_no_urgent_steps(con: duckdb.DuckDBPyConnection) -> None:
    life = case_lifecycle(con, "g1", NOW)
    assert life is not None
    st = by_key(life)
    assert "first_result" not in st and st["arrived"].due_by is None and st["arrived"].state == "open"
    assert (st["closed"].state, st["closed"].margin) == ("overdue", -timedelta(days=1))
    assert st["closed"].at is None and st["closed"].since_previous is None


def test_a_step_recorded_after_now_has_not_happened(con: duckdb.DuckDBPyConnection) -> None:
    life = case_lifecycle(con, "g2", NOW)
    assert life is not None
    closed = by_key(life)["closed"]
    assert (closed.at, closed.state, closed.margin) == (None, "pending", timedelta(hours=24))


def test_lookup_is_limited_to_the_unit_subtree(con: duckdb.DuckDBPyConnection) -> None:
    assert case_lifecycle(con, "u1", NOW, unit="T1") is not None
    assert case_lifecycle(con, "u1", NOW, unit="T2") is None
    assert case_lifecycle(con, "no-such-case", NOW) is None
    assert case_lifecycle(con, "u1' OR '1'='1", NOW) is None  # a value, never SQL


def test_hotline_order_stages(con: duckdb.DuckDBPyConnection) -> None:
    life = order_lifecycle(con, "h1", NOW)
    assert life is not None
    st = by_key(life)
    assert list(st) == ["received", "dispatched", "contacted", "closed", "callback"]
    assert st["dispatched"].at is None and st["dispatched"].state == "done" and life.field("agency") == "城管中队"
    assert st["contacted"].since_previous == 150 * M
    assert st["closed"].since_previous == timedelta(days=2, hours=3, minutes=30)  # from first contact
    assert (st["closed"].state, st["closed"].margin) == ("met", timedelta(hours=18))
    assert st["callback"].since_previous == 17 * H
    assert life.field("citizen_phone") == "13812345678" and life.field("satisfaction") == "basic"
    assert order_lifecycle(con, "h1", NOW, unit="T1") is None
