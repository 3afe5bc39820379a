"""Indicator values: per unit (``indicator_table``), for the whole scope (``indicator_values``),
by month (``monthly_trend``) and the rows behind a value (``drill``)."""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from types import EllipsisType
from typing import Any, Literal

import duckdb
import pandas as pd

from etl.schema import PATH_LEVELS

from . import stock_rollup
from .catalog import resolve
from .compiler import compile_scan, compile_stock_scan, drill_sql, fact_table, period_slots, unit_clause
from .config import measure_params, metrics_overrides
from .model import Indicator, IndicatorValue, clean, ratio, status_of
from .query import Period, Query, QueryError
from .rollups import Rollup, compile_read, day_aligned, readable
from .rollups import ready as rollups_ready
from .snapshot_facts import fact

By = Literal["city", "district", "town", "grid", "village", "unit", "station", "department", "agency"] | None
TABLE_COLUMNS = ["key", "name", "metric_id", "numerator", "denominator", "value", "previous_value",
                 "target", "status"]
_ORG_LEVELS = PATH_LEVELS


def unit_level(con: duckdb.DuckDBPyConnection, unit: str | None) -> str | None:
    if unit is None:
        return None

    def look_up() -> str:
        row = con.execute("SELECT level FROM org_unit WHERE unit_code = $u", {"u": unit}).fetchone()
        if row is None:
            raise QueryError(f"unknown unit {unit!r}")
        return str(row[0])
    return fact(con, ("unit_level", unit), look_up)


def unit_scope(con: duckdb.DuckDBPyConnection, query: Query, alias: str = ""
               ) -> tuple[str, dict[str, Any], str | None]:
    """The query's unit subtree over a table with the unit path columns (``compiler.unit_clause``),
    its parameters, and the unit's level."""
    level = unit_level(con, query.unit)
    clause, params = unit_clause(query.unit, level, alias)
    return clause, params, level


# the data's 'now' recorded by the ETL: key ``now``, else ``data_now`` (also run by ``metrics.batch``)
DATA_NOW_SQL = ("SELECT value FROM warehouse_meta WHERE key IN ('now', 'data_now') "
                "ORDER BY key = 'now' DESC LIMIT 1")


