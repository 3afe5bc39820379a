"""Reads behind the staffing page (力量配置): on duty per child unit and shift, per day, night cover per
grid, cases per on-duty person. The indicator rules are those of ``metrics.staffing``; this module adds
the child-unit grouping and display names the page needs, and the daily view."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import duckdb
import pandas as pd

from .compiler import ORG_LEVEL_COLUMN
from .explore import child_level
from .indicators import unit_level, unit_names
from .query import Period, Query
from .sensors import as_of_time
from .staffing import cases_per_person, night_cover, on_duty

SHIFTS = ("day", "night", "on_call")


def _labelled(con: duckdb.DuckDBPyConnection, query: Query, df: pd.DataFrame, level: str) -> pd.DataFrame:
    """Every child unit in scope (empty ones too), named, in code order."""
    names = unit_names(con, level, query)
    keys = sorted(set(names) | set(df["key"]))
    out = df.set_index("key").reindex(keys)
    out.insert(0, "label", [names.get(k, k) for k in keys])
    return out.reset_index().rename(columns={"index": "key"})


def duty_by_unit(con: duckdb.DuckDBPyConnection, query: Query) -> pd.DataFrame:
    """Distinct people on duty in the period per child unit: key, label, day, night, on_call, total."""
    level = child_level(con, query)
    df = _labelled(con, query, on_duty(con, query, by=level), level)  # type: ignore[arg-type]
    for c in (*SHIFTS, "total"):
        df[c] = df[c].fillna(0).astype("int64")
    return df


def duty_by_day(con: duckdb.DuckDBPyConnection, query: Query) -> pd.DataFrame:
    """People on duty per duty date and shift in the scope: day (date), shift, persons."""
    level = unit_level(con, query.unit)
    scope = f"{ORG_LEVEL_COLUMN[level]} = $unit" if level else "true"
    params: dict[str, object] = {"s": query.period.start.date(), "e": query.period.end.date()}
    if level:
        params["unit"] = query.unit
    df = con.execute(f"""SELECT duty_date AS day, shift, count(DISTINCT person_id) AS persons FROM staffing_roster
        WHERE {scope} AND duty_date >= $s AND duty_date < $e GROUP BY ALL ORDER BY 1, 2""", params).df()
    df["persons"] = df["persons"].astype("int64")
    return df


def rostered_part(con: duckdb.DuckDBPyConnection, query: Query) -> Query:
    """The query cut at tonight (the data's 'now'): nights still to come in a current period are not gaps."""
    last = as_of_time(con, query).date()
    if query.period.start.date() <= last < (query.period.end - timedelta(days=1)).date():
        return replace(query, period=Period.custom(query.period.start.date(), last))
    return query


def night_gaps(con: duckdb.DuckDBPyConnection, query: Query) -> pd.DataFrame:
    """Every 责任网格 in scope with its nights up to tonight and nights without night cover
    (``metrics.staffing.night_cover``), most uncovered first: key, name, nights, nights_covered,
    nights_uncovered, uncovered (bool)."""
    df = night_cover(con, rostered_part(con, query))
    df["uncovered"] = df["nights_uncovered"] > 0
    return df.sort_values(["nights_uncovered", "key"], ascending=[False, True]).reset_index(drop=True)


def workload(con: duckdb.DuckDBPyConnection, query: Query) -> pd.DataFrame:
    """Cases registered per on-duty person per child unit: key, label, cases, persons, cases_per_person."""
    level = child_level(con, query)
    df = _labelled(con, query, cases_per_person(con, query, by=level), level)  # type: ignore[arg-type]
    df["cases"] = df["cases"].fillna(0).astype("int64")
    df["persons"] = df["persons"].fillna(0).astype("int64")
    df["cases_per_person"] = (df["cases"] / df["persons"].where(df["persons"] > 0)).astype("float64")
    return df
