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

**Exact quantiles in two steps** (处置时长中位数, P90: ``FactTable.stock_quantiles``). A median is not a
sum, but a rank is: the histogram rollup ``rollup_cases_handling_by_district`` counts the closed cases
per 立案 day, 结案 day and one-hour bucket of the handling time (in whole seconds), which gives, for a
midnight-aligned period, how many values are in each bucket; the bucket(s) holding the quantile's
ranks ⌊q(N−1)⌋ and ⌈q(N−1)⌉ are then read from ``rollup_cases_handling_values`` (one row per closed
case, stored in bucket order: zone maps skip the other buckets), only their values ordered, and the
two values interpolated as DuckDB's ``quantile_cont`` does. The result is the rows' own quantile (no
approximation); what it spares is reading and ordering every case's value (the bucket holds ~2%).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import duckdb

from etl import schema
from etl.rollup_spec import RollupColumn, RollupSpec

from .catalog import INDICATORS
from .compiler import (
    compile_histogram_read,
    compile_rank_read,
    fact_table,
    histogram_select,
    names_columns,
    needs_as_of,
    quantile,
    stock_select,
    values_select,
)
from .model import Aggregate, Indicator
from .query import Query

NAME = "rollup_cases_stock_by_district"
# a whole-city read of a 16-district city summed ~900k district rows (54 ms CPU); the city grain folds
# the districts' equal day triples together
CITY_NAME = "rollup_cases_stock_by_city"
FACT = "cases"
PATH = ("city_code", "district_code")
CITY_PATH = ("city_code",)
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


def _head(columns: Sequence[str], path: Sequence[str] = PATH) -> tuple[RollupColumn, ...]:
    """The key columns every table of this module starts with: the anchor's day, the path, ``columns``
    truncated to their day."""
    ft = fact_table(FACT)
    types = {c.name: c for c in schema.TABLE_BY_NAME[FACT].columns}
    return (RollupColumn("day", "DATE", f"day of `{ft.stock_columns[0]}`"),
            *(RollupColumn(c, types[c].type, types[c].doc) for c in path),
            *(RollupColumn(c, "TIMESTAMP", f"`{c}` truncated to its day") for c in columns))


def table_for(unit_level: str | None) -> str:
    """The stock table a read scoped at ``unit_level`` (``answers`` said yes) takes: the city grain for the
    whole warehouse or a city, the district grain for a district."""
    return NAME if unit_level == "district" else CITY_NAME


def spec(name: str = NAME, path: tuple[str, ...] = PATH) -> RollupSpec:
    ft = fact_table(FACT)
    cols = (*_head(ft.stock_columns, path), RollupColumn("n", "BIGINT", "cases (not cancelled) with these days"))
    return RollupSpec(name, FACT, ft.stock_columns[0], cols, stock_select(ft, path), stock_select(ft, path, True))


HISTOGRAM = "rollup_cases_handling_by_district"
VALUES = "rollup_cases_handling_values"


def _quantiles() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(scaled measure, the stock columns its declared quantiles' predicates name) per histogram."""
    ft = fact_table(FACT)
    out: dict[str, set[str]] = {m: set() for m in ft.stock_quantiles}
    for ind in INDICATORS:
        agg = ind.numerator
        if agg.table == FACT and agg.measure == "quantile" and agg.expr in out and set(agg.filter) <= ft.stock:
            out[str(agg.expr)] |= {c for p in agg.filter for c in names_columns(ft, p, ft.stock_columns)}
    return tuple((m, tuple(c for c in ft.stock_columns if c in cols)) for m, cols in out.items())


QUANTILES = _quantiles()
(MEASURE, HISTOGRAM_COLUMNS), = QUANTILES  # one histogram: the handling time's


def quantile_covers(ind: Indicator) -> bool:
    """A quantile of the histogram's measure over stock predicates that need no as-of instant (exact at
    midnight bounds), its denominator (if any) the count of the same rows."""
    ft, agg = fact_table(FACT), ind.numerator
    return (ind.table == FACT and agg.measure == "quantile" and agg.expr == MEASURE
            and set(agg.filter) <= ft.stock and not any(needs_as_of(ft, p) for p in agg.filter)
            and (ind.denominator is None or ind.denominator == Aggregate(FACT, agg.filter)))


def quantile_value(con: duckdb.DuckDBPyConnection, ind: Indicator, query: Query, unit_level: str | None
                   ) -> tuple[float | None, int] | None:
    """(the quantile, rows it is taken over) of the query's period: histogram, then the ranks' bucket rows;
    None if the value table does not hold the ranks the histogram promises (tables out of step: never
    after a build or a load, which write both in one transaction; the caller then reads rows)."""
    ft, agg = fact_table(FACT), ind.numerator
    hist = compile_histogram_read(HISTOGRAM, ft, agg, query, unit_level)
    counts = con.execute(hist.sql, hist.params).fetchall()
    total = sum(int(n) for _, n in counts)
    if total == 0:
        return None, 0
    pos = quantile(agg) * (total - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    before, seen, first, last = 0, 0, 0, 0
    found = False
    for b, n in counts:  # the buckets holding ranks lo and hi (0-based), and the rows before the first
        if not found and lo < seen + int(n):
            first, before, found = int(b), seen, True
        seen += int(n)
        if hi < seen:
            last = int(b)
            break
    rank = compile_rank_read(VALUES, ft, agg, query, unit_level)
    params = {**rank.params, "b0": first, "b1": last, "skip": lo - before, "take": hi - lo + 1}
    values = [int(v) for (v,) in con.execute(rank.sql, params).fetchall()]
    if len(values) != hi - lo + 1:
        return None
    x0, x1 = values[0], values[-1]
    # DuckDB's quantile_cont: lo + (hi − lo) · (pos − ⌊pos⌋), then the declared divisor (``scaled``)
    return (x0 + (x1 - x0) * (pos - lo)) / float(ft.scaled[MEASURE][1]), total


def histogram_spec() -> RollupSpec:
    ft = fact_table(FACT)
    cols = (*_head(HISTOGRAM_COLUMNS),
            RollupColumn("b", "BIGINT", f"bucket of `{ft.scaled[MEASURE][0]}`: floor(value / "
                                        f"{ft.stock_quantiles[MEASURE]})"),
            RollupColumn("n", "BIGINT", "cases (not cancelled) with a value, with these days and bucket"))
    return RollupSpec(HISTOGRAM, FACT, ft.stock_columns[0], cols,
                      histogram_select(ft, MEASURE, HISTOGRAM_COLUMNS, PATH),
                      histogram_select(ft, MEASURE, HISTOGRAM_COLUMNS, PATH, True))


def values_spec() -> RollupSpec:
    ft = fact_table(FACT)
    inner = ft.scaled[MEASURE][0]
    cols = (*_head(HISTOGRAM_COLUMNS),
            RollupColumn("b", "BIGINT", f"bucket of `{inner}` (as in `{HISTOGRAM}`)"),
            RollupColumn("v", "BIGINT", f"`{inner}` of one case (not cancelled); stored in bucket order"))
    return RollupSpec(VALUES, FACT, ft.stock_columns[0], cols, values_select(ft, MEASURE, HISTOGRAM_COLUMNS, PATH),
                      values_select(ft, MEASURE, HISTOGRAM_COLUMNS, PATH, True), order_by="b, v")


SPECS: Sequence[RollupSpec] = (spec(), spec(CITY_NAME, CITY_PATH), histogram_spec(), values_spec())
TABLES = (NAME, CITY_NAME)
