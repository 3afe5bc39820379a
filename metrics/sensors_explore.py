"""Reads behind the sensors page (物联感知): online rate by type or sub-unit, alarms, one sensor's series.

Every function takes an optional ``sensor_type`` (the page's cross-filter) on top of the ``Query``'s
unit subtree and period. The online rate has the formula of ``metrics.sensors.sensor_online`` (a
reading within the sensor's expected interval before the as-of instant / sensors installed by then)
and the states the rule of ``metrics.sensors.latest_readings``; they are re-stated here because those
functions cannot narrow to one sensor type and each scans the readings again, where one page needs
online rate, offline list and states from a single scan (``last_readings`` → ``sensor_status``).

``sensor_readings`` is the largest table (≈42M rows at district scale, no index): every read of it is
one bounded query: the latest readings in one grouped scan, a sensor's series averaged into at most
``max_points`` buckets (with the bucket min/max kept, so a short alarm spike stays visible). Both are
bounded by a ``ts`` window: the ETL stores each load's readings in time order, so DuckDB's zone maps on
``ts`` skip the row groups outside the window (nothing else prunes: string zone maps keep an 8-byte
prefix, 'demo:WL-', and DuckDB 1.5 scans every row for a ``rowid`` range).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from .compiler import ORG_LEVEL_COLUMN, Bound, fact_table, render
from .config import metrics_overrides
from .connection import registered
from .hierarchy import child_of
from .indicators import unit_level, unit_names, unit_scope
from .query import Query, QueryError
from .sensors import ALARM_CASES, CASE_COUNTED, as_of_time, reporting

STATES = ("alarm", "warning", "normal", "no_data")
ONLINE_TARGET_KEY = "sensor_online_rate"  # [metrics.indicators.sensor_online_rate] target = 0.95
LOOKBACK = timedelta(days=7)  # the offline list says "silent for more than 7 days" beyond this
LATEST_WINDOW = timedelta(days=1)  # a reading older than this is no current state (latest_readings' rule)
_ALARM_FACTS = "__sx_alarm_facts"  # the name ``alarm_table`` registers ``alarm_facts`` under


def _scope(con: duckdb.DuckDBPyConnection, query: Query, sensor_type: str | None, alias: str = "s"
           ) -> tuple[str, dict[str, Any], str | None]:
    """WHERE over ``sensors`` for the unit subtree and type; also returns the unit's level."""
    unit, params, level = unit_scope(con, query, alias)
    where = ["true", unit]
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


def last_readings(con: duckdb.DuckDBPyConnection, at: datetime, lookback: timedelta = LOOKBACK) -> pd.DataFrame:
    """Every sensor's last reading before ``at`` within ``lookback``: sensor_id, last_ts, last_value.

    The one scan of ``sensor_readings`` behind the online rate, the offline list and the latest states.
    On readings stored in time order (the ETL's order) the 7-day window reads ≈7/365 of the table's row
    groups (≈25 ms CPU at district scale, against ≈300 ms on rows stored in no time order); the page
    keeps the result per snapshot for the current 'now'."""
    return con.execute("SELECT sensor_id, max(ts) AS last_ts, arg_max(value, ts) AS last_value FROM sensor_readings "
                       "WHERE ts < $at AND ts >= $since GROUP BY sensor_id", {"at": at, "since": at - lookback}).df()


