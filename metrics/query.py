"""What every metric question is asked with: a unit scope, a period and filters.

These frozen values are the contract between the pages and the metrics layer: a page builds a
``Query`` from its filter bar (or URL), the metrics layer answers it. Parsing from untrusted input
(URL query strings, callback payloads) raises ``QueryError`` with a message fit to show a user.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Literal

from etl import schema

Grain = Literal["day", "week", "month", "quarter", "year", "custom"]
# the warehouse's urgency codes: the filter bar offers and accepts exactly these
URGENCIES = schema.URGENCIES
GRAINS: tuple[Grain, ...] = ("day", "week", "month", "quarter", "year", "custom")


class QueryError(ValueError):
    """A filter value that cannot be used. The message is shown to the user as is."""


PRESETS: tuple[Grain, ...] = ("day", "week", "month", "quarter", "year")
# How far back the same days of the previous period lie, in months (week and day: in days)
_BACK_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_BACK_DAYS = {"day": 1, "week": 7}


def _months_back(day: date, months: int) -> date:
    """``day`` ``months`` calendar months earlier, on the same day of the month or the month's last day
    (31 March → 28/29 February, 29 February → 28 February of a year before)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


@dataclass(frozen=True)
class Period:
    """A half-open local-time interval [start, end) with the grain it was chosen at.

    **The period convention** (the one place it is written; docs/pages.md "Periods"): a preset period
    that holds the data's 'now' is *running* and covers only its days so far, [start, today + 1 day),
    with ``full_end`` the end of the whole calendar unit (``to_date``; ``partial``). "This month" on 7 December is
    1–7 December, never 1–31 December. A running period is compared with the *same days* of the
    previous one (同期): 1–7 November, by calendar (31 March → 1–28/29 February; a year to 29 February
    → 1 January–28 February of the year before), not with the whole previous month. Whole periods
    (``full_end`` None) compare with the whole previous unit as before.
    """

    start: datetime
    end: datetime
    grain: Grain = "custom"
    full_end: datetime | None = None  # the end of the calendar unit a partial (running / 同期) period is part of

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise QueryError(f"period end {self.end:%Y-%m-%d} is not after its start {self.start:%Y-%m-%d}")

    @staticmethod
    def containing(grain: Grain, day: date) -> Period:
        """The day/week (Mon–Sun)/month/quarter/year that contains ``day``."""
        if grain == "day":
            start = day
            end = day + timedelta(days=1)
        elif grain == "week":
            start = day - timedelta(days=day.weekday())
            end = start + timedelta(days=7)
        elif grain == "month":
            start = day.replace(day=1)
            end = start + timedelta(days=calendar.monthrange(day.year, day.month)[1])
        elif grain == "quarter":
            first_month = 3 * ((day.month - 1) // 3) + 1
            start = date(day.year, first_month, 1)
            end = date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
        elif grain == "year":
            start = date(day.year, 1, 1)
            end = date(day.year + 1, 1, 1)
        else:
            raise QueryError(f"unknown period grain {grain!r}")
        return Period(datetime.combine(start, time()), datetime.combine(end, time()), grain)

    @staticmethod
    def custom(start: date, end_inclusive: date) -> Period:
        if end_inclusive < start:
            raise QueryError(f"the end date {end_inclusive} is before the start date {start}")
        return Period(datetime.combine(start, time()), datetime.combine(end_inclusive + timedelta(days=1), time()))

    def to_date(self, today: date) -> Period:
        """The period as far as ``today`` (the data's 'now', ``dashboard.data.view_now``): a preset period
        holding ``today`` becomes running (its days up to and including today); any other is unchanged."""
        if self.grain not in PRESETS or self.full_end is not None:
            return self
        if not self.start.date() <= today < self.end.date():
            return self
        return Period(self.start, datetime.combine(today + timedelta(days=1), time()), self.grain, self.end)

    @property
    def partial(self) -> bool:
        """The first days of a calendar unit: a running period (the data's 'now' lies in its last day) or
        the same days of an earlier unit it is compared with."""
        return self.full_end is not None

    @property
    def last_day(self) -> date:
        """The last day the period covers (inclusive)."""
        return (self.end - timedelta(days=1)).date()

    def whole(self) -> Period:
        """The whole calendar unit of a running period (itself for any other)."""
        return Period(self.start, self.full_end, self.grain) if self.full_end is not None else self

    def previous(self) -> Period:
        """The previous comparable period: the previous calendar unit, or an equally long custom span;
        for a running period the same days of the previous unit (同期), itself running-shaped."""
        if self.grain in PRESETS:
            whole = Period.containing(self.grain, (self.start - timedelta(days=1)).date())
            if self.full_end is None:
                return whole
            last = self.last_day
            same = (_months_back(last, _BACK_MONTHS[self.grain]) if self.grain in _BACK_MONTHS
                    else last - timedelta(days=_BACK_DAYS[self.grain]))
            end = min(datetime.combine(same + timedelta(days=1), time()), whole.end)
            return Period(whole.start, end, self.grain, whole.end)
        return Period(self.start - (self.end - self.start), self.start, "custom")

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


@dataclass(frozen=True)
class Query:
    """Unit scope (a subtree: any unit code, None = the whole warehouse), period and filters."""

    period: Period
    unit: str | None = None
    category: str | None = None  # a category_code, or a major_code prefix such as "E01"
    source: str | None = None  # cases.source
    urgency: str | None = None  # urgent | general
    status: str | None = None  # cases.status

    def with_period(self, period: Period) -> Query:
        return replace(self, period=period)

    def previous(self) -> Query:
        return replace(self, period=self.period.previous())
