"""Sensors (物联感知): online rate over the period, alarms by severity, alarms turned into cases and their
closure, and the latest reading of each sensor against its thresholds."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal

import duckdb
import pandas as pd

from etl.thresholds import level_sql

from . import readings_rollup
from .compiler import PERIOD_FREE, Bound, counted
from .connection import registered
from .indicators import data_now, unit_scope
from .query import Query, QueryError
from .readings_rollup import ready as readings_ready

SensorBy = Literal["sensor_type", "city", "district", "town", "grid", "village", "unit"] | None
_KEYS = {"sensor_type": "s.sensor_type", "city": "s.city_code", "district": "s.district_code", "town": "s.town_code",
         "grid": "s.grid_code", "village": "s.village_code", "unit": "s.unit_code"}


# The case an alarm turned into, as the case indicators count it: ``counted`` (not cancelled: the cases
# table's base filter) and ``closed_by_end`` (the ``closed_by_end`` predicate at the period end $e).
CASE_COUNTED = counted("cases", (), PERIOD_FREE)
ALARM_CASES = (f"(SELECT case_id, {CASE_COUNTED} AS counted, "
               f"{counted('cases', ('closed_by_end',), Bound(None, '$e', None))} AS closed_by_end FROM cases)")


def _scope(con: duckdb.DuckDBPyConnection, query: Query, alias: str) -> tuple[str, dict[str, object]]:
    clause, params, _ = unit_scope(con, query, alias)
    return clause, params


def _key(by: SensorBy) -> str:
    if by is None:
        return "'all'"
    if by not in _KEYS:
        raise QueryError(f"sensors cannot be grouped by {by!r}")
    return _KEYS[by]


def as_of_time(con: duckdb.DuckDBPyConnection, query: Query) -> datetime:
    """The instant 'now' for a period: its end, or the warehouse's data time if that is earlier."""
    # the pages' own 'now' (key ``now`` before ``data_now``, once per connection): this used to take
    # whichever of the two keys DuckDB returned first
    now = data_now(con)
    return min(query.period.end, now) if now is not None else query.period.end


DEFAULT_INTERVAL_MIN = 60  # a sensor that declares no interval and sent too little to infer one


def reporting(con: duckdb.DuckDBPyConnection, query: Query, as_of: datetime | None = None,
              use_rollup: bool | None = None) -> pd.DataFrame:
    """Each sensor's reporting over the period (docs/metrics.md, 在线率): sensor_id, interval_min,
    expected (its reporting intervals in [max(period start, installed_at), as-of)), received (those
    intervals with at least one reading). The interval is ``expected_interval_min`` when declared, else
    the median gap between the sensor's consecutive readings in the window, else 60 minutes.

    ``received`` comes from the readings rollup (``metrics.readings_rollup``) for every sensor whose
    slots are whole cells of it, when the warehouse's rollup is current (``use_rollup`` None), and from
    the rows otherwise; the same numbers either way."""
    at = as_of or as_of_time(con, query)
    params: dict[str, object] = {"s": query.period.start, "at": at, "dflt": DEFAULT_INTERVAL_MIN}
    rollup = readings_ready(con) if use_rollup is None else use_rollup
    # from rows: every sensor, or those the rollup cannot answer (``slow``: an empty join skips the scan)
    fast, rows_of, all_got = "", "iv", "got"
    if rollup:
        params["at_day"] = datetime.combine(at.date(), time())
        fast = readings_rollup.received_sql("iv") + ","
        rows_of = "slow"
        all_got = "(SELECT * FROM got UNION ALL SELECT * FROM fast_got)"
    return con.execute(f"""
    WITH s AS (
      SELECT sensor_id, expected_interval_min AS declared, greatest($s, coalesce(installed_at, $s)) AS w0
      FROM sensors WHERE installed_at IS NULL OR installed_at < $at
    ), gaps AS (
      SELECT sensor_id, epoch(ts - lag(ts) OVER (PARTITION BY sensor_id ORDER BY ts)) / 60 AS gap
      FROM sensor_readings WHERE ts >= $s AND ts < $at
        AND sensor_id IN (SELECT sensor_id FROM s WHERE declared IS NULL OR declared <= 0)
    ), inferred AS (
      SELECT sensor_id, median(gap) AS gap FROM gaps WHERE gap > 0 GROUP BY sensor_id
    ), iv AS (
      SELECT s.sensor_id, s.w0,
             greatest(coalesce(CASE WHEN s.declared > 0 THEN s.declared END, i.gap, $dflt), 1)::DOUBLE AS interval_min
      FROM s LEFT JOIN inferred i USING (sensor_id)
    ), {fast} got AS (
      SELECT r.sensor_id, count(DISTINCT floor(epoch(r.ts - iv.w0) / 60 / iv.interval_min)) AS received
      FROM sensor_readings r JOIN {rows_of} iv USING (sensor_id) WHERE r.ts >= $s AND r.ts < $at AND r.ts >= iv.w0
      GROUP BY r.sensor_id
    )
    SELECT iv.sensor_id, iv.interval_min,
           greatest(ceil(epoch($at - iv.w0) / 60 / iv.interval_min), 0)::BIGINT AS expected,
           coalesce(got.received, 0)::BIGINT AS received
    FROM iv LEFT JOIN {all_got} got USING (sensor_id) ORDER BY iv.sensor_id""", params).df()


