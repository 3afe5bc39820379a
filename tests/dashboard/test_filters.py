"""URL ⇄ filter state: round trips, clear errors for junk, cascading unit picks."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dashboard.filters import FilterState, parse, state_from_controls, to_query
from metrics.explore import Drill
from metrics.query import QueryError

TODAY = date(2026, 11, 15)


def test_defaults_are_this_month_so_far() -> None:
    # the running month covers its days up to today (the period convention), the whole month its full end
    q = to_query(parse({}), TODAY)
    assert (q.period.start, q.period.end, q.period.grain) == (datetime(2026, 11, 1), datetime(2026, 11, 16), "month")
    assert q.period.full_end == datetime(2026, 12, 1)
    assert (q.previous().period.start, q.previous().period.end) == (datetime(2026, 10, 1), datetime(2026, 10, 16))
    assert q.unit is None and q.category is None


def test_a_past_month_is_whole() -> None:
    q = to_query(parse({"date": "2026-10-20"}), TODAY)
    assert (q.period.start, q.period.end, q.period.partial) == (datetime(2026, 10, 1), datetime(2026, 11, 1), False)


def test_round_trip_through_the_url() -> None:
    state = FilterState(unit="310118001000", period="quarter", date=date(2026, 5, 3), category="E01",
                        urgency="urgent", drill=Drill("hour_dow", "9:2"))
    search = state.search()
    params = dict(p.split("=", 1) for p in search.lstrip("?").split("&"))
    from urllib.parse import unquote

    again = parse({k: unquote(v) for k, v in params.items()})
    assert again == state
    q = to_query(again, TODAY)
    assert (q.period.start, q.period.end) == (datetime(2026, 4, 1), datetime(2026, 7, 1))


def test_custom_range_is_inclusive() -> None:
    q = to_query(parse({"period": "custom", "start": "2026-11-01", "end": "2026-11-03"}), TODAY)
    assert (q.period.start, q.period.end) == (datetime(2026, 11, 1), datetime(2026, 11, 4))


@pytest.mark.parametrize(("params", "fragment"), [
    ({"period": "custom", "start": "2026-11-05", "end": "2026-11-01"}, "before the start"),
    ({"period": "custom", "start": "2026-11-05"}, "needs both"),
    ({"period": "fortnight"}, "period=fortnight"),
    ({"date": "yesterday"}, "not a date"),
    ({"unit": "<script>"}, "not a valid code"),
    ({"urgency": "very"}, "urgency=very"),
    ({"drill": "nonsense"}, "cannot drill"),
    ({"evil": "1"}, "unknown URL parameter"),
])
def test_junk_gives_a_clear_message(params: dict[str, str], fragment: str) -> None:
    with pytest.raises(QueryError, match=fragment):
        parse(params)


def test_cascade_town_change_drops_the_old_grid() -> None:
    current = FilterState(unit="310118001G01")
    new = state_from_controls({"town": "310118002000", "grid": "310118001G01", "village": None, "period": "month"},
                              "town", current, today=TODAY)
    assert new.unit == "310118002000"
    cleared = state_from_controls({"town": "310118002000", "grid": None, "period": "month"}, "grid", new, today=TODAY)
    assert cleared.unit == "310118002000"


def test_a_filter_change_clears_the_drill() -> None:
    current = FilterState(drill=Drill("day", "2026-11-03"))
    new = state_from_controls({"period": "month", "category": "E01"}, "category", current, today=TODAY)
    assert new.drill is None and new.category == "E01"


def test_custom_period_without_dates_starts_from_the_sites_month() -> None:
    """Switching to 'custom' with no dates fills the month of the site's today (passed in), not the server's."""
    new = state_from_controls({"period": "custom"}, "period", FilterState(), today=date(2028, 2, 29))
    assert (new.start, new.end) == (date(2028, 2, 1), date(2028, 2, 29))
    anchored = state_from_controls({"period": "custom"}, "period", FilterState(date=date(2027, 1, 1)), today=TODAY)
    assert (anchored.start, anchored.end) == (date(2027, 1, 1), date(2027, 1, 31))


def test_the_anchor_and_the_data_now_are_apart() -> None:
    # historical data ending 2018-10-22: the default anchor is in September (its last full month) and
    # September is whole; October, when asked for, runs to the 22nd
    sep = to_query(parse({}), date(2018, 9, 30), date(2018, 10, 22)).period
    assert (sep.start, sep.end, sep.partial) == (datetime(2018, 9, 1), datetime(2018, 10, 1), False)
    assert (sep.previous().start, sep.previous().end) == (datetime(2018, 8, 1), datetime(2018, 9, 1))
    octo = to_query(parse({"date": "2018-10-05"}), date(2018, 9, 30), date(2018, 10, 22)).period
    assert (octo.start, octo.end, octo.partial) == (datetime(2018, 10, 1), datetime(2018, 10, 23), True)
