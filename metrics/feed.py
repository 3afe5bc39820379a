"""Live operational reads for the command hall: the feed, map markers, today's volume, backlog,
water levels and who is on duty. Counts and latest rows, not rated indicators (those are in the
indicator API). Every function takes a read-only connection, a ``Query`` (its ``unit`` scopes the
subtree) and ``now`` in site-local naive time, so tests and replays can pin the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from metrics.query import Query

OPEN_CASE = "NOT coalesce(c.cancelled, FALSE) AND c.closed_at IS NULL AND c.status NOT IN ('closed', 'cancelled')"


def _scope(query: Query, alias: str) -> tuple[str, list[object]]:
    """SQL predicate restricting rows carrying the unit path columns to the query's subtree."""
    if not query.unit:
        return "TRUE", []
    cols = ("district_code", "town_code", "grid_code", "village_code", "unit_code")
    return "(" + " OR ".join(f"{alias}.{c} = ?" for c in cols) + ")", [query.unit] * len(cols)


@dataclass(frozen=True)
class Backlog:
    open_cases: int
    overdue_cases: int
    open_urgent: int
    open_hotline: int
    overdue_hotline: int
    active_alarms: int


def live_feed(con: duckdb.DuckDBPyConnection, query: Query, now: datetime, limit: int = 20,
              hours: int = 24) -> pd.DataFrame:
    """Latest urgent cases and sensor alarms of the last ``hours``, newest first.

    Columns: kind (case|alarm), item_id, happened_at, title, unit_zh, unit_en, state, severity, age_minutes.
    """
    since = now - timedelta(hours=hours)
    cs, cp = _scope(query, "c")
    a_s, ap = _scope(query, "a")
    df = con.execute(
        f"""
        WITH items AS (
            SELECT 'case' AS kind, c.case_id AS item_id, c.reported_at AS happened_at,
                   coalesce(cc.minor_name, c.category_code, '') AS title, c.unit_code,
                   CASE WHEN c.closed_at IS NOT NULL AND c.closed_at <= ? THEN 'closed'
                        WHEN c.first_result_at IS NOT NULL AND c.first_result_at <= ? THEN 'disposing'
                        WHEN c.arrived_at IS NOT NULL AND c.arrived_at <= ? THEN 'arrived'
                        ELSE 'waiting' END AS state,
                   'urgent' AS severity
            FROM cases c LEFT JOIN case_category cc USING (category_code)
            WHERE c.urgency = 'urgent' AND NOT coalesce(c.cancelled, FALSE)
              AND c.reported_at >= ? AND c.reported_at <= ? AND {cs}
            UNION ALL
            SELECT 'alarm', a.alarm_id, a.started_at, coalesce(s.sensor_type, ''), a.unit_code,
                   CASE WHEN a.ended_at IS NOT NULL AND a.ended_at <= ? THEN 'ended'
                        WHEN a.case_id IS NOT NULL THEN 'case' ELSE 'ongoing' END,
                   a.severity
            FROM sensor_alarms a LEFT JOIN sensors s USING (sensor_id)
            WHERE a.started_at >= ? AND a.started_at <= ? AND {a_s}
        )
        SELECT i.*, u.name_zh AS unit_zh, u.name_en AS unit_en
        FROM items i LEFT JOIN org_unit u USING (unit_code)
        ORDER BY happened_at DESC, item_id
        LIMIT ?
        """,
        [now, now, now, since, now, *cp, now, since, now, *ap, int(limit)],
    ).df()
    df["age_minutes"] = (now - df["happened_at"]).dt.total_seconds() / 60 if not df.empty else pd.Series(dtype=float)
    return df


def markers(con: duckdb.DuckDBPyConnection, query: Query, now: datetime, limit: int = 2000) -> pd.DataFrame:
    """Open urgent cases and ongoing alarms with coordinates: kind, item_id, happened_at, title, severity, lon, lat."""
    cs, cp = _scope(query, "c")
    a_s, ap = _scope(query, "a")
    return con.execute(
        f"""
        SELECT 'case' AS kind, c.case_id AS item_id, c.reported_at AS happened_at,
               coalesce(cc.minor_name, c.category_code, '') AS title, 'urgent' AS severity, c.lon, c.lat
        FROM cases c LEFT JOIN case_category cc USING (category_code)
        WHERE c.urgency = 'urgent' AND {OPEN_CASE} AND c.reported_at <= ? AND c.lon IS NOT NULL AND {cs}
        UNION ALL
        SELECT 'alarm', a.alarm_id, a.started_at, coalesce(s.sensor_type, ''), a.severity, s.lon, s.lat
        FROM sensor_alarms a JOIN sensors s USING (sensor_id)
        WHERE (a.ended_at IS NULL OR a.ended_at > ?) AND a.started_at <= ? AND s.lon IS NOT NULL AND {a_s}
        ORDER BY happened_at DESC
        LIMIT ?
        """,
        [now, *cp, now, now, *ap, int(limit)],
    ).df()


