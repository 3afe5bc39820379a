"""Reads behind the sensors page (物联感知): online rate by type or sub-unit, alarms, one sensor's series.

Every function takes an optional ``sensor_type`` (the page's cross-filter) on top of the ``Query``'s
unit subtree and period. The online rate has the formula of ``metrics.sensors.sensor_online`` (a
reading within the sensor's expected interval before the as-of instant / sensors installed by then);
it is re-stated here only because that function cannot narrow to one sensor type.

``sensor_readings`` is the largest table (≈42M rows at district scale, no index): every read of it is
bounded by a time window so DuckDB's zone maps skip most row groups, and a sensor's series is averaged
into at most ``max_points`` buckets (with the bucket min/max kept, so a short alarm spike stays visible).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

import duckdb
import pandas as pd

from .compiler import ORG_LEVEL_COLUMN
from .config import metrics_overrides
from .explore import CHILD
from .indicators import unit_level
from .query import Query, QueryError
from .sensors import as_of_time, latest_readings

STATES = ("alarm", "warning", "normal", "no_data")
ONLINE_TARGET_KEY = "sensor_online_rate"  # [metrics.indicators.sensor_online_rate] target = 0.95


def _scope(con: duckdb.DuckDBPyConnection, query: Query, sensor_type: str | None, alias: str = "s"
           ) -> tuple[str, dict[str, Any], str | None]:
    """WHERE over ``sensors`` for the unit subtree and type; also returns the unit's level."""
    level = unit_level(con, query.unit)
    where, params = ["true"], {}
    if level is not None:
        where.append(f"{alias}.{ORG_LEVEL_COLUMN[level]} = $unit")
        params["unit"] = query.unit
    if sensor_type is not None:
        where.append(f"{alias}.sensor_type = $stype")
        params["stype"] = sensor_type
    return " AND ".join(where), params, level


def sensor_types(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every sensor type in the warehouse (what ``sel=`` may name on the sensors page)."""
    return [str(r[0]) for r in con.execute("SELECT DISTINCT sensor_type FROM sensors ORDER BY 1").fetchall()]


def online_target(overrides: Mapping[str, Any] | None = None) -> float | None:
    """The site's declared online-rate target (``[metrics.indicators.sensor_online_rate] target``), if any."""
    ind = (metrics_overrides(overrides).get("indicators") or {}).get(ONLINE_TARGET_KEY) or {}
    try:
        return float(ind["target"]) if "target" in ind else None
    except (TypeError, ValueError):
        return None


def online_rate(con: duckdb.DuckDBPyConnection, query: Query, by: Literal["sensor_type", "unit"],
                sensor_type: str | None = None, as_of: datetime | None = None) -> pd.DataFrame:
    """Online rate per sensor type or per child unit: key, label, sensors, online, online_rate (NaN: none)."""
    at = as_of or as_of_time(con, query)
    where, params, level = _scope(con, query, sensor_type)
    params["at"] = at
    if by == "sensor_type":
        key, label, join = "s.sensor_type", "s.sensor_type", ""
    elif by == "unit":
        col = ORG_LEVEL_COLUMN[CHILD[level]]
        key, label, join = f"s.{col}", f"coalesce(u.name_zh, s.{col})", f"LEFT JOIN org_unit u ON u.unit_code = s.{col}"
    else:
        raise QueryError(f"online rate cannot be grouped by {by!r}")
    sql = f"""
    WITH s AS (SELECT * FROM sensors s WHERE {where} AND (s.installed_at IS NULL OR s.installed_at <= $at)),
    r AS (
      SELECT sensor_id, max(ts) AS last_ts FROM sensor_readings
      WHERE ts < $at AND ts >= $at - to_minutes((SELECT coalesce(max(expected_interval_min), 60) FROM s)::BIGINT)
        AND sensor_id IN (SELECT sensor_id FROM s)
      GROUP BY sensor_id)
    SELECT {key} AS key, any_value({label}) AS label, count(*) AS sensors,
           count(*) FILTER (WHERE r.last_ts >= $at - to_minutes(coalesce(s.expected_interval_min, 60)::BIGINT))
             AS online
    FROM s LEFT JOIN r USING (sensor_id) {join} WHERE {key} IS NOT NULL GROUP BY 1 ORDER BY 1"""
    df = con.execute(sql, params).df()
    df["sensors"] = df["sensors"].astype("int64")
    df["online"] = df["online"].astype("int64")
    df["online_rate"] = (df["online"] / df["sensors"].where(df["sensors"] > 0)).astype("float64")
    return df


def alarm_counts(con: duckdb.DuckDBPyConnection, query: Query, by: Literal["severity", "sensor_type", "day"],
                 sensor_type: str | None = None) -> pd.DataFrame:
    """Alarms started in the period per key and severity: key, severity, alarms (day keys 'YYYY-MM-DD')."""
    where, params, _ = _scope(con, query, sensor_type)
    params.update(s=query.period.start, e=query.period.end)
    key = {"severity": "a.severity", "sensor_type": "s.sensor_type",
           "day": "strftime(a.started_at, '%Y-%m-%d')"}.get(by)
    if key is None:
        raise QueryError(f"alarms cannot be grouped by {by!r}")
    sql = f"""SELECT {key} AS key, a.severity, count(*) AS alarms
              FROM sensor_alarms a JOIN sensors s USING (sensor_id)
              WHERE {where} AND a.started_at >= $s AND a.started_at < $e GROUP BY ALL ORDER BY 1, 2"""
    df = con.execute(sql, params).df()
    df["alarms"] = df["alarms"].astype("int64")
    return df


def alarm_case_flow(con: duckdb.DuckDBPyConnection, query: Query, sensor_type: str | None = None
                    ) -> dict[str, float | int | None]:
    """Alarms started in the period → turned into cases (not cancelled) → of those closed by the period end,
    with the two rates (None on a zero denominator). Same rules as ``metrics.sensors.alarm_cases``."""
    where, params, _ = _scope(con, query, sensor_type)
    params.update(s=query.period.start, e=query.period.end)
    row = con.execute(f"""
    SELECT count(*),
           count(c.case_id) FILTER (WHERE NOT coalesce(c.cancelled, false)),
           count(c.case_id) FILTER (WHERE NOT coalesce(c.cancelled, false) AND c.closed_at < $e)
    FROM sensor_alarms a JOIN sensors s USING (sensor_id) LEFT JOIN cases c ON c.case_id = a.case_id
    WHERE {where} AND a.started_at >= $s AND a.started_at < $e""", params).fetchone()
    alarms, to_cases, closed = (int(x or 0) for x in (row or (0, 0, 0)))
    return {"alarms": alarms, "to_cases": to_cases, "cases_closed": closed,
            "to_case_rate": to_cases / alarms if alarms else None,
            "case_closure_rate": closed / to_cases if to_cases else None}


def sensor_info(con: duckdb.DuckDBPyConnection, query: Query, sensor_id: str) -> dict[str, Any] | None:
    """One sensor's declaration if it lies in the query's unit subtree (else None: not the user's to see)."""
    where, params, _ = _scope(con, query, None)
    params["id"] = sensor_id
    df = con.execute(f"SELECT sensor_id, name, sensor_type, metric, uom, threshold_warning, threshold_alarm, "
                     f"expected_interval_min, town_code, grid_code FROM sensors s WHERE {where} AND sensor_id = $id",
                     params).df()
    if df.empty:
        return None
    rec = df.iloc[0].to_dict()
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in rec.items()}