def sensor_online(con: duckdb.DuckDBPyConnection, query: Query, by: SensorBy = "sensor_type",
                  as_of: datetime | None = None, use_rollup: bool | None = None) -> pd.DataFrame:
    """在线率 over the period: reporting intervals received / expected (``reporting``), summed over the
    sensors of each key installed by ``as_of``. Columns key, sensors, online (sensors with a reading in
    their last expected interval before ``as_of``), expected, received, online_rate (NaN: nothing expected)."""
    at = as_of or as_of_time(con, query)
    scope, params = _scope(con, query, "s")
    params.update(at=at)
    rep = reporting(con, query, at, use_rollup)
    with registered(con, "__sensor_reporting", rep):
        df = con.execute(f"""
        WITH s AS (
          SELECT * FROM sensors s WHERE {scope} AND (installed_at IS NULL OR installed_at <= $at)
        ), r AS (
          SELECT r.sensor_id, max(r.ts) AS last_ts FROM sensor_readings r
          WHERE r.ts < $at
            AND r.ts >= $at - to_minutes((SELECT coalesce(max(expected_interval_min), 60) FROM s)::BIGINT)
            AND r.sensor_id IN (SELECT sensor_id FROM s)
          GROUP BY r.sensor_id
        )
        SELECT {_key(by)} AS key, count(*) AS sensors,
               count(*) FILTER (WHERE r.last_ts >= $at - to_minutes(coalesce(s.expected_interval_min, 60)::BIGINT))
                 AS online,
               coalesce(sum(p.expected), 0)::BIGINT AS expected, coalesce(sum(p.received), 0)::BIGINT AS received
        FROM s LEFT JOIN r USING (sensor_id) LEFT JOIN __sensor_reporting p USING (sensor_id)
        GROUP BY 1 ORDER BY 1
        """, params).df()
    df["online_rate"] = (df["received"] / df["expected"].where(df["expected"] > 0)).astype("float64")
    return df


def alarms_by_severity(con: duckdb.DuckDBPyConnection, query: Query, by: SensorBy = None) -> pd.DataFrame:
    """Alarms started in the period per key and severity (warning | alarm)."""
    scope, params = _scope(con, query, "a")
    key = _key(by)
    join = "JOIN sensors s USING (sensor_id)" if by == "sensor_type" else ""
    key = key.replace("s.", "a.") if by not in (None, "sensor_type") else key
    params.update(s=query.period.start, e=query.period.end)
    sql = f"""SELECT {key} AS key, a.severity, count(*) AS alarms FROM sensor_alarms a {join}
              WHERE {scope} AND a.started_at >= $s AND a.started_at < $e GROUP BY ALL ORDER BY 1, 2"""
    return con.execute(sql, params).df()


def alarm_cases(con: duckdb.DuckDBPyConnection, query: Query, by: SensorBy = None) -> pd.DataFrame:
    """Alarms started in the period, those turned into cases (联动), and of those the cases closed
    (not cancelled, closed by the period end). Rates are NaN with a zero denominator."""
    scope, params = _scope(con, query, "a")
    key = _key(by)
    join = "JOIN sensors s USING (sensor_id)" if by == "sensor_type" else ""
    key = key.replace("s.", "a.") if by not in (None, "sensor_type") else key
    params.update(s=query.period.start, e=query.period.end)
    sql = f"""
    SELECT {key} AS key, count(*) AS alarms,
           count(c.case_id) FILTER (WHERE c.counted) AS to_cases,
           count(c.case_id) FILTER (WHERE c.closed_by_end) AS cases_closed
    FROM sensor_alarms a {join} LEFT JOIN {ALARM_CASES} c ON c.case_id = a.case_id
    WHERE {scope} AND a.started_at >= $s AND a.started_at < $e GROUP BY 1 ORDER BY 1"""
    df = con.execute(sql, params).df()
    df["to_case_rate"] = (df["to_cases"] / df["alarms"].where(df["alarms"] > 0)).astype("float64")
    df["case_closure_rate"] = (df["cases_closed"] / df["to_cases"].where(df["to_cases"] > 0)).astype("float64")
    return df


def latest_readings(con: duckdb.DuckDBPyConnection, query: Query, as_of: datetime | None = None,
                    lookback: timedelta = timedelta(days=1)) -> pd.DataFrame:
    """Each sensor's latest reading before ``as_of`` (within ``lookback``) against its thresholds:
    state normal | warning | alarm | no_data. A threshold is 'at or beyond' in the sensor's direction
    (``etl.thresholds``: above, below, outside a band; undeclared: below when the alarm threshold is lower
    than the warning one, e.g. low water pressure)."""
    at = as_of or as_of_time(con, query)
    scope, params = _scope(con, query, "s")
    params.update(at=at, since=at - lookback)
    sql = f"""
    WITH r AS (
      SELECT sensor_id, max(ts) AS ts, arg_max(value, ts) AS value FROM sensor_readings
      WHERE ts < $at AND ts >= $since GROUP BY sensor_id
    )
    SELECT s.sensor_id, s.name, s.sensor_type, s.uom, s.town_code, s.unit_code, s.lon, s.lat, r.ts, r.value,
           s.threshold_warning, s.threshold_alarm,
           CASE WHEN r.value IS NULL THEN 'no_data'
                ELSE ['normal', 'warning', 'alarm'][{level_sql("r.value", "s")} + 1] END AS state
    FROM sensors s LEFT JOIN r USING (sensor_id) WHERE {scope} ORDER BY s.sensor_id"""
    return con.execute(sql, params).df()