def sensor_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every sensor's declaration as ``sensor_status`` reads it (with its unit path and ``installed_at``),
    ordered by sensor_id: one small table (5,000 rows at district scale) a page may keep per snapshot."""
    levels = ", ".join(dict.fromkeys(ORG_LEVEL_COLUMN.values()))
    return con.execute(f"""SELECT sensor_id, name, sensor_type, uom, threshold_warning, threshold_alarm,
        threshold_direction, threshold_low_warning, threshold_low_alarm,
        coalesce(expected_interval_min, 60) AS interval_min, {levels}, lon, lat, installed_at
        FROM sensors ORDER BY sensor_id""").df()


_STATUS_COLUMNS = ["sensor_id", "name", "sensor_type", "uom", "threshold_warning", "threshold_alarm",
                   "threshold_direction", "threshold_low_warning", "threshold_low_alarm", "interval_min",
                   "town_code", "grid_code", "village_code", "child_code", "lon", "lat",
                   "last_ts", "online", "value", "state"]


def _judge(df: pd.DataFrame, at: datetime) -> pd.DataFrame:
    """Add ``online``, ``value`` (the last value if within the last day) and ``state`` to sensors merged with
    their ``last_readings`` (columns last_ts, last_value, interval_min and the thresholds)."""
    df["online"] = (df["last_ts"] >= pd.Timestamp(at) - pd.to_timedelta(df["interval_min"], unit="min")).fillna(False)
    df["online"] = df["online"].astype(bool)
    fresh = df["last_ts"] >= pd.Timestamp(at) - LATEST_WINDOW
    df["value"] = df["last_value"].where(fresh)
    df["state"] = pd.Series(_states(df), index=df.index, dtype="str")
    return df.drop(columns=["last_value"])


def _states(df: pd.DataFrame) -> np.ndarray:
    """alarm | warning | normal | no_data of ``value`` by the rule of ``etl.thresholds.level_sql``: above,
    below or outside the band, as the sensor's ``threshold_direction`` says (NULL: below when the alarm
    threshold is lower than the warning one, else above); a NULL threshold raises nothing."""
    v, w, a = df["value"], df["threshold_warning"], df["threshold_alarm"]
    lw = df.get("threshold_low_warning", pd.Series(np.nan, index=df.index))
    la = df.get("threshold_low_alarm", pd.Series(np.nan, index=df.index))
    declared = df.get("threshold_direction", pd.Series(None, index=df.index, dtype=object))
    direction = declared.where(declared.notna(), np.where((a < w).fillna(False), "below", "above"))

    def lvl(cond_alarm: pd.Series, cond_warn: pd.Series) -> np.ndarray:
        return np.select([cond_alarm.fillna(False), cond_warn.fillna(False)], [2, 1], default=0)

    up, down, band_low = lvl(v >= a, v >= w), lvl(v <= a, v <= w), lvl(v <= la, v <= lw)
    level = np.where(direction == "below", down, np.where(direction == "outside", np.maximum(up, band_low), up))
    return np.where(v.isna(), "no_data", np.array(["normal", "warning", "alarm"])[level])


def status_table(con: duckdb.DuckDBPyConnection, at: datetime, last: pd.DataFrame | None = None,
                 sensors: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every sensor installed by ``at`` (whatever its unit or type) with its last reading, ``online`` and
    ``state``: ``sensor_status`` of the whole warehouse, which ``sensor_status(..., table=)`` narrows to a
    scope. Depends on the snapshot and ``at`` only, so a page may keep it as it keeps ``last_readings``
    (``last`` and ``sensors`` are ``last_readings(con, at)`` and ``sensor_table(con)`` if already known)."""
    sensors = sensor_table(con) if sensors is None else sensors
    last = last_readings(con, at) if last is None else last
    keep = sensors["installed_at"].isna() | (sensors["installed_at"] <= pd.Timestamp(at))
    s = sensors[keep.fillna(False).astype(bool)].reset_index(drop=True)
    return _judge(s.merge(last, on="sensor_id", how="left"), at)


