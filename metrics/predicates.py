"""The declared vocabulary the compiler may put into SQL: predicates, measures, scope and keys.

Only identifiers and fragments declared here are ever interpolated into SQL; every value (period
bounds, unit codes, filter values) is bound as a parameter. Predicate templates use ``{s}`` and
``{e}`` for the bounds of the half-open period [s, e), replaced by ``$s<i>``/``$e<i>`` parameters so
that one scan can evaluate several periods (the query's and the previous one) side by side. ``{a}``
(``$a<i>``) is the period's as-of instant: min(e, the data's 'now' in ``warehouse_meta``). Stock
figures are taken at it: a past month's backlog is what was open at its end, the running month's is
what is open now, and the running month's cases due are only those due by now.

应结案数 (cases due to close, "due" below) for a period [s, e): registered before e, not cancelled, and
either the deadline falls in [s, e), or the deadline fell before s and the case was still open at s
(closed_at is NULL or ≥ s). 结案数 is the part of those closed before e, so 结案率 ≤ 100%. For the
running period "the deadline falls in [s, e)" is "in [s, a)": a case due later this month is not due yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from etl.schema import LEVELS as SCHEMA_LEVELS

V = TypeVar("V")


def _m(d: dict[str, V]) -> Mapping[str, V]:
    return MappingProxyType(d)


_CASE_DUE = (
    "registered_at < {e} AND deadline_at < {a} "
    "AND (deadline_at >= {s} OR closed_at IS NULL OR closed_at >= {s})"
)
_CASE_REG = "registered_at >= {s} AND registered_at < {e}"
_URGENT = "urgency = 'urgent' AND dispatched_at >= {s} AND dispatched_at < {e}"


@dataclass(frozen=True)
class FactTable:
    name: str
    base: str  # applied to every row of every scan (e.g. cancelled cases are out)
    # Rows that can satisfy any predicate of any period within [{s}, {e}) = [earliest start, latest
    # end): exact (never drops a row a predicate would count), it only spares the aggregates work.
    window: str
    id_column: str
    predicates: Mapping[str, str]
    # predicate -> the rows that can satisfy it in any period within [{s}, {e}): a scan whose every
    # aggregate requires that predicate reads only these (e.g. a previous period's 立案数 alone reads the
    # cases registered in it, not the whole backlog the table's window keeps for 应结案数 and 未结案件)
    narrow: Mapping[str, str] = field(default_factory=lambda: _m({}))
    measures: Mapping[str, str] = field(default_factory=lambda: _m({}))
    keys: Mapping[str, str] = field(default_factory=lambda: _m({}))  # by → grouping column
    filters: Mapping[str, str] = field(default_factory=lambda: _m({}))  # Query field → SQL with $param
    drill_columns: tuple[str, ...] = ()
    # Rollups (metrics.rollups): predicate -> the timestamp column that alone ties it to the period. Such
    # a predicate is "that column in [{s}, {e})" and a period-free rest (urgent_dispatched also needs
    # urgency = 'urgent'), so over day-aligned periods its count is the sum of its counts per day of
    # that column: an aggregate whose one period-dependent predicate is anchored is additive.
    anchors: Mapping[str, str] = field(default_factory=lambda: _m({}))
    # the columns a rollup keeps besides the day and the unit path: what ``filters`` filter on
    rollup_dims: tuple[str, ...] = ()
    # measure -> (weight parameter, predicate) pairs: a measure that is the weighted count of declared
    # predicates (the satisfaction score), so a rollup keeps one count per predicate and applies the
    # weights when read (a site's own weights then need no rebuild)
    linear: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=lambda: _m({}))
    # measure -> (an integer measure in the same order, its divisor): a quantile of the measure is the
    # quantile of the integer one divided after (a positive factor keeps the order and the linear
    # interpolation). DuckDB selects the rank among ~1M BIGINTs at about half the cost of the doubles
    # the division per row makes (the /cases year view's 处置时长中位数: 135 → 80 ms CPU)
    scaled: Mapping[str, tuple[str, str]] = field(default_factory=lambda: _m({}))
    # The stock rollup (metrics/stock_rollup.py): timestamp columns kept truncated to their day, and the
    # predicates that compare only those columns with the period bounds (never two columns with each
    # other, never a time of day): over midnight bounds such a predicate is true of a row exactly when it
    # is true of its day-truncated columns, so a count of rows per (day, day, day) answers it exactly.
    stock_columns: tuple[str, ...] = ()
    stock: frozenset[str] = frozenset()
    # scaled measure -> the width of the histogram buckets of its integer measure: a quantile of it over
    # stock predicates is located in a bucket by a histogram rollup, then read exactly from that
    # bucket's rows (metrics/stock_rollup.py)
    stock_quantiles: Mapping[str, int] = field(default_factory=lambda: _m({}))


_LEVEL_KEYS = {
    "city": "city_code",
    "district": "district_code",
    "town": "town_code",
    "grid": "grid_code",
    "village": "village_code",
    "unit": "unit_code",
}

CASES = FactTable(
    name="cases",
    base="NOT coalesce(cancelled, false)",
    window="(closed_at IS NULL OR closed_at >= {s} OR registered_at >= {s} OR deadline_at >= {s} "
           "OR dispatched_at >= {s}) AND (registered_at < {e} OR dispatched_at < {e})",
    id_column="case_id",
    narrow=_m({"registered": _CASE_REG, "urgent_dispatched": _URGENT}),
    predicates=_m({
        "registered": _CASE_REG,
        "due": _CASE_DUE,
        "closed_by_end": "closed_at < {e}",
        "closed_on_time": "closed_at < {e} AND closed_at <= deadline_at",
        "disposed_on_time": "disposed_at < {e} AND disposed_at <= deadline_at",
        "reworked": "rework_count > 0",
        "supervision": "supervision_report",
        "proactive": "proactive",
        "escalated": "escalated",
        "open_at_end": "registered_at < {a} AND (closed_at IS NULL OR closed_at >= {a})",
        "overdue_at_end": "deadline_at < {a}",
        "closed_in_period": "registered_at < {e} AND closed_at >= {s} AND closed_at < {e}",
        "urgent_dispatched": _URGENT,
        "arrived_15min": "arrived_at <= dispatched_at + INTERVAL 15 MINUTE",
        "first_result_60min": "first_result_at <= dispatched_at + INTERVAL 60 MINUTE",
        "arrival_breach": "arrived_at IS NULL OR arrived_at > dispatched_at + INTERVAL 15 MINUTE",
        "result_breach": "first_result_at IS NULL OR first_result_at > dispatched_at + INTERVAL 60 MINUTE",
        "at_station": "station_code IS NOT NULL",
    }),
    measures=_m({"handling_hours": "date_diff('second', registered_at, closed_at) / 3600.0",
                 "handling_seconds": "date_diff('second', registered_at, closed_at)"}),
    scaled=_m({"handling_hours": ("handling_seconds", "3600.0")}),
    keys=_m({**_LEVEL_KEYS, "station": "station_code", "department": "dept_code"}),
    filters=_m({
        "category": "starts_with(category_code, $category)",
        "source": "source = $source",
        "urgency": "urgency = $urgency",
        "status": "status = $status",
    }),
    anchors=_m({"registered": "registered_at", "urgent_dispatched": "dispatched_at"}),
    rollup_dims=("category_code", "source", "urgency", "status"),
    stock_columns=("registered_at", "deadline_at", "closed_at"),
    stock=frozenset({"due", "closed_by_end", "open_at_end", "overdue_at_end", "closed_in_period"}),
    stock_quantiles=_m({"handling_hours": 3600}),  # one hour: the median's bucket holds ~2% of the year's cases
    drill_columns=("case_id", "source", "urgency", "category_code", "status", "reported_at", "registered_at",
                   "dispatched_at", "arrived_at", "first_result_at", "disposed_at", "closed_at", "deadline_at",
                   "rework_count", "escalated", "supervision_report", "proactive", "station_code", "dept_code",
                   "town_code", "grid_code", "village_code", "unit_code"),
)

HOTLINE = FactTable(
    name="hotline_orders",
    # Orders a mapping declares cancelled (status 'cancelled': withdrawn, duplicate...) are out of every
    # hotline indicator, as cancelled cases are out of every case indicator: a cancelled order with a
    # close date is not a closure, one without is not backlog.
    base="status IS DISTINCT FROM 'cancelled'",
    window="(received_at >= {s} OR due_at >= {s} OR closed_at IS NULL OR closed_at >= {s}) "
           "AND (received_at < {e} OR due_at < {e})",
    id_column="order_id",
    narrow=_m({"received": "received_at >= {s} AND received_at < {e}"}),
    predicates=_m({
        "received": "received_at >= {s} AND received_at < {e}",
        "contact_recorded": "first_contact IS NOT NULL",
        "contacted_first": "first_contact",
        "resolution_recorded": "resolution IN ('resolved', 'explained')",
        "resolved": "resolution = 'resolved'",
        "rated": "satisfaction IN ('satisfied', 'basic', 'unsatisfied')",
        "satisfied": "satisfaction = 'satisfied'",
        "basic_satisfied": "satisfaction = 'basic'",
        "unsatisfied": "satisfaction = 'unsatisfied'",
        # due so far: a running period's orders due later are not due yet (not late), as 应结案数
        "due_in_period": "due_at >= {s} AND due_at < {a}",
        "closed_by_due": "closed_at <= due_at",
        "closed_by_end": "closed_at < {e}",
        "open_at_end": "received_at < {a} AND (closed_at IS NULL OR closed_at >= {a})",
    }),
    measures=_m({
        # weights bound as parameters: metrics.config.SATISFACTION_WEIGHTS (满意 1, 基本满意 0.9, 不满意 0),
        # overridable per site in [metrics.hotline.satisfaction_weights]
        "satisfaction_score": "CASE satisfaction WHEN 'satisfied' THEN $w_satisfied WHEN 'basic' THEN $w_basic "
                              "WHEN 'unsatisfied' THEN $w_unsatisfied END",
        "close_hours": "date_diff('second', received_at, closed_at) / 3600.0",
        "close_seconds": "date_diff('second', received_at, closed_at)",
    }),
    scaled=_m({"close_hours": ("close_seconds", "3600.0")}),
    linear=_m({"satisfaction_score": (("w_satisfied", "satisfied"), ("w_basic", "basic_satisfied"),
                                       ("w_unsatisfied", "unsatisfied"))}),
    anchors=_m({"received": "received_at"}),
    rollup_dims=("category", "channel", "urgency", "status"),
    keys=_m({**_LEVEL_KEYS, "department": "dept_code", "agency": "agency"}),
    filters=_m({
        "category": "category = $category",
        "source": "channel = $source",
        "urgency": "urgency = $urgency",
        "status": "status = $status",
    }),
    drill_columns=("order_id", "channel", "received_at", "category", "subcategory", "urgency", "agency", "status",
                   "first_contact", "due_at", "closed_at", "resolution", "satisfaction", "callback_at", "case_id",
                   "town_code", "grid_code", "village_code", "unit_code"),
)

ALARMS = FactTable(
    name="sensor_alarms",
    base="true",
    window="started_at >= {s} AND started_at < {e}",
    id_column="alarm_id",
    predicates=_m({
        "started": "started_at >= {s} AND started_at < {e}",
        "severity_alarm": "severity = 'alarm'",
        "severity_warning": "severity = 'warning'",
        "to_case": "case_id IS NOT NULL",
    }),
    keys=_m(dict(_LEVEL_KEYS)),
    anchors=_m({"started": "started_at"}),
    drill_columns=("alarm_id", "sensor_id", "severity", "started_at", "ended_at", "peak_value", "case_id",
                   "town_code", "grid_code", "village_code", "unit_code"),
)

TABLES: Mapping[str, FactTable] = _m({t.name: t for t in (CASES, HOTLINE, ALARMS)})

LEVELS = SCHEMA_LEVELS
