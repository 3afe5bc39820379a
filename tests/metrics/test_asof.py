"""Stock figures at the as-of instant a = min(period end, data 'now'), hand-computed across the
February/March 2026 boundary with the data's 'now' = 2026-03-20 12:00 (March is the running month).

    case  registered      deadline        closed
    b1    02-20 09:00     02-25 09:00     03-05 09:00
    b2    02-25 09:00     03-15 09:00     —
    b3    03-10 09:00     03-25 09:00     —            (due later in the running month)
    b4    03-18 09:00     03-19 09:00     03-19 08:00
    b5    02-28 23:50     02-28 23:55     03-01 00:05  (open across midnight)
    order received        closed
    h1    02-27 10:00     03-02 10:00
    h2    03-15 10:00     —
    h3    03-19 10:00     03-20 10:00
"""

from __future__ import annotations

from datetime import date

import pytest

from metrics import Period, Query, drill, indicator_values, monthly_trend
from metrics.explore import overdue_cases
from tests.metrics.warehouse import case, insert, new_warehouse, ts, with_path

MARCH = Query(Period.containing("month", date(2026, 3, 10)))
FEB = Query(Period.containing("month", date(2026, 2, 10)))
APRIL = Query(Period.containing("month", date(2026, 4, 10)))
STOCK = ["open_backlog", "overdue_backlog", "hotline_backlog", "due", "closed", "closure_rate"]


def order(con, order_id: str, received: str, closed: str | None = None) -> None:
    insert(con, "hotline_orders", with_path({
        "order_id": order_id, "source_system": "t", "source_id": order_id, "received_at": ts(received),
        "closed_at": ts(closed), "due_at": ts(received), "status": "closed" if closed else "open"}, "V1"))


@pytest.fixture
def running(tmp_path):
    con = new_warehouse(tmp_path)
    case(con, "b1", registered="2026-02-20 09:00", deadline="2026-02-25 09:00", closed="2026-03-05 09:00")
    case(con, "b2", registered="2026-02-25 09:00", deadline="2026-03-15 09:00")
    case(con, "b3", registered="2026-03-10 09:00", deadline="2026-03-25 09:00")
    case(con, "b4", registered="2026-03-18 09:00", deadline="2026-03-19 09:00", closed="2026-03-19 08:00")
    case(con, "b5", registered="2026-02-28 23:50", deadline="2026-02-28 23:55", closed="2026-03-01 00:05")
    order(con, "h1", "2026-02-27 10:00", "2026-03-02 10:00")
    order(con, "h2", "2026-03-15 10:00")
    order(con, "h3", "2026-03-19 10:00", "2026-03-20 10:00")
    insert(con, "warehouse_meta", {"key": "data_now", "value": "2026-03-20 12:00:00"})
    return con


def values(con, query):
    return {k: v.value for k, v in indicator_values(con, STOCK, query, overrides={}).items()}


def test_running_month_stock_is_taken_now(running):
    v = values(running, MARCH)
    assert v["open_backlog"] == 2  # b2, b3 open at 03-20 12:00 (b1, b5 closed, b4 closed)
    assert v["overdue_backlog"] == 1  # b2 (deadline 03-15); b3 is due 03-25, not overdue yet
    assert v["hotline_backlog"] == 1  # h2; h3 closed 03-20 10:00
    # due so far: b1 (earlier, open at 03-01), b2 (03-15), b4 (03-19), b5? closed 00:05 on 03-01 → open
    # at 03-01 00:00, deadline in Feb → due in March too; b3 (03-25) is not due yet
    assert v["due"] == 4
    assert v["closed"] == 3  # b1, b4, b5
    assert v["closure_rate"] == pytest.approx(3 / 4)


def test_past_month_stock_is_taken_at_its_end(running):
    v = values(running, FEB)
    assert v["open_backlog"] == 3  # b1, b2, b5 at 03-01 00:00
    assert v["overdue_backlog"] == 2  # b1, b5 (b2 due 03-15)
    assert v["hotline_backlog"] == 1  # h1
    assert v["due"] == 2 and v["closed"] == 0  # b1, b5, neither closed by 03-01 00:00


def test_previous_value_and_trend_use_each_periods_own_instant(running):
    ov = indicator_values(running, ["overdue_backlog"], MARCH, overrides={})["overdue_backlog"]
    assert (ov.value, ov.previous_value) == (1, 2)
    trend = monthly_trend(running, ["open_backlog", "due"], MARCH, months=2, overrides={})
    got = {(str(m), k): v for m, k, v in zip(trend.month, trend.metric_id, trend.value, strict=True)}
    assert got[("2026-02-01", "open_backlog")] == 3 and got[("2026-03-01", "open_backlog")] == 2
    assert got[("2026-02-01", "due")] == 2 and got[("2026-03-01", "due")] == 4


def test_future_period_shows_current_stock(running):
    v = values(running, APRIL)
    assert v["open_backlog"] == 2 and v["overdue_backlog"] == 1 and v["hotline_backlog"] == 1


def test_drill_and_overdue_list_match_the_figures(running):
    rows, total = drill(running, "overdue_backlog", MARCH, overrides={})
    assert total == 1 and list(rows.case_id) == ["b2"]
    rows, total = drill(running, "due", MARCH, overrides={})
    assert sorted(rows.case_id) == ["b1", "b2", "b4", "b5"] and total == 4
    page, total = overdue_cases(running, MARCH)
    assert total == 1 and list(page.case_id) == ["b2"]
    page, total = overdue_cases(running, FEB)
    assert total == 2 and list(page.case_id) == ["b1", "b5"]  # oldest deadline first


def test_without_a_recorded_now_the_period_end_is_used(running):
    running.execute("DELETE FROM warehouse_meta")
    v = values(running, MARCH)
    # as of 04-01: b2, b3 open and both overdue; b3 is due in March
    assert v["open_backlog"] == 2 and v["overdue_backlog"] == 2 and v["due"] == 5


def test_running_month_due_counts_only_cases_due_by_now(running):
    # b3 (deadline 03-25, after 'now' 03-20 12:00) is not due yet: it neither inflates 应结案数 nor
    # depresses 结案率/按期结案率 while the month runs; b6, due 03-20 11:00, already is.
    case(running, "b6", registered="2026-03-19 09:00", deadline="2026-03-20 11:00")
    vals = indicator_values(running, ["due", "closure_rate", "ontime_closure_rate"], MARCH, overrides={})
    assert vals["due"].value == 5  # b1 b2 b4 b5 b6
    assert vals["closure_rate"].value == pytest.approx(3 / 5)  # b1 b4 b5 closed
    assert vals["ontime_closure_rate"].value == pytest.approx(1 / 5)  # b4 only (b1, b5 closed late)
    rows, _ = drill(running, "closure_rate", MARCH, part="denominator", overrides={})
    assert "b3" not in set(rows.case_id) and "b6" in set(rows.case_id)


def test_sensors_take_the_same_now_as_the_pages(running):
    # both keys recorded: 'now' wins, as for every other figure (it used to be whichever row came first)
    from datetime import datetime

    from metrics.indicators import data_now
    from metrics.sensors import as_of_time

    assert as_of_time(running, MARCH) == datetime(2026, 3, 20, 12)  # data_now alone
    insert(running, "warehouse_meta", {"key": "now", "value": "2026-03-18 08:00:00"})
    for _ in range(3):
        assert as_of_time(running, MARCH) == datetime(2026, 3, 18, 8) == data_now(running)
    assert as_of_time(running, FEB) == datetime(2026, 3, 1)  # a period ended before it: its end