def sensor_status(con: duckdb.DuckDBPyConnection, query: Query, sensor_type: str | None = None,
                  as_of: datetime | None = None, last: pd.DataFrame | None = None,
                  sensors: pd.DataFrame | None = None, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each sensor in scope installed by ``as_of``: its declaration, last reading (``last_ts``; ``value``
    only if within the last day, as in ``metrics.sensors.latest_readings``), ``online`` (a reading within
    its expected interval, default 60 min) and ``state`` (alarm | warning | normal | no_data: at or beyond
    a threshold; below it when the alarm threshold is lower than the warning one, e.g. low pressure).

    ``last`` is ``last_readings(con, as_of)`` and ``sensors`` is ``sensor_table(con)`` when the caller
    already has them, ``table`` is ``status_table(con, as_of, ...)`` (the scope is then applied to that
    frame, with the same rules as the SQL)."""
    at = as_of or as_of_time(con, query)
    level = unit_level(con, query.unit)
    child = ORG_LEVEL_COLUMN[child_of(con, level)]
    if table is None and sensors is None:
        where, params, _ = _scope(con, query, sensor_type)
        params["at"] = at
        s = con.execute(f"""SELECT sensor_id, name, sensor_type, uom, threshold_warning, threshold_alarm,
            threshold_direction, threshold_low_warning, threshold_low_alarm,
            coalesce(expected_interval_min, 60) AS interval_min, town_code, grid_code, village_code,
            {child} AS child_code, lon, lat FROM sensors s
            WHERE {where} AND (installed_at IS NULL OR installed_at <= $at) ORDER BY sensor_id""", params).df()
        last = last_readings(con, at) if last is None else last
        return _judge(s.merge(last, on="sensor_id", how="left"), at)
    t = status_table(con, at, last, sensors) if table is None else table
    keep = np.ones(len(t), dtype=bool)
    if level is not None:
        keep &= (t[ORG_LEVEL_COLUMN[level]] == query.unit).fillna(False).to_numpy(dtype=bool)
    if sensor_type is not None:
        keep &= (t["sensor_type"] == sensor_type).fillna(False).to_numpy(dtype=bool)
    df = t[keep] if not keep.all() else t
    return df.assign(child_code=df[child])[_STATUS_COLUMNS].reset_index(drop=True)


def online_rate(con: duckdb.DuckDBPyConnection, query: Query, by: Literal["sensor_type", "unit"],
                sensor_type: str | None = None, as_of: datetime | None = None,
                status: pd.DataFrame | None = None, reports: pd.DataFrame | None = None) -> pd.DataFrame:
    """Online rate over the period per sensor type or per child unit: key, label, sensors, online (in their
    last interval), expected, received, online_rate (received / expected reporting intervals; NaN: none
    expected). ``status`` is ``sensor_status(...)`` of the same scope and ``reports`` is
    ``metrics.sensors.reporting(...)`` when the caller already has them."""
    st = sensor_status(con, query, sensor_type, as_of) if status is None else status
    if reports is None:
        reports = reporting(con, query, as_of or as_of_time(con, query))
    st = with_reporting(st, reports)
    if by == "sensor_type":
        key, names = "sensor_type", {}
    elif by == "unit":
        key, names = "child_code", unit_names(con, child_of(con, unit_level(con, query.unit)), query)
    else:
        raise QueryError(f"online rate cannot be grouped by {by!r}")
    st = st[st[key].notna()]
    # np.unique + bincount: the pandas groupby-agg cost ≈15 ms per call on a few thousand rows
    keys, inverse = np.unique(st[key].astype(str).to_numpy(), return_inverse=True)
    df = pd.DataFrame({"key": keys.astype(object), "sensors": np.bincount(inverse, minlength=len(keys)),
                       "online": np.bincount(inverse, weights=st["online"].to_numpy(dtype=np.float64),
                                             minlength=len(keys))})
    df.insert(1, "label", [names.get(k, k) for k in df["key"]])
    df["sensors"] = df["sensors"].astype(np.int64)
    df["online"] = df["online"].astype(np.int64)
    for col in ("expected", "received"):
        df[col] = np.bincount(inverse, weights=st[col].to_numpy(dtype=np.float64), minlength=len(keys)).astype(np.int64)
    df["online_rate"] = (df["received"] / df["expected"].where(df["expected"] > 0)).astype(np.float64)
    return df


# the kept facts carry their case's closed_at (one table, no other closed_at): closed by the period end $e
CLOSED_BY_END = render(fact_table("cases"), ("closed_by_end",), Bound(None, "$e", None)).where


def with_reporting(status: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """``status`` with each sensor's ``interval_min``-based ``expected`` and ``received`` intervals (0 for a
    sensor ``reports`` does not list)."""
    rep = reports[["sensor_id", "expected", "received"]]
    out = status.drop(columns=[c for c in ("expected", "received") if c in status]).merge(rep, on="sensor_id",
                                                                                        how="left")
    out[["expected", "received"]] = out[["expected", "received"]].fillna(0).astype(np.int64)
    return out


def period_online_rate(status: pd.DataFrame) -> float | None:
    """Received / expected reporting intervals of a ``with_reporting`` frame (None: nothing expected)."""
    expected = int(status["expected"].sum())
    return int(status["received"].sum()) / expected if expected else None


def alarm_facts(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every alarm with what ``alarm_table`` reads of its sensor and case: started_at, severity, sensor_type,
    the sensor's unit path, to_case (turned into a case that is not cancelled), closed_at (that case's).

    The joins to ``sensors`` and ``cases`` done once (one snapshot's worth: ≈54k alarms, ≈6.5 MB at
    district scale): keep it per snapshot and ``alarm_table(..., facts=)`` only filters and counts. An
    Arrow table, not a DataFrame: DuckDB scans it in place (≈5 ms), where a frame of pandas' Arrow-backed
    strings is converted on every scan (≈70 ms)."""
    levels = ", ".join(f"s.{c}" for c in dict.fromkeys(ORG_LEVEL_COLUMN.values()))
    return con.execute(f"""SELECT a.started_at, a.severity, s.sensor_type, {levels},
        c.case_id IS NOT NULL AND coalesce(c.counted, false) AS to_case, c.closed_at
        FROM sensor_alarms a JOIN sensors s USING (sensor_id)
        LEFT JOIN (SELECT case_id, closed_at, {CASE_COUNTED} AS counted FROM cases) c ON c.case_id = a.case_id
        ORDER BY a.started_at""").to_arrow_table()


