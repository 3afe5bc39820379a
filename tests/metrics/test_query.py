from __future__ import annotations

from datetime import date, datetime

import pytest

from metrics.query import Period, QueryError


@pytest.mark.parametrize(
    ("grain", "day", "start", "end"),
    [
        ("day", date(2026, 3, 1), datetime(2026, 3, 1), datetime(2026, 3, 2)),
        ("week", date(2026, 11, 22), datetime(2026, 11, 16), datetime(2026, 11, 23)),  # a Sunday
        ("month", date(2024, 2, 10), datetime(2024, 2, 1), datetime(2024, 3, 1)),
        ("quarter", date(2026, 11, 22), datetime(2026, 10, 1), datetime(2027, 1, 1)),
        ("quarter", date(2026, 2, 28), datetime(2026, 1, 1), datetime(2026, 4, 1)),
        ("year", date(2026, 7, 1), datetime(2026, 1, 1), datetime(2027, 1, 1)),
    ],
)
def test_period_containing(grain, day, start, end):
    p = Period.containing(grain, day)
    assert (p.start, p.end) == (start, end)


def test_previous_month_of_march_is_february_in_a_leap_year():
    p = Period.containing("month", date(2024, 3, 15)).previous()
    assert (p.start, p.end) == (datetime(2024, 2, 1), datetime(2024, 3, 1))


def test_previous_custom_period_has_the_same_length():
    p = Period.custom(date(2026, 1, 10), date(2026, 1, 19))
    prev = p.previous()
    assert prev.end == p.start and prev.days == p.days == 10


def test_inverted_custom_range_is_a_clear_error():
    with pytest.raises(QueryError, match="before the start"):
        Period.custom(date(2026, 1, 10), date(2026, 1, 1))