def hourly_volume(con: duckdb.DuckDBPyConnection, query: Query, now: datetime, source: str = "cases",
                  typical_days: int = 28) -> pd.DataFrame:
    """Today's count per hour (up to now) against the typical day (mean of the previous days).

    ``source``: cases (reported_at) or hotline (received_at). Columns: hour, today, typical.
    Hours still to come have ``today`` = NaN.
    """
    table, ts, alias = ("cases", "reported_at", "c") if source == "cases" else ("hotline_orders", "received_at", "h")
    cond, params = _scope(query, alias)
    extra = " AND NOT coalesce(c.cancelled, FALSE)" if source == "cases" else ""
    day0 = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = day0 - timedelta(days=typical_days)
    df = con.execute(
        f"""
        SELECT hour({alias}.{ts}) AS hour,
               count(*) FILTER (WHERE {alias}.{ts} >= ?) AS today,
               count(*) FILTER (WHERE {alias}.{ts} < ?) AS before
        FROM {table} {alias}
        WHERE {alias}.{ts} >= ? AND {alias}.{ts} <= ? AND {cond}{extra}
        GROUP BY 1
        """,
        [day0, day0, start, now, *params],
    ).df()
    hours = pd.DataFrame({"hour": range(24)})
    out = hours.merge(df, on="hour", how="left").fillna({"today": 0, "before": 0})
    out["typical"] = out["before"] / typical_days
    out["today"] = out["today"].astype(float).where(out["hour"] <= now.hour)
    return out[["hour", "today", "typical"]]


def backlog(con: duckdb.DuckDBPyConnection, query: Query, now: datetime) -> Backlog:
    cs, cp = _scope(query, "c")
    hs, hp = _scope(query, "h")
    a_s, ap = _scope(query, "a")
    c = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE c.deadline_at < ?),
                   count(*) FILTER (WHERE c.urgency = 'urgent')
            FROM cases c WHERE {OPEN_CASE} AND c.reported_at <= ? AND {cs}""",
        [now, now, *cp],
    ).fetchone()
    h = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE h.due_at < ?) FROM hotline_orders h
            WHERE h.closed_at IS NULL AND h.received_at <= ? AND {hs}""",
        [now, now, *hp],
    ).fetchone()
    a = con.execute(
        f"SELECT count(*) FROM sensor_alarms a WHERE (a.ended_at IS NULL OR a.ended_at > ?) AND a.started_at <= ? "
        f"AND {a_s}",
        [now, now, *ap],
    ).fetchone()
    return Backlog(int(c[0]), int(c[1]), int(c[2]), int(h[0]), int(h[1]), int(a[0]))


def water_levels(con: duckdb.DuckDBPyConnection, query: Query, now: datetime, limit: int = 10,
                 sensor_type: str = "water_level") -> pd.DataFrame:
    """Latest reading of each water-level sensor (last 6 h) against its thresholds, highest ratio first.

    Columns: sensor_id, name, unit_zh, unit_en, value, threshold_warning, threshold_alarm, uom, ts, ratio.
    """
    ss, sp = _scope(query, "s")
    return con.execute(
        f"""
        WITH latest AS (
            SELECT r.sensor_id, arg_max(r.value, r.ts) AS value, max(r.ts) AS ts
            FROM sensor_readings r
            WHERE r.ts > ? AND r.ts <= ?
              AND r.sensor_id IN (SELECT sensor_id FROM sensors WHERE sensor_type = ?)
            GROUP BY r.sensor_id
        )
        SELECT s.sensor_id, coalesce(s.name, s.sensor_id) AS name, u.name_zh AS unit_zh, u.name_en AS unit_en,
               l.value, s.threshold_warning, s.threshold_alarm, s.uom, l.ts,
               l.value / nullif(coalesce(s.threshold_alarm, s.threshold_warning), 0) AS ratio
        FROM latest l JOIN sensors s USING (sensor_id) LEFT JOIN org_unit u ON u.unit_code = s.unit_code
        WHERE {ss}
        ORDER BY ratio DESC NULLS LAST, s.sensor_id
        LIMIT ?
        """,
        [now - timedelta(hours=6), now, sensor_type, *sp, int(limit)],
    ).df()