def alarm_table(con: duckdb.DuckDBPyConnection, query: Query, sensor_type: str | None = None,
                facts: pa.Table | None = None) -> pd.DataFrame:
    """Alarms started in the period per start day, sensor type and severity, with those turned into cases
    (not cancelled) and of those the cases closed by the period end (``metrics.sensors.alarm_cases``'
    rules): day ('YYYY-MM-DD'), sensor_type, severity, alarms, to_cases, cases_closed. One query feeds
    every alarm panel (``alarm_counts``, ``alarm_case_flow``).

    ``facts`` is ``alarm_facts(con)`` of the same snapshot when the caller keeps it (then the query joins
    nothing: the joins to ``sensors`` and the 1M-row ``cases`` were most of its time)."""
    where, params, _ = _scope(con, query, sensor_type)
    params.update(s=query.period.start, e=query.period.end)
    if facts is not None:
        with registered(con, _ALARM_FACTS, facts) as name:
            df = con.execute(f"""
            SELECT strftime(s.started_at, '%Y-%m-%d') AS day, s.sensor_type, s.severity, count(*) AS alarms,
                   count(*) FILTER (WHERE s.to_case) AS to_cases,
                   count(*) FILTER (WHERE s.to_case AND {CLOSED_BY_END}) AS cases_closed
            FROM {name} s WHERE {where} AND s.started_at >= $s AND s.started_at < $e
            GROUP BY ALL ORDER BY 1, 2, 3""", params).df()
    else:
        df = con.execute(f"""
    SELECT strftime(a.started_at, '%Y-%m-%d') AS day, s.sensor_type, a.severity, count(*) AS alarms,
           count(c.case_id) FILTER (WHERE c.counted) AS to_cases,
           count(c.case_id) FILTER (WHERE c.closed_by_end) AS cases_closed
    FROM sensor_alarms a JOIN sensors s USING (sensor_id) LEFT JOIN {ALARM_CASES} c ON c.case_id = a.case_id
    WHERE {where} AND a.started_at >= $s AND a.started_at < $e GROUP BY ALL ORDER BY 1, 2, 3""", params).df()
    for c in ("alarms", "to_cases", "cases_closed"):
        df[c] = df[c].astype(np.int64)
    return df