def sensor_series(con: duckdb.DuckDBPyConnection, query: Query, sensor_id: str, max_points: int = 720
                  ) -> pd.DataFrame:
    """The sensor's readings in the period in at most ``max_points`` equal time buckets: ts (bucket start),
    value (mean), lo, hi (min, max), n (readings). Empty when the sensor is outside the query's scope."""
    if sensor_info(con, query, sensor_id) is None:
        return pd.DataFrame(columns=["ts", "value", "lo", "hi", "n"])
    span = max((query.period.end - query.period.start).total_seconds(), 1.0)
    step = max(int(-(-span // max(max_points, 1))), 1)  # ceil: never more than max_points buckets
    return con.execute(
        "SELECT time_bucket(to_seconds($step), ts, $s) AS ts, avg(value) AS value,"
        " min(value) AS lo, max(value) AS hi, count(*) AS n FROM sensor_readings "
        "WHERE sensor_id = $id AND ts >= $s AND ts < $e GROUP BY 1 ORDER BY 1",
        {"id": sensor_id, "s": query.period.start, "e": query.period.end, "step": step}).df()


def offline(con: duckdb.DuckDBPyConnection, query: Query, sensor_type: str | None = None,
            as_of: datetime | None = None, lookback: timedelta = timedelta(days=7)) -> pd.DataFrame:
    """Sensors in scope (installed by ``as_of``) without a reading in their expected interval before it,
    longest silent first: sensor_id, name, sensor_type, town_code, grid_code, last_reading (NaT: none
    within ``lookback``, which bounds the scan of the readings)."""
    at = as_of or as_of_time(con, query)
    where, params, _ = _scope(con, query, sensor_type)
    params.update(at=at, since=at - lookback)
    return con.execute(f"""
    WITH s AS (SELECT * FROM sensors s WHERE {where} AND (s.installed_at IS NULL OR s.installed_at <= $at)),
    r AS (SELECT sensor_id, max(ts) AS last_ts FROM sensor_readings
          WHERE ts < $at AND ts >= $since AND sensor_id IN (SELECT sensor_id FROM s) GROUP BY sensor_id)
    SELECT s.sensor_id, s.name, s.sensor_type, s.town_code, s.grid_code, r.last_ts AS last_reading
    FROM s LEFT JOIN r USING (sensor_id)
    WHERE r.last_ts IS NULL OR r.last_ts < $at - to_minutes(coalesce(s.expected_interval_min, 60)::BIGINT)
    ORDER BY r.last_ts NULLS FIRST, s.sensor_id""", params).df()


def latest_states(con: duckdb.DuckDBPyConnection, query: Query, sensor_type: str | None = None,
                  as_of: datetime | None = None) -> pd.DataFrame:
    """Each sensor's latest reading (last day) and its state against the thresholds
    (``metrics.sensors.latest_readings``), narrowed to one type."""
    df = latest_readings(con, query, as_of=as_of)
    if sensor_type is not None:
        df = df[df["sensor_type"] == sensor_type].reset_index(drop=True)
    return df


def state_counts(latest: pd.DataFrame) -> pd.DataFrame:
    """Sensors per type and state (columns: sensor_type, then one column per state in ``STATES``)."""
    if latest.empty:
        return pd.DataFrame(columns=["sensor_type", *STATES])
    out = latest.groupby(["sensor_type", "state"]).size().unstack(fill_value=0)
    return out.reindex(columns=list(STATES), fill_value=0).astype("int64").reset_index()
