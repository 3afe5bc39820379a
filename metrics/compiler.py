"""Compile indicator declarations into one SQL statement per fact table.

For a set of indicators over one fact table, a list of periods and a grouping key, the statement is
a single scan with one conditional aggregate (``FILTER (WHERE ...)``) per distinct aggregate and
period, grouped by the key. Only declared fragments of ``metrics.predicates`` are interpolated;
periods, unit codes and filter values are bound as named parameters.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from etl.schema import LEVELS, PATH_LEVELS

from .model import Aggregate, Indicator
from .predicates import TABLES, FactTable
from .query import Period, Query, QueryError

# a slot's units are counted through its path column; the lowest slot's are the rows' own unit_code
ORG_LEVEL_COLUMN = {**{lv: f"{lv}_code" for lv in PATH_LEVELS}, LEVELS[-1]: "unit_code"}


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: dict[str, Any]
    # indicator id -> (numerator alias, denominator alias or None); result columns are f"{alias}_p{i}"
    aliases: dict[str, tuple[str, str | None]]


def fact_table(name: str) -> FactTable:
    try:
        return TABLES[name]
    except KeyError:
        raise QueryError(f"no metrics are declared over table {name!r}") from None


@dataclass(frozen=True)
class Bound:
    """What a template's period placeholders become: ``{s}``/``{e}`` the period's bounds, ``{a}`` its
    as-of instant. Parameter names (``$s0``) for a scan, columns (``m.s``) for a join against a table
    of periods, plain letters for the docs; None where the caller has no such bound (a template that
    needs it is an error: the caller would silently count another period)."""

    s: str | None
    e: str | None
    a: str | None


PERIOD_FREE = Bound(None, None, None)


def period_bound(i: int) -> Bound:
    """The parameters of period ``i`` of ``period_params``: ``$s<i>``, ``$e<i>``, ``$a<i>``."""
    return Bound(f"$s{i}", f"$e{i}", f"$a{i}")


@dataclass(frozen=True)
class Rendered:
    """Declared fragments rendered for one bound: ``where`` (the predicates' conjunction, ``true`` for
    none), ``measure`` (the measure's expression, if one was asked for) and ``params``, the names of the
    ``$parameters`` both name (the caller binds exactly these: DuckDB rejects unused ones)."""

    where: str
    measure: str | None
    params: frozenset[str]


def _fill(template: str, bound: Bound, what: str) -> str:
    needed = {x for x in "sea" if f"{{{x}}}" in template}
    missing = sorted(x for x in needed if getattr(bound, x) is None)
    if missing:
        raise QueryError(f"{what} needs the period bound(s) {', '.join(missing)}")
    return template.format(**{x: getattr(bound, x) for x in needed})


def render(ft: FactTable, predicates: Sequence[str], bound: Bound = PERIOD_FREE,
           measure: str | None = None) -> Rendered:
    """THE way a declared predicate or measure becomes SQL: every module that needs one calls this
    (a test fails on a module that formats a declared fragment by hand)."""
    parts = []
    for n in predicates:
        if n not in ft.predicates:
            raise QueryError(f"predicate {n!r} is not declared for {ft.name}")
        parts.append("(" + _fill(ft.predicates[n], bound, f"predicate {ft.name}.{n}") + ")")
    where = " AND ".join(parts) or "true"
    expr = None
    if measure is not None:
        if measure not in ft.measures:
            raise QueryError(f"measure {measure!r} is not declared for {ft.name}")
        expr = _fill(ft.measures[measure], bound, f"measure {ft.name}.{measure}")
    names = frozenset(_PARAM.findall(where + " " + (expr or "")))
    return Rendered(where, expr, names)


def counted(table: str, predicates: Sequence[str], bound: Bound) -> str:
    """The rows an indicator over ``table`` counts with these predicates: the table's base filter (e.g.
    cancelled cases are out) and the predicates rendered for ``bound``."""
    ft = fact_table(table)
    return f"({ft.base}) AND {render(ft, predicates, bound).where}"


def aggregate(ft: FactTable, agg: Aggregate, bound: Bound = PERIOD_FREE,
              leave_out: Collection[str] = ()) -> tuple[str, frozenset[str]]:
    """An aggregate as one conditional aggregate call over ``ft``'s rows, and the parameters it names.
    ``leave_out``: predicates the caller's own WHERE or GROUP BY already applies (e.g. the month a
    grouped trend puts each row in)."""
    got = render(ft, [p for p in agg.filter if p not in leave_out], bound,
                 None if agg.measure == "count" else agg.expr)
    if agg.measure == "count":
        return f"count_if({got.where})", got.params
    if agg.measure == "sum":
        return f"sum({got.measure}) FILTER (WHERE {got.where})", got.params
    if agg.expr in ft.scaled:
        inner, divisor = ft.scaled[str(agg.expr)]
        got = render(ft, [p for p in agg.filter if p not in leave_out], bound, inner)
        return (f"quantile_cont({got.measure}, {quantile(agg)!r}) FILTER (WHERE {got.where}) / {divisor}",
                got.params)
    return f"quantile_cont({got.measure}, {quantile(agg)!r}) FILTER (WHERE {got.where})", got.params


def depends_on_period(ft: FactTable, name: str) -> bool:
    """Whether predicate ``name`` of ``ft`` names a period bound (else one flag serves every period)."""
    if name not in ft.predicates:
        raise QueryError(f"predicate {name!r} is not declared for {ft.name}")
    return any(f"{{{x}}}" in ft.predicates[name] for x in "sea")


def unit_clause(unit: str | None, level: str | None, alias: str = "", param: str = "unit"
                ) -> tuple[str, dict[str, Any]]:
    """THE unit subtree filter (every table carries the unit path columns): rows whose column of the
    unit's level names the unit, bound as ``$<param>``; ``true`` without a unit."""
    if unit is None:
        return "true", {}
    if level not in ORG_LEVEL_COLUMN:
        raise QueryError(f"unknown unit {unit!r}")
    col = ORG_LEVEL_COLUMN[level]
    return f"{alias}.{col} = ${param}" if alias else f"{col} = ${param}", {param: unit}