def data_now(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The data's 'now' recorded by the ETL (``warehouse_meta`` key ``now`` or ``data_now``), if any:
    stock figures (backlog, cases due so far) of a running period are taken at it."""
    def look_up() -> datetime | None:
        row = con.execute(DATA_NOW_SQL).fetchone()
        return parse_now(row[0] if row else None)
    return fact(con, "data_now", look_up)


def parse_now(value: object) -> datetime | None:
    """A recorded 'now' as a datetime; None when missing or unreadable (an unreadable value must not
    take every page down: periods then end at their end)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


# ``now=...`` (the default) reads the data's 'now' from the warehouse; a caller that already holds it (a
# page keeps it per snapshot) passes it, None included (no recorded 'now')
Now = datetime | None | EllipsisType


# (numerator, denominator, value) of one indicator in one period
Triple = tuple[float | None, float | None, float | None]


def value_of(ind: Indicator, num: Any, den: Any) -> Triple:
    """(numerator, denominator, value) of one indicator from its aggregate results."""
    n, d = clean(num), clean(den)
    if ind.kind == "count":
        return (n if n is not None else 0.0), None, (n if n is not None else 0.0)
    if ind.kind == "duration":
        # the quantile is the value; the denominator is how many rows it was measured on
        return None, (d or 0.0), (n if d else None)
    return (n if n is not None else 0.0), (d or 0.0), ratio(n if n is not None else 0.0, d)


def scan(con: duckdb.DuckDBPyConnection, inds: Sequence[Indicator], query: Query, periods: Sequence[Period],
         by: str | None, overrides: Mapping[str, Any] | None = None, current_only: Collection[str] = (),
         now: Now = ..., slots: Mapping[str, Collection[int]] | None = None, *, use_rollups: bool = True
         ) -> dict[str, dict[str, list[tuple[float | None, float | None, float | None]]]]:
    """indicator id -> key -> per period (numerator, denominator, value). One statement per table, or
    per rollup: additive indicators (``metrics.rollups``) over day-aligned periods, grouped by a key the
    rollup keeps, are read from their rollup when the warehouse's are current (``use_rollups=False``:
    always from rows, what the rollups are tested against). ``overrides`` (default: the site's
    ``[metrics]``) supplies the measures' weights. Indicators in ``current_only`` are computed for the
    first period only (no value in the others); ``slots`` names, per indicator id, the period indices it
    is computed for (no value in the others)."""
    level = unit_level(con, query.unit)
    now = data_now(con) if now is ... else now
    weights = measure_params(metrics_overrides(overrides))
    out: dict[str, dict[str, list[tuple[float | None, float | None, float | None]]]] = {}
    # fact table (rows), rollup, or the stock rollup's name -> its indicators
    statements: dict[str | Rollup, list[Indicator]] = {}
    from_rollups = use_rollups and day_aligned(periods) and rollups_ready(con)
    stock = from_rollups and stock_rollup.answers(query, by, level)
    for ind in inds:
        rollup = readable(ind, by, query, level) if from_rollups else None
        if rollup is None and stock and stock_rollup.quantile_covers(ind):
            # an exact quantile in two small reads (histogram, then its bucket's rows), per period
            wanted = period_slots(ind.id, len(periods), current_only, slots)
            got = [stock_rollup.quantile_value(con, ind, replace(query, period=p), level) if i in wanted
                   else (None, 0) for i, p in enumerate(periods)]
            if all(g is not None for g in got):
                out[ind.id] = {"": [value_of(ind, *g) if g is not None and i in wanted else value_of(ind, None, None)
                                    for i, g in enumerate(got)]}
                continue
        if rollup is None and stock and stock_rollup.covers(ind):
            statements.setdefault(stock_rollup.table_for(level), []).append(ind)
            continue
        statements.setdefault(ind.table if rollup is None else rollup, []).append(ind)
    for source, group in statements.items():
        if isinstance(source, Rollup):
            comp = compile_read(source, group, periods, by, query, level, weights, current_only, slots)
        elif source in stock_rollup.TABLES:
            comp = compile_stock_scan(source, fact_table(stock_rollup.FACT), group, periods, query, level, now,
                                      current_only, slots)
        else:
            comp = compile_scan(source, group, periods, by, query, level, now, weights, current_only, slots,
                                wide_window=window_pays(con, source, periods))
        cur = con.execute(comp.sql, comp.params)
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for ind in group:
            num, den = comp.aliases[ind.id]
            per_key = out.setdefault(ind.id, {})
            wanted = period_slots(ind.id, len(periods), current_only, slots)
            for r in rows:
                key = "" if r["key"] is None else str(r["key"])
                per_key[key] = [value_of(ind, r[f"{num}_p{i}"], r[f"{den}_p{i}"] if den else None)
                                if i in wanted else value_of(ind, None, None)
                                for i in range(len(periods))]
            if by is None and not rows:
                per_key[""] = [value_of(ind, None, None) for _ in periods]
    return out


# The table window (``FactTable.window``: an OR over four or five timestamp columns, which no zone map
# can prune) is tested on every row to spare the flags and aggregates of the rows it drops. Over a
# month of a year's data it drops most and pays (district KPI scan 41 → 26 ms CPU); over periods that
# cover most of the data's span it drops few and costs more than it spares (district × year: it keeps
# 95% of the rows, and the scan takes 62 ms without it against 82 with it).
WINDOW_PAYS_BELOW = 0.8  # of the data's span covered by [earliest start, latest end)


def window_pays(con: duckdb.DuckDBPyConnection, table: str, periods: Sequence[Period]) -> bool:
    """Whether a row scan of ``table`` over ``periods`` should test the table window: unless the
    periods cover ``WINDOW_PAYS_BELOW`` or more of the span of the table's first anchor column (its
    rows' main time, e.g. 立案 for cases). The answer changes the cost, never the result."""
    ft = fact_table(table)
    col = next(iter(ft.anchors.values()), None)
    if col is None or not periods:
        return True
    lo, hi = fact(con, ("span", table), lambda: tuple(con.execute(  # our identifiers, from the declarations
        f"SELECT min({col}), max({col}) FROM {ft.name}").fetchone() or (None, None)))
    if lo is None or hi is None or hi <= lo:
        return True
    start, end = max(min(p.start for p in periods), lo), min(max(p.end for p in periods), hi)
    return bool((end - start) / (hi - lo) < WINDOW_PAYS_BELOW)


def unit_names(con: duckdb.DuckDBPyConnection, by: str | None, query: Query) -> dict[str, str]:
    """key -> display name of every unit of ``by`` in the query's scope (so empty units still show)."""
    if by is None:
        return {}
    level = unit_level(con, query.unit)
    scope, params = "", {}
    if query.unit is not None and level in _ORG_LEVELS:
        scope, params = f" AND {level}_code = $u", {"u": query.unit}
    if by in _ORG_LEVELS:
        sql = f"SELECT unit_code, name_zh FROM org_unit WHERE level = $lvl{scope}"
        params["lvl"] = by
    elif by == "station":
        sql = f"SELECT station_code, name_zh FROM station WHERE true{scope}"
    elif by == "department":
        if query.unit is not None and level not in ("city", "district"):  # departments serve the district
            return {}
        sql = "SELECT dept_code, name_zh FROM department"
    else:
        return {}
    return {str(k): str(n) for k, n in con.execute(sql, params).fetchall()}


def results_frame(inds: Sequence[Indicator], results: Mapping[str, Mapping[str, list[Triple]]],
                  names: Mapping[str, str],
           period_index: int, with_previous: bool, by: str | None, query: Query) -> pd.DataFrame:
    # built column by column (not a list of row dicts): for 332 stations the row-dict frame was most of
    # the cost of ``station_closure`` after its scan
    cols: dict[str, list[Any]] = {c: [] for c in TABLE_COLUMNS}
    for ind in inds:
        per_key = dict(results.get(ind.id, {}))
        for k in names:
            per_key.setdefault(k, [value_of(ind, None, None)] * (period_index + 2))
        for key, vals in sorted(per_key.items()):
            num, den, value = vals[period_index]
            prev = vals[period_index + 1][2] if with_previous and len(vals) > period_index + 1 else None
            cols["key"].append(key if by is not None else (query.unit or ""))
            cols["name"].append(names.get(key, key))
            cols["metric_id"].append(ind.id)
            cols["numerator"].append(num)
            cols["denominator"].append(den)
            cols["value"].append(value)
            cols["previous_value"].append(prev)
            cols["target"].append(ind.target)
            cols["status"].append(status_of(ind, value))
    df = pd.DataFrame(cols, columns=TABLE_COLUMNS)  # columns typed as a frame of row dicts would be
    for c in ("numerator", "denominator", "value", "previous_value", "target"):
        df[c] = df[c].astype("float64")
    return df


def indicator_table(con: duckdb.DuckDBPyConnection, ids: str | Sequence[str], query: Query, by: By = None, *,
                    overrides: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One row per (unit, indicator): key, name, metric_id, numerator, denominator, value, previous_value,
    target, status. Units of ``by`` in scope without any row still appear (with no value)."""
    cfg = metrics_overrides(overrides)
    inds = resolve(list(ids) if not isinstance(ids, str) else ids, cfg)
    periods = [query.period, query.period.previous()]
    results = scan(con, inds, query, periods, by, cfg)
    return results_frame(inds, results, unit_names(con, by, query), 0, True, by, query)


def unscoped(query: Query) -> bool:
    """The query reads the whole warehouse: no unit subtree and no filter."""
    return query.unit is None and all(getattr(query, f) is None for f in ("category", "source", "urgency", "status"))


def indicator_values(con: duckdb.DuckDBPyConnection, ids: str | Sequence[str], query: Query, *,
                     overrides: Mapping[str, Any] | None = None, previous: Collection[str] | None = None,
                     now: Now = ...) -> dict[str, IndicatorValue]:
    """Each indicator over the whole query scope, with the previous comparable period and status.
    ``previous``: the ids whose previous value is wanted (default all; the others get None and cost
    no previous-period work). ``now``: the data's 'now' if the caller holds it (default: read it)."""
    cfg = metrics_overrides(overrides)
    inds = resolve(list(ids) if not isinstance(ids, str) else ids, cfg)
    now = data_now(con) if now is ... else now
    wanted = [i for i in inds if previous is None or i.id in set(previous)]
    periods = [query.period, query.period.previous()]
    if len(wanted) == len(inds) or not unscoped(query):
        skip = {i.id for i in inds} - {i.id for i in wanted}
        results = scan(con, inds, query, periods, None, cfg, skip, now=now)
        pairs = {i.id: results[i.id][""] for i in inds}
    else:
        # a few previous values of the whole warehouse come from their own scan of the previous period:
        # one scan of both periods would read the previous period's whole window (its backlog, cases
        # due ...) for them, while alone they may read a narrow one (a previous 立案数 reads the cases
        # registered in it). A scoped query (unit, category, urgency ...) keeps one scan: its filter is
        # pushed into the table scan, the window is then evaluated on the scope's rows only, and a
        # second statement would pay the scope filter over every row again (measured slower).
        current = scan(con, inds, query, periods[:1], None, cfg, now=now)
        before = scan(con, wanted, query, periods[1:], None, cfg, now=now) if wanted else {}
        none = (None, None, None)
        pairs = {i.id: [current[i.id][""][0], before[i.id][""][0] if i.id in before else none] for i in inds}
    pairs_prev = {i.id for i in wanted}
    out = {}
    for ind in inds:
        cur, prev = pairs[ind.id]
        out[ind.id] = IndicatorValue(ind.id, ind.zh, ind.en, ind.unit, ind.direction, cur[0], cur[1], cur[2],
                                     prev[2] if ind.id in pairs_prev else None, ind.target, status_of(ind, cur[2]))
    return out


def months_back(end_month_start: datetime, months: int) -> list[Period]:
    """The ``months`` calendar months ending with the one starting at ``end_month_start``, oldest first."""
    out = []
    start = end_month_start
    for _ in range(months):
        days = calendar.monthrange(start.year, start.month)[1]
        out.append(Period(start, start + timedelta(days=days), "month"))
        start = (start - timedelta(days=1)).replace(day=1)
    return out[::-1]


def monthly_trend(con: duckdb.DuckDBPyConnection, ids: str | Sequence[str], query: Query, months: int = 12,
                  by: By = None, *, overrides: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The indicators for the ``months`` months up to the one containing the query period's last day,
    all in one scan per table: columns month (first day) + the ``indicator_table`` columns."""
    if months < 1:
        raise QueryError("months must be at least 1")
    cfg = metrics_overrides(overrides)
    inds = resolve(list(ids) if not isinstance(ids, str) else ids, cfg)
    last = (query.period.end - timedelta(seconds=1)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    periods = months_back(last, months)
    results = scan(con, inds, query, periods, by, cfg)
    names = unit_names(con, by, query)
    frames = []
    for i, p in enumerate(periods):
        df = results_frame(inds, results, names, i, False, by, query)
        df.insert(0, "month", p.start.date())
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def drill(con: duckdb.DuckDBPyConnection, metric_id: str, query: Query, key: str | None = None,
          part: Literal["numerator", "denominator"] = "numerator", limit: int = 100, offset: int = 0, *,
          by: By = None, overrides: Mapping[str, Any] | None = None) -> tuple[pd.DataFrame, int]:
    """The rows counted in an indicator's numerator or denominator for the query period: (page, total).

    ``key`` with ``by`` narrows to one row of an ``indicator_table(..., by=by)``; ``key`` alone is a
    unit code (the unit subtree replaces the query's)."""
    (ind,) = resolve([metric_id], metrics_overrides(overrides))
    if part not in ("numerator", "denominator"):
        raise QueryError(f"part must be numerator or denominator, not {part!r}")
    agg = ind.numerator if part == "numerator" else ind.denominator
    if agg is None:
        raise QueryError(f"{metric_id} is a count: it has no denominator")
    if ind.kind == "duration":
        agg = ind.denominator or agg  # a percentile's rows are the rows it was measured on
    ft = fact_table(agg.table)
    key_column = None
    if key is not None and by is None:
        query = replace(query, unit=key)
    elif key is not None:
        if by is None or by not in ft.keys:
            raise QueryError(f"{ft.name} cannot be grouped by {by!r}")
        key_column = ft.keys[by]
    rows_sql, count_sql, params = drill_sql(ft, agg, query, unit_level(con, query.unit), key_column,
                                            data_now(con))
    if key_column is not None:
        params["key"] = key
    total = int(con.execute(count_sql, params).fetchone()[0])  # type: ignore[index]
    page = con.execute(rows_sql, {**params, "limit": int(limit), "offset": int(offset)}).df()
    return page, total
