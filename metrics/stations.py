"""Liaison stations (联勤联动工作站): closure of station cases against the seed 004 target of 85%,
and the lists of urgent-case breaches (15-minute arrival, 1-hour first result)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import duckdb
import pandas as pd

from .catalog import resolve
from .compiler import Bound, as_of, drill_sql, fact_table, render, scope_sql, table_window
from .config import metrics_overrides
from .indicators import TABLE_COLUMNS, data_now, months_back, results_frame, scan, unit_level, unit_names, value_of
from .model import Aggregate, IndicatorValue, status_of
from .query import Query, QueryError


@dataclass(frozen=True)
class StationClosure:
    stations: pd.DataFrame  # indicator_table columns + meets_target (NA when no value)
    district: IndicatorValue  # all station cases in scope together (sum over sum)
    meeting_target: int
    stations_with_value: int
    stations_total: int
    below: pd.DataFrame  # stations with a value below target, worst first


def station_closure(con: duckdb.DuckDBPyConnection, query: Query, *,
                    overrides: Mapping[str, Any] | None = None, previous: bool = True) -> StationClosure:
    """``previous=False``: no previous-period values (None), and no previous-period work in the scan."""
    cfg = metrics_overrides(overrides)
    (ind,) = resolve(["station_closure_rate"], cfg)
    # one scan by station; the district value is the sum over the stations (every station case has one
    # station), which spares a second scan of the same rows (what indicator_values would give, tested)
    periods = [query.period, query.period.previous()] if previous else [query.period]
    results = scan(con, [ind], query, periods, "station", cfg)
    df = results_frame([ind], results, unit_names(con, "station", query), 0, previous, "station", query)
    df["meets_target"] = (df["value"] >= df["target"]).astype("boolean").mask(df["value"].isna())
    below = df[df["meets_target"].eq(False).fillna(False)].sort_values(["value", "key"]).reset_index(drop=True)
    sums = [[0.0, 0.0], [0.0, 0.0]]
    for vals in results.get(ind.id, {}).values():
        for i in range(len(periods)):
            sums[i][0] += vals[i][0] or 0.0
            sums[i][1] += vals[i][1] or 0.0
    cur, prev = value_of(ind, *sums[0]), value_of(ind, *sums[1])
    district = IndicatorValue(ind.id, ind.zh, ind.en, ind.unit, ind.direction, cur[0], cur[1], cur[2],
                              prev[2] if previous else None,
                              ind.target, status_of(ind, cur[2]))
    return StationClosure(df, district, int(df["meets_target"].eq(True).sum()), int(df["value"].notna().sum()),
                          len(df), below)


# the month table ``station_trend`` joins the cases to: each month's bounds and as-of instant
MONTH_COLUMNS = Bound("m.s", "m.e", "m.a")


def station_trend(con: duckdb.DuckDBPyConnection, query: Query, months: int = 12, by_station: bool = False, *,
                  station: str | None = None, overrides: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Monthly station closure rate, district-wide (default) or per station: the ``monthly_trend`` frame.
    ``station`` (with ``by_station``) keeps only that station's rows (computed for it alone).

    Why not ``monthly_trend``: its scan evaluates every month's predicates on every case of the span
    (12 × 1M rows at district scale, ~0.5 s CPU). Here the station cases the span can count (the fact
    table's declared window + the denominator's period-free predicates) are read once and joined to a
    12-row month table, the declared predicates evaluated against each month's bounds — the same
    definitions, a fraction of the work."""
    cfg = metrics_overrides(overrides)
    if months < 1:
        raise QueryError("months must be at least 1")
    (ind,) = resolve(["station_closure_rate"], cfg)
    assert ind.denominator is not None
    ft = fact_table(ind.table)
    last = (query.period.end - timedelta(seconds=1)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    periods = months_back(last, months)
    now = data_now(con)
    by = "station" if by_station else None
    where, params = scope_sql(ft, query, unit_level(con, query.unit))
    where.append(table_window(ft, "$w_s", "$w_e"))
    params.update(w_s=periods[0].start, w_e=periods[-1].end)
    if by and station is not None:
        where.append(f"{ft.keys[by]} = $st")
        params["st"] = station

    def pred(names: tuple[str, ...]) -> str:
        return render(ft, names, MONTH_COLUMNS).where

    den, num = ind.denominator.filter, ind.numerator.filter
    key = f"c.{ft.keys[by]}" if by else "NULL"
    sql = (f"WITH m AS (SELECT unnest($m_s) AS i, unnest($m_starts) AS s, unnest($m_ends) AS e, unnest($m_as) AS a), "
           f"c AS (SELECT * FROM {ft.name} WHERE {' AND '.join(f'({w})' for w in where)}) "
           f"SELECT m.i, {key} AS key, count_if({pred(num)}) AS num, count(*) AS den "
           f"FROM c JOIN m ON {pred(den)} GROUP BY ALL")
    params.update(m_s=list(range(len(periods))), m_starts=[p.start for p in periods], m_ends=[p.end for p in periods],
                  # stock figures (cases due so far) as of min(month end, data now), as the compiler does
                  m_as=[as_of(p, now) for p in periods])
    results: dict[str, dict[str, list[Any]]] = {ind.id: {}}
    per_key = results[ind.id]
    for i, k, n, d in con.execute(sql, params).fetchall():
        row = per_key.setdefault("" if k is None else str(k), [value_of(ind, 0, 0) for _ in periods])
        row[i] = value_of(ind, n, d)
    if by is None and not per_key:
        per_key[""] = [value_of(ind, 0, 0) for _ in periods]  # what a scan over no rows gives
    names = unit_names(con, by, query)
    if by and station is not None:
        names = {k: v for k, v in names.items() if k == station}
        per_key = {k: v for k, v in per_key.items() if k == station}
        results[ind.id] = per_key
    # one frame for all months (``results_frame`` per month + concat cost ~5 ms a month in pandas overhead)
    for k in names:
        per_key.setdefault(k, [value_of(ind, None, None) for _ in periods])
    rows = []
    for i in range(len(periods)):
        for key, vals in sorted(per_key.items()):
            num, den, value = vals[i]
            rows.append({"key": key if by is not None else (query.unit or ""), "name": names.get(key, key),
                         "metric_id": ind.id, "numerator": num, "denominator": den, "value": value,
                         "previous_value": None, "target": ind.target, "status": status_of(ind, value)})
    df = pd.DataFrame(rows, columns=TABLE_COLUMNS)  # built as ``results_frame`` builds it (same dtypes)
    df.insert(0, "month", [p.start.date() for p in periods for _ in per_key])
    df["status"] = pd.Series([r["status"] for r in rows], dtype=object)  # None where no value, as before
    for c in ("numerator", "denominator", "value", "previous_value", "target"):
        df[c] = df[c].astype("float64")
    return df


def breach_totals(values: Mapping[str, IndicatorValue]) -> tuple[int, int]:
    """(15-minute arrival, 1-hour first result) breaches from the two urgent rates' values: dispatched
    minus on time, the denominators minus the numerators (the breach predicates are the on-time ones'
    complements over dispatched urgent cases: the totals ``urgent_breaches`` pages through)."""
    arrival, result = (int((values[k].denominator or 0) - (values[k].numerator or 0))
                       for k in ("urgent_arrival_rate", "urgent_result_rate"))
    return arrival, result


_BREACH = {
    "arrival": ("urgent_dispatched", "arrival_breach"),
    "result": ("urgent_dispatched", "result_breach"),
}


def urgent_breaches(con: duckdb.DuckDBPyConnection, query: Query, kind: Literal["arrival", "result"] = "arrival",
                    limit: int = 100, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Urgent cases dispatched in the period that missed 15-minute arrival (``arrival``) or a first
    result within 1 hour (``result``): (page, total). Not arrived at all counts as a breach."""
    if kind not in _BREACH:
        raise QueryError(f"unknown breach kind {kind!r}")
    ft = fact_table("cases")
    rows_sql, count_sql, params = drill_sql(ft, Aggregate("cases", _BREACH[kind]), query,
                                            unit_level(con, query.unit), None)
    total = int(con.execute(count_sql, params).fetchone()[0])  # type: ignore[index]
    return con.execute(rows_sql, {**params, "limit": int(limit), "offset": int(offset)}).df(), total
