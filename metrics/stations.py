"""Liaison stations (联勤联动工作站): closure of station cases against the seed 004 target of 85%,
and the lists of urgent-case breaches (15-minute arrival, 1-hour first result)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pandas as pd

from .compiler import drill_sql, fact_table
from .config import metrics_overrides
from .indicators import indicator_table, indicator_values, monthly_trend, unit_level
from .model import Aggregate, IndicatorValue
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
                    overrides: Mapping[str, Any] | None = None) -> StationClosure:
    cfg = metrics_overrides(overrides)
    df = indicator_table(con, ["station_closure_rate"], query, by="station", overrides=cfg)
    df["meets_target"] = (df["value"] >= df["target"]).astype("boolean").mask(df["value"].isna())
    below = df[df["meets_target"].eq(False).fillna(False)].sort_values(["value", "key"]).reset_index(drop=True)
    district = indicator_values(con, ["station_closure_rate"], query, overrides=cfg)["station_closure_rate"]
    return StationClosure(df, district, int(df["meets_target"].eq(True).sum()), int(df["value"].notna().sum()),
                          len(df), below)


def station_trend(con: duckdb.DuckDBPyConnection, query: Query, months: int = 12, by_station: bool = False, *,
                  overrides: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Monthly station closure rate, district-wide (default) or per station; one scan."""
    return monthly_trend(con, ["station_closure_rate"], query, months, "station" if by_station else None,
                         overrides=overrides)


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