def scope_sql(ft: FactTable, query: Query, unit_level: str | None, base: bool = True
              ) -> tuple[list[str], dict[str, Any]]:
    """WHERE clauses and parameters for the base filter, the unit subtree and the query's filters.

    Filters a table does not have (e.g. ``category`` on alarms) do not apply to it. ``base=False``: over
    a rollup of the table, which holds only rows the base filter keeps (and no column it could test).
    """
    where = [ft.base] if base else []
    params: dict[str, Any] = {}
    if query.unit is not None:
        clause, params = unit_clause(query.unit, unit_level)
        where.append(clause)
    for name in ("category", "source", "urgency", "status"):
        value = getattr(query, name)
        if value is not None and name in ft.filters:
            where.append(ft.filters[name])
            params[name] = value
    return where, params


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def used_params(sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters ``sql`` names: DuckDB rejects a statement given parameters it does not use
    (e.g. ``$s0`` when only end-of-period backlog predicates were compiled)."""
    names = set(_PARAM.findall(sql))
    return {k: v for k, v in params.items() if k in names}


def as_of(period: Period, now: datetime | None) -> datetime:
    """The instant a period's stock figures (backlog, cases due so far) are taken at: its end, or the
    data's 'now' when that is earlier (the running period; a future period shows the current stock)."""
    return period.end if now is None else min(period.end, now)


def period_params(periods: Sequence[Period], now: datetime | None = None) -> dict[str, Any]:
    """$s<i>, $e<i> (bounds of period i) and $a<i> (its as-of instant, ``as_of``)."""
    out: dict[str, Any] = {}
    for i, p in enumerate(periods):
        out[f"s{i}"] = p.start
        out[f"e{i}"] = p.end
        out[f"a{i}"] = as_of(p, now)
    return out


def table_window(ft: FactTable, s: str, e: str) -> str:
    """The rows of ``ft`` that any predicate of any period within [s, e) can count (``FactTable.window``)."""
    return "(" + ft.window.format(s=s, e=e) + ")"


def window_sql(ft: FactTable, aggs: Collection[Aggregate], wide: bool = True) -> str | None:
    """The scan's row window over [$smin, $emax): the declared narrow window of a predicate every
    aggregate requires (each period's predicate implies it, so it drops no counted row), else the
    table's window; None when there is no narrow one and ``wide`` is False (the caller found that the
    table's window would drop too few rows to pay for its test on every row)."""
    shared = set.intersection(*(set(a.filter) for a in aggs)) if aggs else set()
    template = next((ft.narrow[n] for n in sorted(shared) if n in ft.narrow), None)
    if template is None and not wide:
        return None
    return "(" + (template or ft.window).format(s="$smin", e="$emax") + ")"


def quantile(agg: Aggregate) -> float:
    """The quantile of a ``quantile`` aggregate (default the median). It comes from our own frozen
    declaration, never from a request, and is rendered as a float literal."""
    return float(agg.q if agg.q is not None else 0.5)


def period_slots(ind_id: str, n: int, current_only: Collection[str] = (),
                 slots: Mapping[str, Collection[int]] | None = None) -> Collection[int]:
    """The period indices (of ``n``) an indicator is computed for in a scan."""
    if slots is not None and ind_id in slots:
        return slots[ind_id]
    return (0,) if ind_id in current_only else range(n)


def flagged_aggregate(ft: FactTable, agg: Aggregate, cond: str, measures: dict[str, str]) -> str:
    """``agg`` as an aggregate over flag columns (``cond``: their conjunction) and, for a sum or a
    quantile, the measure column it adds to ``measures`` (column -> SQL) if not there yet."""
    if agg.measure == "count":
        return f"count_if({cond})"
    expr, divisor = str(agg.expr), ""
    if agg.measure == "quantile" and expr in ft.scaled:
        expr, d = ft.scaled[expr]
        divisor = f" / {d}"
    m = f"m_{expr}"
    measures.setdefault(m, str(render(ft, (), measure=expr).measure))
    if agg.measure == "sum":
        return f"sum({m}) FILTER (WHERE {cond})"
    return f"quantile_cont({m}, {quantile(agg)!r}) FILTER (WHERE {cond}){divisor}"


def aggregate_aliases(table: str, indicators: Sequence[Indicator]
                      ) -> tuple[dict[Aggregate, str], dict[str, tuple[str, str | None]]]:
    """The distinct aggregates of ``indicators`` (all over ``table``) with their column aliases
    (``a<n>``), and per indicator id its (numerator alias, denominator alias or None)."""
    aggs: dict[Aggregate, str] = {}
    aliases: dict[str, tuple[str, str | None]] = {}
    for ind in indicators:
        if ind.table != table or (ind.denominator is not None and ind.denominator.table != table):
            raise QueryError(f"indicator {ind.id} is not over {table}")
        num = aggs.setdefault(ind.numerator, f"a{len(aggs)}")
        den = aggs.setdefault(ind.denominator, f"a{len(aggs)}") if ind.denominator is not None else None
        aliases[ind.id] = (num, den)
    return aggs, aliases


def compile_scan(table: str, indicators: Sequence[Indicator], periods: Sequence[Period], by: str | None,
                 query: Query, unit_level: str | None, now: datetime | None = None,
                 measure_params: Mapping[str, Any] | None = None, current_only: Collection[str] = (),
                 slots: Mapping[str, Collection[int]] | None = None, wide_window: bool = True) -> Compiled:
    """One statement: an inner projection evaluates each declared predicate once per row and period
    (as a boolean column), the outer aggregates combine those flags. Evaluating each predicate once
    instead of once per aggregate is what keeps a 30-aggregate scan near the cost of the raw scan.

    ``current_only``: ids of indicators needed for the first period only (their aggregates are not
    compiled for the later periods unless another indicator needs them there): a page that shows one
    previous value spares the previous period's flags and aggregates of all the others.
    ``slots``: indicator id -> the period indices it is needed for (overrides ``current_only``; the
    others: every period), e.g. the hotline page's KPIs and its current month's rates in one scan.
    ``wide_window=False``: no table window (``window_sql``) unless a narrow one applies."""
    ft = fact_table(table)
    aggs, aliases = aggregate_aliases(table, indicators)
    needed = [{a for ind in indicators if i in period_slots(ind.id, len(periods), current_only, slots)
               for a in (ind.numerator, ind.denominator) if a is not None} for i in range(len(periods))]
    flags: dict[str, str] = {}  # flag column -> SQL
    measures: dict[str, str] = {}

    def flag(name: str, i: int) -> str:
        col = f"f_{name}_p{i}" if depends_on_period(ft, name) else f"f_{name}"
        flags.setdefault(col, render(ft, (name,), period_bound(i)).where)
        return col

    cols = []
    for i in range(len(periods)):
        for agg, alias in aggs.items():
            if agg not in needed[i]:
                continue
            cond = " AND ".join(flag(n, i) for n in agg.filter) or "true"
            cols.append(f"{flagged_aggregate(ft, agg, cond, measures)} AS {alias}_p{i}")
    where, params = scope_sql(ft, query, unit_level)
    window = window_sql(ft, set().union(*needed), wide_window)
    where += [window] if window else []
    params.update(smin=min(p.start for p in periods), emax=max(p.end for p in periods))
    if by is None:
        inner_key, outer_key, group = [], "NULL::VARCHAR AS key", ""
    else:
        if by not in ft.keys:
            raise QueryError(f"{ft.name} cannot be grouped by {by!r}")
        inner_key, outer_key, group = [f"{ft.keys[by]} AS key"], "key", " GROUP BY 1"
        where.append(f"{ft.keys[by]} IS NOT NULL")
    inner = inner_key + [f"{sql} AS {c}" for c, sql in flags.items()] + [f"{sql} AS {c}" for c, sql in measures.items()]
    sql = (f"SELECT {outer_key},\n  " + ",\n  ".join(cols) + "\nFROM (SELECT " + ",\n    ".join(inner)
           + f"\n  FROM {ft.name}\n  WHERE " + "\n    AND ".join(where) + ")" + group)
    params.update(period_params(periods, now))
    params.update(measure_params or {})
    return Compiled(sql, used_params(sql, params), aliases)


def drill_sql(ft: FactTable, agg: Aggregate, query: Query, unit_level: str | None,
              key_column: str | None, now: datetime | None = None) -> tuple[str, str, dict[str, Any]]:
    """(rows SQL, count SQL, params) for the rows an aggregate counts in the query's period."""
    where, params = scope_sql(ft, query, unit_level)
    where.append(render(ft, agg.filter, period_bound(0)).where)
    if key_column is not None:
        where.append(f"{key_column} = $key")
    params.update(period_params([query.period], now))
    body = f"FROM {ft.name} WHERE " + " AND ".join(where)
    rows = f"SELECT {', '.join(ft.drill_columns)} {body} ORDER BY {ft.id_column} LIMIT $limit OFFSET $offset"
    # the caller adds $key, $limit and $offset; the rest must be exactly what the body names
    return rows, f"SELECT count(*) {body}", used_params(body, params)


PERIOD_TABLE = "indicator_periods"  # period_id, grain, s, e, a: one row per period of an indicator table
PERIOD_COLUMNS = Bound("m.s", "m.e", "m.a")


def compile_period_table(table: str, indicators: Sequence[Indicator], levels: Sequence[str | None],
                         measure_params: Mapping[str, Any] | None = None) -> Compiled:
    """Every indicator over ``table`` for every period of the ``indicator_periods`` table and every
    unit of each of ``levels`` (keys of the table; None: the whole warehouse, key NULL), in one
    statement: each row joins the periods whose window it falls in (``FactTable.window`` at the
    period's bounds), each predicate becomes one flag column at the period's columns (``m.s``,
    ``m.e``, ``m.a``), the aggregates are those of ``compile_scan``, grouped by one grouping set per
    level. Result: level (None → 'all'), key, period_id and one column per aggregate alias
    (``aliases``); a level's rows without a key (a unit path not filled down to it) are left out, as
    ``compile_scan`` leaves them out of a grouped scan.

    The batch form of ``compile_scan`` (which binds each period as parameters): the indicator tables
    of ``vitals spark rollups`` have hundreds of periods (every day and month) and several levels,
    which as parameters and statements would be hundreds of columns and a scan per level."""
    ft = fact_table(table)
    aggs, aliases = aggregate_aliases(table, indicators)
    flags: dict[str, str] = {}
    measures: dict[str, str] = {}

    def flag(name: str) -> str:
        flags.setdefault(f"f_{name}", render(ft, (name,), PERIOD_COLUMNS).where)
        return f"f_{name}"

    cols = [f"{flagged_aggregate(ft, agg, ' AND '.join(flag(n) for n in agg.filter) or 'true', measures)} AS {alias}"
            for agg, alias in aggs.items()]
    unknown = [lv for lv in levels if lv is not None and lv not in ft.keys]
    if unknown:
        raise QueryError(f"{ft.name} cannot be grouped by {unknown[0]!r}")
    keyed = [lv for lv in levels if lv is not None]
    key_cols = {lv: f"k_{lv}" for lv in keyed}
    # each grouping set groups by one level's key column: grouping() of that column alone is 0
    level = "CASE " + " ".join(f"WHEN grouping({c}) = 0 THEN '{lv}'" for lv, c in key_cols.items()) + " ELSE 'all' END"
    key = "CASE " + " ".join(f"WHEN grouping({c}) = 0 THEN {c}" for c in key_cols.values()) + " END"
    sets = [f"({c}, period_id)" for c in key_cols.values()] + (["(period_id)"] if None in levels else [])
    inner = [f"{ft.keys[lv]} AS {c}" for lv, c in key_cols.items()] + ["m.period_id"] + [
        f"{sql} AS {c}" for c, sql in flags.items()] + [f"{sql} AS {c}" for c, sql in measures.items()]
    if not keyed:
        level, key = "'all'", "NULL::VARCHAR"
    sql = (f"SELECT {level} AS level, {key} AS key, period_id,\n  "
           + ",\n  ".join(cols) + "\nFROM (SELECT " + ",\n    ".join(inner)
           + f"\n  FROM {ft.name} JOIN {PERIOD_TABLE} AS m ON {table_window(ft, 'm.s', 'm.e')}\n  WHERE {ft.base})"
           + f"\nGROUP BY GROUPING SETS ({', '.join(sets)})")
    return Compiled(sql, used_params(sql, dict(measure_params or {})), aliases)


# --- rollups (metrics.rollups declares them; etl builds them from the SQL rendered here) -------------

def day_bound(anchor: str) -> Bound:
    """The period a rollup row stands for: the day of its own ``anchor`` timestamp."""
    day = f"CAST(CAST({anchor} AS DATE) AS TIMESTAMP)"
    return Bound(day, f"{day} + INTERVAL 1 DAY", None)


def rollup_rows(ft: FactTable, anchor: str, days: bool = False) -> list[str]:
    """The WHERE clauses of the fact rows a rollup counts: the base filter and an anchor; ``days``:
    only the anchor days in ``$days`` (whose bounds ``$day_lo``, ``$day_hi`` let zone maps skip)."""
    where = [f"({ft.base})", f"{anchor} IS NOT NULL"]
    if days:
        where += [f"{anchor} >= CAST($day_lo AS TIMESTAMP)", f"{anchor} < CAST($day_hi AS TIMESTAMP)",
                  f"list_contains($days, CAST({anchor} AS DATE))"]
    return where


def rollup_select(ft: FactTable, anchor: str, dims: Sequence[str], parts: Sequence[tuple[str, Sequence[str]]],
                  days: bool = False) -> str:
    """The SELECT of a rollup: per day of ``anchor`` and per ``dims``, one count per part (column name,
    predicates), each predicate evaluated for the row's own day (so the anchored predicate keeps only its
    period-free rest). A plain declared aggregate (sum of CASE, GROUP BY listed): the same text serves
    another engine. ``days``: only the anchor days in the list parameter ``$days``."""
    day = f"CAST({anchor} AS DATE)"
    bound = day_bound(anchor)
    counts = [f"sum(CASE WHEN {render(ft, preds, bound).where} THEN 1 ELSE 0 END) AS {col}" for col, preds in parts]
    where = rollup_rows(ft, anchor, days)
    return (f"SELECT {day} AS day, " + ", ".join(dims) + ",\n  " + ",\n  ".join(counts)
            + f"\nFROM {ft.name}\nWHERE " + " AND ".join(where)
            + f"\nGROUP BY {day}, " + ", ".join(dims))


def compile_rollup_scan(rollup: str, ft: FactTable, parts: Mapping[Aggregate, Sequence[tuple[str | None, str]]],
                        indicators: Sequence[Indicator], periods: Sequence[Period], by: str | None, query: Query,
                        unit_level: str | None, measure_params: Mapping[str, Any] | None = None,
                        current_only: Collection[str] = (),
                        slots: Mapping[str, Collection[int]] | None = None) -> Compiled:
    """``compile_scan``'s statement over a rollup instead of the fact rows, same result columns: each
    aggregate is the sum over the period's days of its parts (``parts``: aggregate -> (weight parameter
    or None, count column)). Periods must start and end at midnight (the caller checks)."""
    aggs: dict[Aggregate, str] = {}
    aliases: dict[str, tuple[str, str | None]] = {}
    for ind in indicators:
        num = aggs.setdefault(ind.numerator, f"a{len(aggs)}")
        den = aggs.setdefault(ind.denominator, f"a{len(aggs)}") if ind.denominator is not None else None
        aliases[ind.id] = (num, den)
    cols = []
    for i in range(len(periods)):
        needed = {a for ind in indicators if i in period_slots(ind.id, len(periods), current_only, slots)
                  for a in (ind.numerator, ind.denominator) if a is not None}
        for agg, alias in aggs.items():
            if agg in needed:
                value = " + ".join(f"${w} * {col}" if w else col for w, col in parts[agg])
                cols.append(f"sum(CASE WHEN day >= $ds{i} AND day < $de{i} THEN {value} END) AS {alias}_p{i}")
    where, params = scope_sql(ft, query, unit_level, base=False)
    where.append("day >= $dmin AND day < $dmax")
    params.update(dmin=min(p.start for p in periods).date(), dmax=max(p.end for p in periods).date())
    for i, p in enumerate(periods):
        params.update({f"ds{i}": p.start.date(), f"de{i}": p.end.date()})
    if by is None:
        key, group = "NULL::VARCHAR AS key", ""
    else:
        key, group = f"{ft.keys[by]} AS key", " GROUP BY 1"
        where.append(f"{ft.keys[by]} IS NOT NULL")
    sql = f"SELECT {key},\n  " + ",\n  ".join(cols) + f"\nFROM {rollup}\nWHERE " + "\n  AND ".join(where) + group
    params.update(measure_params or {})
    return Compiled(sql, used_params(sql, params), aliases)


# --- the stock rollup (metrics.stock_rollup): 应结案数, 结案数, backlogs at an instant -----------------

def stock_select(ft: FactTable, path: Sequence[str], days: bool = False) -> str:
    """The SELECT of the stock rollup: rows (base filter kept) counted per day of the first stock column
    (the anchor: 立案), ``path`` and each stock column truncated to its day, under its own name (so the
    declared predicates read the rollup as they read the rows). ``days``: only the anchor days in ``$days``."""
    anchor, cols = ft.stock_columns[0], ft.stock_columns
    trunc = ", ".join(f"date_trunc('day', {c}) AS {c}" for c in cols)
    where = " AND ".join(rollup_rows(ft, anchor, days))
    keys = ", ".join((*path, *cols))
    return (f"SELECT CAST({anchor} AS DATE) AS day, {keys}, count(*) AS n\n"
            f"FROM (SELECT {', '.join(path)}, {trunc}\n  FROM {ft.name}\n  WHERE {where})\n"
            f"GROUP BY CAST({anchor} AS DATE), {keys}")


def _midnight_after(t: datetime) -> datetime:
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if day == t else day + timedelta(days=1)


def _on_day(ft: FactTable, scope: Sequence[str]) -> str:
    """The rows (in ``scope``) with a stock column in [``$ad``, ``$ad_end``): one branch per column, each
    a plain range on one column (pushed into the scan: zone maps, no OR over three columns evaluated per
    row), the later branches leaving out the rows an earlier one took."""
    def on(c: str) -> str:
        return f"({c} >= $ad AND {c} < $ad_end)"
    branches = []
    for k, c in enumerate(ft.stock_columns):
        taken = [f"{on(x)} IS NOT TRUE" for x in ft.stock_columns[:k]]
        branches.append(f"SELECT * FROM {ft.name} WHERE " + " AND ".join([*scope, on(c), *taken]))
    return "\n    UNION ALL ".join(branches)


def compile_stock_scan(rollup: str, ft: FactTable, indicators: Sequence[Indicator], periods: Sequence[Period],
                       query: Query, unit_level: str | None, now: datetime | None,
                       current_only: Collection[str] = (),
                       slots: Mapping[str, Collection[int]] | None = None) -> Compiled:
    """``compile_scan``'s statement (by None) for count indicators whose predicates are all in
    ``ft.stock``, over the stock rollup: exact for periods with midnight bounds at any as-of instant.

    A stock predicate compares day-truncated columns with midnight bounds exactly as it compares the
    real ones (``FactTable.stock``). The as-of instant ``a`` of a running period is mid-day D: for a row
    none of whose stock columns falls on D, ``c < a`` is ``c < D + 1 day`` and ``c >= a`` is
    ``c >= D + 1 day``, so the rollup is read with ``{a}`` at the next midnight (``$ac<i>``) leaving out
    the rows with a column on D (``$ad<i>``), and those come from the fact rows with the real ``a``: the
    cases registered, due or closed on D only (registration prunes row groups, see etl/schema.py)."""
    aggs, aliases = aggregate_aliases(ft.name, indicators)
    for agg in aggs:
        if agg.measure != "count" or not set(agg.filter) <= ft.stock:
            raise QueryError(f"{agg} is not a count of stock predicates of {ft.name}")
    params: dict[str, Any] = {}
    mid_day = False  # a period's as-of instant is mid-day: the data's now, the same day D for every such period
    cube_cols, row_cols, outer = [], [], []
    for i, p in enumerate(periods):
        a = as_of(p, now)
        ac = _midnight_after(a)
        params.update({f"s{i}": p.start, f"e{i}": p.end, f"a{i}": a, f"ac{i}": ac})
        cube_bound = Bound(f"$s{i}", f"$e{i}", f"$ac{i}")
        needed = {g for ind in indicators if i in period_slots(ind.id, len(periods), current_only, slots)
                  for g in (ind.numerator, ind.denominator) if g is not None}
        for agg, alias in aggs.items():
            if agg not in needed:
                continue
            cube = render(ft, agg.filter, cube_bound).where
            rows = "0"
            if ac != a:
                mid_day = True
                params.update(ad=ac - timedelta(days=1), ad_end=ac)
                cube += " AND (" + " OR ".join(f"{c} = $ad" for c in ft.stock_columns) + ") IS NOT TRUE"
                rows = f"count_if({render(ft, agg.filter, period_bound(i)).where})"
            cube_cols.append(f"coalesce(sum(CASE WHEN {cube} THEN n ELSE 0 END), 0) AS {alias}_p{i}")
            row_cols.append(f"{rows} AS {alias}_p{i}")
            outer.append(f"sum({alias}_p{i}) AS {alias}_p{i}")
    where, scope = scope_sql(ft, query, unit_level, base=False)
    params.update(scope)
    cube_where = " AND ".join(where) or "true"
    sql = (f"SELECT NULL::VARCHAR AS key, {', '.join(outer)}\nFROM (SELECT " + ",\n    ".join(cube_cols)
           + f"\n  FROM {rollup} WHERE {cube_where}")
    if mid_day:  # the rows with a stock column on D
        on_day = _on_day(ft, scope_sql(ft, query, unit_level)[0])
        sql += "\n  UNION ALL SELECT " + ",\n    ".join(row_cols) + f"\n  FROM ({on_day})"
    sql += ")"
    return Compiled(sql, used_params(sql, params), aliases)


def _stock_bound(ft: FactTable, predicates: Sequence[str]) -> Bound:
    """The bound of a quantile over stock predicates: midnight ``$s``/``$e`` only (a predicate needing the
    as-of instant is refused: day-truncated columns cannot answer it at a mid-day instant)."""
    if not set(predicates) <= ft.stock:
        raise QueryError(f"{predicates} are not stock predicates of {ft.name}")
    return Bound("$s", "$e", None)


def histogram_select(ft: FactTable, measure: str, columns: Sequence[str], path: Sequence[str],
                     days: bool = False) -> str:
    """The SELECT of a quantile's histogram rollup: rows with a value of the scaled ``measure``'s integer
    measure, counted per day of the anchor, ``path``, the stock ``columns`` truncated to their day and
    the value's bucket ``b`` (floor(value / width), ``FactTable.stock_quantiles``)."""
    anchor, _value, bucket, trunc, where = _valued_rows(ft, measure, columns, days)
    keys = ", ".join((*path, *columns))
    return (f"SELECT CAST({anchor} AS DATE) AS day, {keys}, b, count(*) AS n\n"
            f"FROM (SELECT {', '.join(path)}, {trunc}, {bucket} AS b\n"
            f"  FROM {ft.name}\n  WHERE {where})\n"
            f"GROUP BY CAST({anchor} AS DATE), {keys}, b")


def compile_histogram_read(rollup: str, ft: FactTable, agg: Aggregate, query: Query,
                           unit_level: str | None) -> Compiled:
    """Step 1 of an exact quantile: the histogram of the aggregate's rows in the period (``$s``, ``$e``):
    (bucket ``b``, rows ``n``) in bucket order."""
    where, params = scope_sql(ft, query, unit_level, base=False)
    where.append(render(ft, agg.filter, _stock_bound(ft, agg.filter)).where)
    params.update(s=query.period.start, e=query.period.end)
    sql = f"SELECT b, sum(n) AS n FROM {rollup} WHERE " + " AND ".join(where) + " GROUP BY b ORDER BY b"
    return Compiled(sql, used_params(sql, params), {})


def values_select(ft: FactTable, measure: str, columns: Sequence[str], path: Sequence[str],
                  days: bool = False) -> str:
    """The SELECT of a quantile's value table: one row per fact row with a value of the scaled
    ``measure``'s integer measure ``v``, its bucket ``b``, the anchor's day, ``path`` and the stock
    ``columns`` truncated to their day. Stored in bucket order, so a read of a few buckets skips the
    other row groups (zone maps on ``b``)."""
    anchor, value, bucket, trunc, where = _valued_rows(ft, measure, columns, days)
    return (f"SELECT CAST({anchor} AS DATE) AS day, {', '.join(path)}, {trunc},\n"
            f"  {bucket} AS b, {value} AS v\nFROM {ft.name}\nWHERE {where}")


def _valued_rows(ft: FactTable, measure: str, columns: Sequence[str], days: bool
                 ) -> tuple[str, str, str, str, str]:
    """What a quantile's histogram and value table both read: the anchor, the scaled ``measure``'s integer
    value, its bucket (floor(value / width)), the stock ``columns`` truncated to their day and the WHERE of
    the rows with a value."""
    anchor, width = ft.stock_columns[0], ft.stock_quantiles[measure]
    value = render(ft, (), measure=ft.scaled[measure][0]).measure
    trunc = ", ".join(f"date_trunc('day', {c}) AS {c}" for c in columns)
    where = " AND ".join([*rollup_rows(ft, anchor, days), f"{value} IS NOT NULL"])
    return anchor, str(value), f"CAST(floor({value} / {width}.0) AS BIGINT)", trunc, where


def compile_rank_read(table: str, ft: FactTable, agg: Aggregate, query: Query, unit_level: str | None) -> Compiled:
    """Step 2: the aggregate's values ``v`` (integer measure) in the buckets [``$b0``, ``$b1``] holding the
    wanted ranks, from the value table (``values_select``: its day-truncated stock columns answer the
    stock predicates at midnight bounds), in order from ``$skip`` (the rank's place among them), ``$take``."""
    where, params = scope_sql(ft, query, unit_level, base=False)
    where += ["b >= $b0", "b <= $b1", render(ft, agg.filter, _stock_bound(ft, agg.filter)).where]
    params.update(s=query.period.start, e=query.period.end)
    sql = f"SELECT v FROM {table} WHERE " + " AND ".join(where) + " ORDER BY v LIMIT $take OFFSET $skip"
    return Compiled(sql, {**used_params(sql, params), "b0": 0, "b1": 0, "take": 0, "skip": 0}, {})


def names_columns(ft: FactTable, name: str, columns: Collection[str]) -> set[str]:
    """Which of ``columns`` predicate ``name`` of ``ft`` reads (a column name in its template)."""
    template = ft.predicates[name]
    return {c for c in columns if re.search(rf"\b{re.escape(c)}\b", template)}


def needs_as_of(ft: FactTable, name: str) -> bool:
    """Whether predicate ``name`` of ``ft`` names the as-of instant ``{a}`` (not only the period bounds)."""
    return "{a}" in ft.predicates[name]