def on_duty_by_grid(con: duckdb.DuckDBPyConnection, query: Query, now: datetime) -> pd.DataFrame:
    """Every grid in scope with staff on duty now, open urgent cases and active alarms.

    Columns: grid_code, name_zh, name_en, on_duty, open_urgent, active_alarms (grids with nobody on
    duty are included with 0, so gaps in night cover show).
    """
    gs, gp = _scope(query, "g")
    return con.execute(
        f"""
        WITH grids AS (SELECT g.unit_code AS grid_code, g.name_zh, g.name_en FROM org_unit g
                       WHERE g.level = 'grid' AND {gs}),
        duty AS (SELECT grid_code, count(DISTINCT person_id) AS on_duty FROM staffing_roster
                 WHERE start_at <= ? AND end_at > ? GROUP BY grid_code),
        urgent AS (SELECT c.grid_code, count(*) AS open_urgent FROM cases c
                   WHERE c.urgency = 'urgent' AND {OPEN_CASE} AND c.reported_at <= ? GROUP BY c.grid_code),
        alarms AS (SELECT grid_code, count(*) AS active_alarms FROM sensor_alarms
                   WHERE (ended_at IS NULL OR ended_at > ?) AND started_at <= ? GROUP BY grid_code)
        SELECT grids.grid_code, grids.name_zh, grids.name_en,
               coalesce(duty.on_duty, 0) AS on_duty, coalesce(urgent.open_urgent, 0) AS open_urgent,
               coalesce(alarms.active_alarms, 0) AS active_alarms
        FROM grids LEFT JOIN duty USING (grid_code) LEFT JOIN urgent USING (grid_code)
             LEFT JOIN alarms USING (grid_code)
        ORDER BY open_urgent + active_alarms DESC, on_duty ASC, grid_code
        """,
        [*gp, now, now, now, now, now],
    ).df()


LEVEL_COLUMN = {"district": "district_code", "town": "town_code", "grid": "grid_code", "village": "village_code"}


def counts_by_unit(con: duckdb.DuckDBPyConnection, query: Query, level: str, now: datetime) -> pd.DataFrame:
    """Live counts per unit of ``level`` inside the query's scope.

    Columns: unit_code, open_cases, overdue_cases, open_urgent, active_alarms, on_duty.
    """
    col = LEVEL_COLUMN.get(level, "unit_code")
    cs, cp = _scope(query, "c")
    a_s, ap = _scope(query, "a")
    r_s, rp = _scope(query, "r")
    return con.execute(
        f"""
        WITH c AS (
            SELECT c.{col} AS unit_code, count(*) AS open_cases,
                   count(*) FILTER (WHERE c.deadline_at < ?) AS overdue_cases,
                   count(*) FILTER (WHERE c.urgency = 'urgent') AS open_urgent
            FROM cases c WHERE {OPEN_CASE} AND c.reported_at <= ? AND {cs} GROUP BY 1),
        a AS (
            SELECT a.{col} AS unit_code, count(*) AS active_alarms FROM sensor_alarms a
            WHERE (a.ended_at IS NULL OR a.ended_at > ?) AND a.started_at <= ? AND {a_s} GROUP BY 1),
        r AS (
            SELECT r.{col} AS unit_code, count(DISTINCT r.person_id) AS on_duty FROM staffing_roster r
            WHERE r.start_at <= ? AND r.end_at > ? AND {r_s} GROUP BY 1)
        SELECT unit_code, coalesce(c.open_cases, 0) AS open_cases, coalesce(c.overdue_cases, 0) AS overdue_cases,
               coalesce(c.open_urgent, 0) AS open_urgent, coalesce(a.active_alarms, 0) AS active_alarms,
               coalesce(r.on_duty, 0) AS on_duty
        FROM c FULL JOIN a USING (unit_code) FULL JOIN r USING (unit_code)
        WHERE unit_code IS NOT NULL
        """,
        [now, now, *cp, now, now, *ap, now, now, *rp],
    ).df()
