"""The one period convention (issue 18): a running period covers its days so far and compares with the
same days of the previous one (同期). Every expected date below is worked out by hand from a calendar."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from metrics.query import Period


def d(y: int, m: int, day: int) -> datetime:
    return datetime(y, m, day)


@pytest.mark.parametrize(
    ("grain", "today", "covers", "same_days"),
    [
        # 7 December: 1–7 December against 1–7 November (the example)
        ("month", date(2026, 12, 7), (d(2026, 12, 1), d(2026, 12, 8)), (d(2026, 11, 1), d(2026, 11, 8))),
        # a month boundary: 31 March against February, which has no 29–31 in 2026
        ("month", date(2026, 3, 31), (d(2026, 3, 1), d(2026, 4, 1)), (d(2026, 2, 1), d(2026, 3, 1))),
        # 29 February (leap year): the month against 1–29 January, the year against 1 Jan–28 Feb 2027
        ("month", date(2028, 2, 29), (d(2028, 2, 1), d(2028, 3, 1)), (d(2028, 1, 1), d(2028, 1, 30))),
        ("year", date(2028, 2, 29), (d(2028, 1, 1), d(2028, 3, 1)), (d(2027, 1, 1), d(2027, 3, 1))),
        ("quarter", date(2028, 2, 29), (d(2028, 1, 1), d(2028, 3, 1)), (d(2027, 10, 1), d(2027, 11, 30))),
        # 1 January: one day of the month, quarter and year, against 1 December / 1 October / 1 January
        ("month", date(2027, 1, 1), (d(2027, 1, 1), d(2027, 1, 2)), (d(2026, 12, 1), d(2026, 12, 2))),
        ("quarter", date(2027, 1, 1), (d(2027, 1, 1), d(2027, 1, 2)), (d(2026, 10, 1), d(2026, 10, 2))),
        ("year", date(2027, 1, 1), (d(2027, 1, 1), d(2027, 1, 2)), (d(2026, 1, 1), d(2026, 1, 2))),
        # a Monday (7 Dec 2026) at 00:30: the week is that Monday, against Monday 30 November
        ("week", date(2026, 12, 7), (d(2026, 12, 7), d(2026, 12, 8)), (d(2026, 11, 30), d(2026, 12, 1))),
        ("day", date(2026, 12, 7), (d(2026, 12, 7), d(2026, 12, 8)), (d(2026, 12, 6), d(2026, 12, 7))),
        # a Sunday: the whole week so far, against the whole previous week
        ("week", date(2026, 12, 6), (d(2026, 11, 30), d(2026, 12, 7)), (d(2026, 11, 23), d(2026, 11, 30))),
        # 30 May against April, which ends on the 30th; 31 May against the same
        ("month", date(2026, 5, 30), (d(2026, 5, 1), d(2026, 5, 31)), (d(2026, 4, 1), d(2026, 5, 1))),
        ("month", date(2026, 5, 31), (d(2026, 5, 1), d(2026, 6, 1)), (d(2026, 4, 1), d(2026, 5, 1))),
    ],
)
def test_a_running_period_covers_its_days_so_far_against_the_same_days_before(grain, today, covers, same_days):
    p = Period.containing(grain, today).to_date(today)
    assert (p.start, p.end) == covers
    assert p.partial and p.last_day == today
    prev = p.previous()
    assert (prev.start, prev.end) == same_days
    assert prev.partial  # the same days of a unit, not the whole of it
    assert p.whole() == Period.containing(grain, today)
    assert prev.whole() == Period.containing(grain, today).previous()


def test_the_same_days_of_the_same_days_go_back_one_more_unit():
    p = Period.containing("month", date(2026, 12, 7)).to_date(date(2026, 12, 7))
    pp = p.previous().previous()
    assert (pp.start, pp.end) == (d(2026, 10, 1), d(2026, 10, 8))


@pytest.mark.parametrize(
    ("grain", "anchor", "today"),
    [
        ("month", date(2026, 11, 15), date(2026, 12, 7)),  # a past month: whole
        ("month", date(2027, 1, 15), date(2026, 12, 7)),  # a month still to come: whole (and empty)
        ("week", date(2026, 11, 30), date(2026, 12, 7)),  # last week, seen on a Monday
        ("year", date(2025, 6, 1), date(2026, 12, 7)),
    ],
)
def test_a_period_that_does_not_hold_today_is_whole(grain, anchor, today):
    p = Period.containing(grain, anchor)
    assert p.to_date(today) == p and not p.to_date(today).partial
    assert p.previous().end == p.start and not p.previous().partial


def test_a_whole_month_still_compares_with_the_whole_previous_month():
    p = Period.containing("month", date(2026, 3, 15))
    assert (p.previous().start, p.previous().end) == (d(2026, 2, 1), d(2026, 3, 1))
    assert not p.previous().partial


def test_custom_periods_are_never_clipped():
    p = Period.custom(date(2026, 12, 1), date(2026, 12, 31))
    assert p.to_date(date(2026, 12, 7)) == p
    assert (p.previous().start, p.previous().end) == (d(2026, 10, 31), d(2026, 12, 1))
