"""Indicator tables: every declared indicator × unit × period (each day, each month), as statements
that run on DuckDB or Spark (``metrics.dialect``), over the raw tables wherever they live.

One statement per fact table and unit level (``compiler.compile_period_table``, then one row per
indicator: ``values_sql``), joined with the ``indicator_periods`` table (``period_rows``). The
result columns are ``RESULT_COLUMNS``; ``metrics.batch`` runs them (``vitals spark rollups``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from etl.schema import PATH_LEVELS

from .compiler import PERIOD_TABLE, Compiled, as_of, compile_period_table, fact_table
from .model import Indicator
from .query import Grain, QueryError

# None: the whole warehouse (key NULL); then every unit path slot (etl.schema.PATH_LEVELS: city, district,
# town, grid, village) and the rows' own unit ("unit": unit_code), as the fact tables' keys name them
LEVELS: tuple[str | None, ...] = (None, *PATH_LEVELS, "unit")
GRAINS: tuple[Grain, ...] = ("day", "month")
# the columns of each file; ``fact`` and ``level`` are its directories (hive partitions) fact=<table>/level=<level>
RESULT_COLUMNS = ("key", "grain", "period_start", "period_end", "metric_id", "numerator", "denominator",
                  "value")


@dataclass(frozen=True)
class PeriodRow:
    """One row of ``indicator_periods``: [s, e) and its as-of instant ``a`` (``compiler.as_of``)."""

    period_id: int
    grain: Grain
    s: datetime
    e: datetime
    a: datetime


def period_rows(first: date, last: date, now: datetime | None, grains: Sequence[Grain] = GRAINS
                ) -> list[PeriodRow]:
    """Every day and every calendar month (``grains``) that overlaps [first, last]."""
    if last < first:
        raise QueryError(f"the last day {last} is before the first {first}")
    from .query import Period

    out: list[PeriodRow] = []
    for grain in grains:
        day = first if grain == "day" else first.replace(day=1)
        while day <= last:
            p = Period.containing(grain, day)
            out.append(PeriodRow(len(out), grain, p.start, p.end, as_of(p, now)))
            day = p.end.date()
    return out


def _value_sql(ind: Indicator, n: str, d: str | None) -> tuple[str, str, str]:
    """(numerator, denominator, value) as SQL over the aggregate columns ``n``/``d``: what
    ``indicators.value_of`` makes of the aggregates, so a row here equals the dashboard's figure."""
    num = f"CAST(coalesce({n}, 0) AS DOUBLE)"
    den = f"CAST(coalesce({d}, 0) AS DOUBLE)" if d else "CAST(NULL AS DOUBLE)"
    if ind.kind == "count":
        return num, "CAST(NULL AS DOUBLE)", num
    if ind.kind == "duration":  # the quantile is the value; the denominator the rows it was measured on
        return "CAST(NULL AS DOUBLE)", den, f"CASE WHEN {den} <> 0 THEN CAST({n} AS DOUBLE) END"
    return num, den, f"CASE WHEN {den} <> 0 THEN {num} / {den} END"  # a zero denominator has no rate


def values_sql(table: str, indicators: Sequence[Indicator], levels: Sequence[str | None] = LEVELS,
               measure_params: Mapping[str, Any] | None = None) -> Compiled:
    """The indicator table rows (``RESULT_COLUMNS`` + level) of ``indicators`` (all over ``table``) for
    every period of ``indicator_periods`` and every unit of each of ``levels`` the table is keyed by."""
    ft_keys = fact_table(table).keys
    wide = compile_period_table(table, indicators, [lv for lv in levels if lv is None or lv in ft_keys],
                                measure_params)
    cases: dict[str, list[str]] = {"numerator": [], "denominator": [], "value": []}
    for ind in indicators:
        n, d = wide.aliases[ind.id]
        for col, sql in zip(cases, _value_sql(ind, f"w.{n}", f"w.{d}" if d else None), strict=True):
            cases[col].append(f"WHEN '{ind.id}' THEN {sql}")
    ids = ", ".join(f"('{ind.id}')" for ind in indicators)
    sql = ("SELECT w.key AS key, p.grain AS grain, p.s AS period_start, p.e AS period_end, "
           "i.metric_id AS metric_id,\n  "
           + ",\n  ".join(f"CASE i.metric_id {' '.join(c)} END AS {col}" for col, c in cases.items())
           + ", w.level AS level"
           + f"\nFROM ({wide.sql}) AS w\nJOIN {PERIOD_TABLE} AS p ON p.period_id = w.period_id\n"
           f"CROSS JOIN (VALUES {ids}) AS i(metric_id)\nWHERE w.level = 'all' OR w.key IS NOT NULL")
    return Compiled(sql, wide.params, wide.aliases)


def by_table(indicators: Sequence[Indicator]) -> dict[str, list[Indicator]]:
    out: dict[str, list[Indicator]] = {}
    for ind in indicators:
        out.setdefault(ind.table, []).append(ind)
    return out
