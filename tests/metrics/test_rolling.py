"""vital_signs(rolling=True): 7/30/90-day windows ending at the as-of instant, hand-computed.

data 'now' = 2026-03-20 12:00, so for March the windows are [03-13 12:00, 03-20 12:00),
[02-18 12:00, …) and [2025-12-20 12:00, …). Cases (registered, proactive):

    r1 03-19 yes   r2 03-15 no   r3 03-01 yes   r7 02-25 yes   r4 02-20 no   r5 01-10 yes
    r8 03-13 09:00 yes (3 h before the 7-day window opens)
"""

from __future__ import annotations

from datetime import date

import pytest

from metrics import Period, Query, vital_signs
from tests.metrics.warehouse import case, insert, new_warehouse

MARCH = Query(Period.containing("month", date(2026, 3, 10)))
IDS = ["proactive_rate", "escalation_rate"]  # target 85% (higher), 5% (lower, none escalated → capped)


@pytest.fixture
def wh(tmp_path):
    con = new_warehouse(tmp_path)
    for cid, day, pro in [("r1", "03-19", True), ("r2", "03-15", False), ("r3", "03-01", True),
                          ("r7", "02-25", True), ("r4", "02-20", False), ("r5", "01-10", True)]:
        case(con, cid, registered=f"2026-{day} 09:00", deadline="2026-04-30 09:00", proactive=pro)
    case(con, "r8", registered="2026-03-13 09:00", deadline="2026-04-30 09:00", proactive=True)
    insert(con, "warehouse_meta", {"key": "data_now", "value": "2026-03-20 12:00:00"})
    return con


def test_windows_values_and_scores(wh):
    vs = vital_signs(wh, MARCH, IDS, rolling=True, overrides={})
    pro = next(s for s in vs.signs if s.metric_id == "proactive_rate")
    assert pro.value == pytest.approx(3 / 4)  # March: r1 r2 r3 r8
    got = {r.days: r.value for r in pro.rolling}
    assert got[7] == pytest.approx(1 / 2)  # r1 r2
    assert got[30] == pytest.approx(4 / 6)  # r1 r2 r3 r8 r7 r4
    assert got[90] == pytest.approx(5 / 7)  # + r5
    assert [r.score for r in pro.rolling] == pytest.approx([0.5 / 0.85, (4 / 6) / 0.85, (5 / 7) / 0.85])
    esc = next(s for s in vs.signs if s.metric_id == "escalation_rate")
    assert [r.value for r in esc.rolling] == [0, 0, 0] and [r.score for r in esc.rolling] == [1.5] * 3
    overall = {r.days: r.score for r in vs.rolling}
    assert overall[7] == pytest.approx((0.5 / 0.85 + 1.5) / 2)
    dim = next(d for d in vs.dimensions if d.dimension == "城市治理")
    assert [r.score for r in dim.rolling] == pytest.approx([r.score for r in vs.rolling])


def test_off_by_default_and_period_values_unchanged(wh):
    plain = vital_signs(wh, MARCH, IDS, overrides={})
    rolled = vital_signs(wh, MARCH, IDS, rolling=True, overrides={})
    assert plain.rolling == () and all(s.rolling == () for s in plain.signs)
    assert [(s.value, s.previous_value, s.score) for s in plain.signs] == \
        [(s.value, s.previous_value, s.score) for s in rolled.signs]
    assert plain.overall == rolled.overall


def test_windows_end_at_the_period_end_for_a_past_period(wh):
    feb = Query(Period.containing("month", date(2026, 2, 10)))
    pro = next(s for s in vital_signs(wh, feb, IDS, rolling=True, overrides={}).signs)
    # windows end 03-01 00:00: 7 days → r7 (02-25); 30 days (from 01-30) → r7 r4; 90 days → + r5
    assert [r.value for r in pro.rolling] == pytest.approx([1.0, 1 / 2, 2 / 3])