def alarm_counts(con: duckdb.DuckDBPyConnection, query: Query, by: Literal["severity", "sensor_type", "day"],
                 sensor_type: str | None = None, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Alarms started in the period per key and severity: key, severity, alarms (day keys 'YYYY-MM-DD').
    ``table`` is ``alarm_table(...)`` of the same scope when the caller already has it."""
    if by not in ("severity", "sensor_type", "day"):
        raise QueryError(f"alarms cannot be grouped by {by!r}")
    t = alarm_table(con, query, sensor_type) if table is None else table
    keys = ["severity"] if by == "severity" else [by, "severity"]
    df = t.groupby(keys, sort=True)["alarms"].sum().reset_index()
    if by == "severity":
        df.insert(0, "key", df["severity"])
    else:
        df = df.rename(columns={by: "key"})
    df["alarms"] = df["alarms"].astype(np.int64)
    return df[["key", "severity", "alarms"]]


def alarm_case_flow(con: duckdb.DuckDBPyConnection, query: Query, sensor_type: str | None = None,
                    table: pd.DataFrame | None = None) -> dict[str, float | int | None]:
    """Alarms started in the period → turned into cases (not cancelled) → of those closed by the period end,
    with the two rates (None on a zero denominator)."""
    t = alarm_table(con, query, sensor_type) if table is None else table
    alarms, to_cases, closed = (int(t[c].sum()) for c in ("alarms", "to_cases", "cases_closed"))
    return {"alarms": alarms, "to_cases": to_cases, "cases_closed": closed,
            "to_case_rate": to_cases / alarms if alarms else None,
            "case_closure_rate": closed / to_cases if to_cases else None}


def sensor_info(con: duckdb.DuckDBPyConnection, query: Query, sensor_id: str) -> dict[str, Any] | None:
    """One sensor's declaration if it lies in the query's unit subtree (else None: not the user's to see)."""
    where, params, _ = _scope(con, query, None)
    params["id"] = sensor_id
    df = con.execute(f"SELECT sensor_id, name, sensor_type, metric, uom, threshold_warning, threshold_alarm, "
                     f"threshold_direction, threshold_low_warning, threshold_low_alarm, "
                     f"expected_interval_min, town_code, grid_code FROM sensors s WHERE {where} AND sensor_id = $id",
                     params).df()
    if df.empty:
        return None
    rec = df.iloc[0].to_dict()
    return {str(k): (None if isinstance(v, float) and v != v else v) for k, v in rec.items()}


def sensor_series(con: duckdb.DuckDBPyConnection, query: Query, sensor_id: str, max_points: int = 720,
                  in_scope: bool = False) -> pd.DataFrame:
    """The sensor's readings in the period in at most ``max_points`` equal time buckets: ts (bucket start),
    value (mean), lo, hi (min, max), n (readings). Empty when the sensor is outside the query's scope.
    ``in_scope`` says the caller has already checked the sensor with ``sensor_info`` for this query.

    The period's ``ts`` window is what prunes (zone maps, readings stored in time order): a month reads
    ≈1/12 of the table, a year all of it."""
    if not in_scope and sensor_info(con, query, sensor_id) is None:
        return pd.DataFrame(columns=["ts", "value", "lo", "hi", "n"])
    span = max((query.period.end - query.period.start).total_seconds(), 1.0)
    step = max(int(-(-span // max(max_points, 1))), 1)  # ceil: never more than max_points buckets
    params: dict[str, Any] = {"id": sensor_id, "s": query.period.start, "e": query.period.end, "step": step}
    return con.execute(
        "SELECT time_bucket(to_seconds($step), ts, $s) AS ts, avg(value) AS value, min(value) AS lo, "
        "max(value) AS hi, count(*) AS n FROM sensor_readings WHERE sensor_id = $id AND ts >= $s AND ts < $e "
        "GROUP BY 1 ORDER BY 1", params).df()


GAP_INTERVALS = 3  # a series is broken where no reading came for more than this many reporting intervals


def gap_limit(query: Query, interval_min: float | None, max_points: int) -> timedelta:
    """The silence after which a series is drawn as a gap: ``GAP_INTERVALS`` reporting intervals (60 min
    when undeclared), and never less than two of ``sensor_series``' buckets (a bucket may hold no reading
    of a sensor that reports less often than the bucket width)."""
    span = max((query.period.end - query.period.start).total_seconds(), 1.0)
    bucket = timedelta(seconds=max(int(-(-span // max(max_points, 1))), 1))
    return max(timedelta(minutes=GAP_INTERVALS * float(interval_min or 60)), 2 * bucket)


def break_gaps(series: pd.DataFrame, limit: timedelta) -> pd.DataFrame:
    """``series`` (ts ascending) with an all-NaN row just after each reading followed by more than
    ``limit`` of silence: a chart then shows the outage as a gap instead of a straight line across it."""
    if len(series) < 2:
        return series
    ts = pd.to_datetime(series["ts"])
    after = ts.diff().shift(-1) > pd.Timedelta(limit)
    if not after.any():
        return series
    breaks = pd.DataFrame({"ts": ts[after] + pd.Timedelta(seconds=1)})
    out = pd.concat([series.assign(ts=ts), breaks], ignore_index=True).sort_values("ts", kind="stable")
    return out.reset_index(drop=True)


def offline(status: pd.DataFrame) -> pd.DataFrame:
    """The sensors of a ``sensor_status`` frame that are not online, longest silent first (no reading within
    the lookback first): sensor_id, name, sensor_type, town_code, grid_code, last_reading."""
    off = status[~status["online"]].sort_values(["last_ts", "sensor_id"], na_position="first")
    return off[["sensor_id", "name", "sensor_type", "town_code", "grid_code", "last_ts"]] \
        .rename(columns={"last_ts": "last_reading"}).reset_index(drop=True)


def state_counts(status: pd.DataFrame) -> pd.DataFrame:
    """Sensors per type and state (columns: sensor_type, then one column per state in ``STATES``)."""
    if status.empty:
        return pd.DataFrame(columns=["sensor_type", *STATES])
    out = status.groupby(["sensor_type", "state"]).size().unstack(fill_value=0)
    return out.reindex(columns=list(STATES), fill_value=0).astype(np.int64).reset_index()
