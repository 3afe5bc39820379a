"""按时办结率 of a running period counts the orders due so far (due_at < a = min(period end, data
'now')), as 应结案数 does: an order due later this month is not late yet. Hand-computed across the
February/March 2026 boundary with the data's 'now' = 2026-03-20 12:00.

    order received  due             closed          counted in (on time?)
    o1    02-20     02-27 10:00     02-26 10:00     Feb (yes)
    o2    02-25     03-02 10:00     03-03 10:00     Mar (no: closed after due)
    o3    03-10     03-15 10:00     03-14 10:00     Mar (yes)
    o4    03-15     03-25 10:00     —               not yet due: in no month so far
    o5    03-18     03-19 10:00     —               Mar (no: open past due)
    o6    03-19     03-28 10:00     03-20 09:00     not yet due (closed early, counts when due)

March so far: 1 on time of 3 due (o2, o3, o5) = 33.3%; the old rule counted o4 and o6 too: 2 / 5.
"""

from __future__ import annotations

from datetime import date

import pytest

from metrics import Period, Query, indicator_values, monthly_trend
from metrics.hotline_explore import kpis_and_month, rate_trend
from tests.metrics.warehouse import insert, new_warehouse, ts, with_path

ID = "hotline_ontime_rate"
FEB = Query(Period.containing("month", date(2026, 2, 10)))
MARCH = Query(Period.containing("month", date(2026, 3, 10)))
APRIL = Query(Period.containing("month", date(2026, 4, 10)))


def order(con, order_id: str, received: str, due: str, closed: str | None = None) -> None:  # type: ignore[no-untyped-def]
    insert(con, "hotline_orders", with_path({
        "order_id": order_id, "source_system": "t", "source_id": order_id, "received_at": ts(received),
        "due_at": ts(due), "closed_at": ts(closed), "status": "closed" if closed else "open"}, "V1"))


@pytest.fixture
def running(tmp_path):  # type: ignore[no-untyped-def]
    con = new_warehouse(tmp_path)
    order(con, "o1", "2026-02-20 10:00", "2026-02-27 10:00", "2026-02-26 10:00")
    order(con, "o2", "2026-02-25 10:00", "2026-03-02 10:00", "2026-03-03 10:00")
    order(con, "o3", "2026-03-10 10:00", "2026-03-15 10:00", "2026-03-14 10:00")
    order(con, "o4", "2026-03-15 10:00", "2026-03-25 10:00")
    order(con, "o5", "2026-03-18 10:00", "2026-03-19 10:00")
    order(con, "o6", "2026-03-19 10:00", "2026-03-28 10:00", "2026-03-20 09:00")
    insert(con, "warehouse_meta", {"key": "data_now", "value": "2026-03-20 12:00:00"})
    return con


def test_running_month_counts_the_orders_due_so_far(running) -> None:  # type: ignore[no-untyped-def]
    v = indicator_values(running, [ID], MARCH, overrides={})[ID]
    assert (v.numerator, v.denominator) == (1, 3) and v.value == pytest.approx(1 / 3)
    assert v.previous_value == 1.0  # February, a past month: every order due in it (o1)


def test_past_and_future_months(running) -> None:  # type: ignore[no-untyped-def]
    feb = indicator_values(running, [ID], FEB, overrides={})[ID]
    assert (feb.numerator, feb.denominator) == (1, 1)
    apr = indicator_values(running, [ID], APRIL, overrides={})[ID]
    assert apr.denominator == 0 and apr.value is None  # nothing is due yet in a month still to come


def test_trends_and_the_hotline_pages_live_month_agree(running) -> None:  # type: ignore[no-untyped-def]
    fast = rate_trend(running, MARCH, 3, ids=(ID,), overrides={})
    assert list(fast["numerator"].fillna(0)) == [0, 1, 1] and list(fast["denominator"].fillna(0)) == [0, 1, 3]
    slow = monthly_trend(running, [ID], MARCH, months=3, overrides={})
    assert list(slow["numerator"].fillna(0)) == [0, 1, 1] and list(slow["denominator"]) == [0, 1, 3]
    _, live = kpis_and_month(running, Query(MARCH.period), MARCH.period, overrides={})
    assert live is not None
    row = live[live["metric_id"] == ID].iloc[0]
    assert (row["numerator"], row["denominator"]) == (1, 3)
