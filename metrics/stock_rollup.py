"""The stock rollup: 应结案数, 结案数 and the backlogs at an instant, kept per (立案 day, deadline day, 结案 day).

应结案数 (``due``), 结案数 (``due`` and ``closed_by_end``), 未结案件 and 超期未结 (``open_at_end``,
``overdue_at_end``) are not additive over days (each ties the period's bounds and its as-of instant to
three timestamps of a case), so the indicator rollups cannot answer them. But each of those predicates
only compares 立案, the deadline and 结案 with the bounds (``FactTable.stock``), so counting the cases
per district and per the *days* of those three columns answers them exactly for midnight bounds: the
district demo's 1M cases fold into ~75k rows. The running period's as-of instant (the data's now,
mid-day) is handled by ``compiler.compile_stock_scan``: the rollup for every case with no stock column
on that day, the rows for those that have one.

Anchored at 立案 (``registered_at``: a case's row lives on its registration day), so the indicator
rollups' maintenance keeps it (``etl.rollups``: a load recomputes the registration days it touches;
a late closure or a moved deadline recomputes the case's day). Read for day-aligned periods over the
whole warehouse or a district with no filter, one value for the whole scope (``indicators.scan``);
anything else reads rows. ``tests/metrics/test_stock_rollup.py``: rollup = rows over random periods,
as-of instants and scopes.
"""

from __future__ import annotations

from collections.abc import Sequence

from etl import schema
from etl.rollup_spec import RollupColumn, RollupSpec

from .compiler import fact_table, stock_select
from .model import Indicator
from .query import Query

NAME = "rollup_cases_stock_by_district"
FACT = "cases"
PATH = ("city_code", "district_code")
SCOPES = (None, "city", "district")  # unit levels a read may be scoped at (None: the whole warehouse)


def covers(ind: Indicator) -> bool:
    """Whether the indicator is counts of stock predicates only (it can be read from the stock rollup)."""
    ft = fact_table(FACT)
    aggs = [a for a in (ind.numerator, ind.denominator) if a is not None]
    return ind.table == FACT and all(a.table == FACT and a.measure == "count" and set(a.filter) <= ft.stock
                                     for a in aggs)


def answers(query: Query, by: str | None, unit_level: str | None) -> bool:
    """Whether a read of this query (day-aligned periods: the caller checks) can come from the rollup."""
    ft = fact_table(FACT)
    return by is None and unit_level in SCOPES and all(getattr(query, f) is None for f in ft.filters)


def spec() -> RollupSpec:
    ft = fact_table(FACT)
    types = {c.name: c for c in schema.TABLE_BY_NAME[FACT].columns}
    cols = (RollupColumn("day", "DATE", f"day of `{ft.stock_columns[0]}`"),
            *(RollupColumn(c, types[c].type, types[c].doc) for c in PATH),
            *(RollupColumn(c, "TIMESTAMP", f"`{c}` truncated to its day") for c in ft.stock_columns),
            RollupColumn("n", "BIGINT", "cases (not cancelled) with these days"))
    return RollupSpec(NAME, FACT, ft.stock_columns[0], cols, stock_select(ft, PATH), stock_select(ft, PATH, True))


SPECS: Sequence[RollupSpec] = (spec(),)
