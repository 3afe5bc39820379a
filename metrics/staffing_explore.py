"""Reads behind the staffing page (力量配置): on duty per child unit and shift, per day, night cover per
grid, cases per on-duty person. The indicator rules are those of ``metrics.staffing``; this module adds
the child-unit grouping and display names the page needs, scope totals from the same scan (GROUPING
SETS: one roster scan and one cases scan per page), and the daily view."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd

from .compiler import ORG_LEVEL_COLUMN
from .hierarchy import child_of
from .indicators import unit_names, unit_scope
from .query import Period, Query
from .sensors import as_of_time
from .staffing import REGISTERED, night_cover

SHIFTS = ("day", "night", "on_call")


@dataclass(frozen=True)
class Duty:
    """People on duty in the period: per child unit (key, label, day, night, on_call, total) and over the
    whole scope (a person rostered in two sub-units counts once there)."""

    by_unit: pd.DataFrame
    day: int
    night: int
    on_call: int
    total: int


@dataclass(frozen=True)
class Workload:
    """Cases registered (not cancelled) per on-duty person: per child unit (key, label, cases, persons,
    cases_per_person) and over the scope."""

    by_unit: pd.DataFrame
    cases: int
    persons: int

    @property
    def cases_per_person(self) -> float | None:
        return self.cases / self.persons if self.persons else None


def _scope(con: duckdb.DuckDBPyConnection, query: Query) -> tuple[str, dict[str, object], str | None]:
    return unit_scope(con, query)


def duty_by_unit(con: duckdb.DuckDBPyConnection, query: Query) -> Duty:
    """Distinct people on duty per child unit and shift, and over the scope, from one grouped scan
    (same counts as ``metrics.staffing.on_duty``). Every child unit in scope is listed, empty ones too."""
    where, params, level = _scope(con, query)
    col = ORG_LEVEL_COLUMN[child_of(con, level)]
    params.update(s=query.period.start.date(), e=query.period.end.date())
    df = con.execute(f"""SELECT grouping({col}) AS whole, {col} AS key,
        count(DISTINCT person_id) FILTER (WHERE shift = 'day') AS day,
        count(DISTINCT person_id) FILTER (WHERE shift = 'night') AS night,
        count(DISTINCT person_id) FILTER (WHERE shift = 'on_call') AS on_call,
        count(DISTINCT person_id) AS total
      FROM staffing_roster WHERE {where} AND duty_date >= $s AND duty_date < $e
      GROUP BY GROUPING SETS (({col}), ())""", params).df()
    whole = df[df["whole"] == 1]
    tot = {c: int(whole[c].iloc[0]) if len(whole) else 0 for c in (*SHIFTS, "total")}
    parts = df[(df["whole"] == 0) & df["key"].notna()].drop(columns="whole")
    names = unit_names(con, child_of(con, level), query)
    keys = sorted(set(names) | set(parts["key"]))
    out = parts.set_index("key").reindex(keys).fillna(0).astype(np.int64)
    out.insert(0, "label", [names.get(k, k) for k in keys])
    out.index.name = "key"
    return Duty(out.reset_index(), **tot)


def duty_by_day(con: duckdb.DuckDBPyConnection, query: Query) -> pd.DataFrame:
    """People on duty per duty date and shift in the scope: day (date), shift, persons."""
    scope, params, _ = _scope(con, query)
    params.update(s=query.period.start.date(), e=query.period.end.date())
    df = con.execute(f"""SELECT duty_date AS day, shift, count(DISTINCT person_id) AS persons FROM staffing_roster
        WHERE {scope} AND duty_date >= $s AND duty_date < $e GROUP BY ALL ORDER BY 1, 2""", params).df()
    df["persons"] = df["persons"].astype(np.int64)
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


def workload(con: duckdb.DuckDBPyConnection, query: Query, duty: Duty | None = None) -> Workload:
    """Cases registered (not cancelled) in the period per on-duty person, per child unit and over the scope
    (``metrics.staffing.cases_per_person``'s rule; the persons are ``duty``'s totals)."""
    duty = duty or duty_by_unit(con, query)
    where, params, level = _scope(con, query)
    col = ORG_LEVEL_COLUMN[child_of(con, level)]
    params.update(s=query.period.start, e=query.period.end)
    df = con.execute(f"""SELECT grouping({col}) AS whole, {col} AS key, count(*) AS cases FROM cases
        WHERE {where} AND {REGISTERED}
        GROUP BY GROUPING SETS (({col}), ())""", params).df()
    whole = df[df["whole"] == 1]
    cases = dict(zip(df.loc[(df["whole"] == 0) & df["key"].notna(), "key"],
                     df.loc[(df["whole"] == 0) & df["key"].notna(), "cases"], strict=True))
    out = duty.by_unit[["key", "label", "total"]].rename(columns={"total": "persons"})
    extra = sorted(set(cases) - set(out["key"]))
    if extra:
        out = pd.concat([out, pd.DataFrame({"key": extra, "label": extra, "persons": 0})], ignore_index=True)
    out.insert(2, "cases", [int(cases.get(k, 0)) for k in out["key"]])
    out["cases"] = out["cases"].astype(np.int64)
    out["persons"] = out["persons"].astype(np.int64)
    out["cases_per_person"] = (out["cases"] / out["persons"].where(out["persons"] > 0)).astype(np.float64)
    return Workload(out, int(whole["cases"].iloc[0]) if len(whole) else 0, duty.total)
