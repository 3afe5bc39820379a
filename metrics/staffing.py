"""Staffing (力量配置): staff on duty by unit and shift, grids without night cover, cases per person."""

from __future__ import annotations

from typing import Literal

import duckdb
import pandas as pd

from .compiler import Bound, counted
from .indicators import unit_names, unit_scope
from .query import Query, QueryError

StaffBy = Literal["city", "district", "town", "grid", "village", "unit", "station"]
_KEYS = {"city": "city_code", "district": "district_code", "town": "town_code", "grid": "grid_code",
         "village": "village_code",
         "unit": "unit_code", "station": "station_code"}

# 立案数's rows: cases registered in [$s, $e), not cancelled (the ``registered`` indicator's predicate)
REGISTERED = counted("cases", ("registered",), Bound("$s", "$e", None))


def _scope(con: duckdb.DuckDBPyConnection, query: Query) -> tuple[str, dict[str, object]]:
    clause, params, _ = unit_scope(con, query)
    return clause, params


def _key(by: str) -> str:
    if by not in _KEYS:
        raise QueryError(f"staffing cannot be grouped by {by!r}")
    return _KEYS[by]


def on_duty(con: duckdb.DuckDBPyConnection, query: Query, by: StaffBy = "grid") -> pd.DataFrame:
    """Distinct people on duty in the period per key and shift (wide: day, night, on_call, total)."""
    scope, params = _scope(con, query)
    params.update(s=query.period.start.date(), e=query.period.end.date())
    sql = f"""SELECT {_key(by)} AS key,
        count(DISTINCT person_id) FILTER (WHERE shift = 'day') AS day,
        count(DISTINCT person_id) FILTER (WHERE shift = 'night') AS night,
        count(DISTINCT person_id) FILTER (WHERE shift = 'on_call') AS on_call,
        count(DISTINCT person_id) AS total
      FROM staffing_roster WHERE {scope} AND duty_date >= $s AND duty_date < $e AND {_key(by)} IS NOT NULL
      GROUP BY 1 ORDER BY 1"""
    return con.execute(sql, params).df()


def night_cover(con: duckdb.DuckDBPyConnection, query: Query) -> pd.DataFrame:
    """Per 责任网格 in scope: nights in the period, nights with at least one night shift, nights without.
    Grids with no roster rows at all are listed with every night uncovered."""
    names = unit_names(con, "grid", query)
    scope, params = _scope(con, query)
    params.update(s=query.period.start.date(), e=query.period.end.date())
    sql = f"""SELECT grid_code AS key, count(DISTINCT duty_date) AS nights_covered FROM staffing_roster
      WHERE {scope} AND shift = 'night' AND duty_date >= $s AND duty_date < $e AND grid_code IS NOT NULL
      GROUP BY 1"""
    covered = dict(con.execute(sql, params).fetchall())
    nights = (query.period.end.date() - query.period.start.date()).days
    rows = [{"key": k, "name": n, "nights": nights, "nights_covered": int(covered.get(k, 0)),
             "nights_uncovered": nights - int(covered.get(k, 0))} for k, n in sorted(names.items())]
    return pd.DataFrame(rows, columns=["key", "name", "nights", "nights_covered", "nights_uncovered"])


def grids_without_night_cover(con: duckdb.DuckDBPyConnection, query: Query) -> pd.DataFrame:
    """The grids with at least one night in the period without any night shift on the roster."""
    df = night_cover(con, query)
    return df[df["nights_uncovered"] > 0].sort_values(["nights_uncovered", "key"], ascending=[False, True]) \
        .reset_index(drop=True)


def cases_per_person(con: duckdb.DuckDBPyConnection, query: Query, by: StaffBy = "town") -> pd.DataFrame:
    """Cases registered in the period / distinct people on duty in the period, per key (NaN with nobody)."""
    scope, params = _scope(con, query)
    params.update(s=query.period.start, e=query.period.end, sd=query.period.start.date(),
                  ed=query.period.end.date())
    k = _key(by)
    sql = f"""
    WITH c AS (SELECT {k} AS key, count(*) AS cases FROM cases WHERE {scope} AND {REGISTERED}
               AND {k} IS NOT NULL GROUP BY 1),
         p AS (SELECT {k} AS key, count(DISTINCT person_id) AS persons FROM staffing_roster
               WHERE {scope} AND duty_date >= $sd AND duty_date < $ed AND {k} IS NOT NULL GROUP BY 1)
    SELECT key, coalesce(cases, 0) AS cases, coalesce(persons, 0) AS persons
    FROM c FULL JOIN p USING (key) ORDER BY key"""
    df = con.execute(sql, params).df()
    df["cases_per_person"] = (df["cases"] / df["persons"].where(df["persons"] > 0)).astype("float64")
    return df
