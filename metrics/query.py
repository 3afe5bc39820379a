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


@dataclass(frozen=True)
class Period:
    """A half-open local-time interval [start, end) with the grain it was chosen at."""

    start: datetime
    end: datetime
    grain: Grain = "custom"

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

    def previous(self) -> Period:
        """The previous comparable period: the previous calendar unit, or an equally long custom span."""
        if self.grain in ("day", "week", "month", "quarter", "year"):
            return Period.containing(self.grain, (self.start - timedelta(days=1)).date())
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
