"""Derive sensor alarms from readings when a source does not export its own alarms.

An alarm is a run of consecutive readings at or beyond ``threshold_warning`` (severity ``warning``) of
one sensor; a run that reaches ``threshold_alarm`` is an ``alarm``. "Beyond" follows the sensor's
``threshold_direction`` (etl.thresholds: above, below, outside a band); the peak is the worst reading
of the run in that direction. It ends at the first reading back within the threshold (``ended_at``;
NULL while ongoing). Gaps-and-islands in one SQL statement. Derived alarms that the readings and
thresholds no longer yield (a threshold cleared, readings deleted) are removed unless a case was
opened from them.
"""

from __future__ import annotations

import duckdb

from etl.overlay import visible
from etl.rollups import build_rollups
from etl.thresholds import badness_sql, level_sql

DERIVED_PREFIX = "derived:"


def derive_alarms(con: duckdb.DuckDBPyConnection, run_id: int | None = None) -> int:
    """Upsert derived alarms for sensors that have no source-provided alarms; returns rows written.

    Idempotent: ids are ``derived:<sensor_id>:<start>``, so re-deriving rewrites the same rows (and
    closes an alarm that was ongoing when more readings arrive).
    """
    readings = visible(con, "sensor_readings")  # on a delta writer: base ∪ delta
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE __derived AS
        WITH s AS (
            SELECT * FROM sensors
            WHERE coalesce(threshold_warning, threshold_alarm, threshold_low_warning, threshold_low_alarm) IS NOT NULL
              AND sensor_id NOT IN (SELECT sensor_id FROM sensor_alarms WHERE NOT starts_with(alarm_id, $1))
        ),
        lv AS (
            SELECT r.sensor_id, r.ts, r.value, {level_sql("r.value", "s")} AS lvl,
                   {badness_sql("r.value", "s")} AS bad
            FROM {readings} r JOIN s USING (sensor_id)
        ),
        marked AS (
            SELECT *, lead(ts) OVER w AS next_ts,
                   sum(CASE WHEN lvl > 0 THEN 0 ELSE 1 END) OVER (w ROWS UNBOUNDED PRECEDING) AS island
            FROM lv WINDOW w AS (PARTITION BY sensor_id ORDER BY ts)
        ),
        runs AS (
            SELECT sensor_id, island, min(ts) AS started_at, max(ts) AS last_ts, max(lvl) AS lvl,
                   arg_max(value, bad) AS peak_value, arg_max(next_ts, ts) AS ended_at
            FROM marked WHERE lvl > 0 GROUP BY sensor_id, island
        )
        SELECT $1 || runs.sensor_id || ':' || strftime(started_at, '%Y%m%dT%H%M%S') AS alarm_id,
               runs.sensor_id, CASE WHEN lvl = 2 THEN 'alarm' ELSE 'warning' END AS severity,
               started_at, ended_at, peak_value,
               s.city_code, s.district_code, s.town_code, s.grid_code, s.village_code, s.unit_code
        FROM runs JOIN sensors s USING (sensor_id)
        """,
        [DERIVED_PREFIX],
    )
    changed = con.execute(
        """
        SELECT count(*) FROM __derived d LEFT JOIN sensor_alarms a USING (alarm_id)
        WHERE a.alarm_id IS NULL OR a.severity IS DISTINCT FROM d.severity
           OR a.ended_at IS DISTINCT FROM d.ended_at OR a.peak_value IS DISTINCT FROM d.peak_value
        """
    ).fetchone()
    con.execute(
        """
        INSERT INTO sensor_alarms (alarm_id, sensor_id, severity, started_at, ended_at, peak_value,
                                   city_code, district_code, town_code, grid_code, village_code, unit_code,
                                   load_run_id)
        SELECT d.*, $1 FROM __derived d LEFT JOIN sensor_alarms a USING (alarm_id)
        WHERE a.alarm_id IS NULL OR a.severity IS DISTINCT FROM d.severity
           OR a.ended_at IS DISTINCT FROM d.ended_at OR a.peak_value IS DISTINCT FROM d.peak_value
        ON CONFLICT (alarm_id) DO UPDATE SET severity = excluded.severity, ended_at = excluded.ended_at,
            peak_value = excluded.peak_value, load_run_id = excluded.load_run_id
        """,
        [run_id],
    )
    stale = con.execute(
        """
        DELETE FROM sensor_alarms WHERE starts_with(alarm_id, $1) AND case_id IS NULL
          AND alarm_id NOT IN (SELECT alarm_id FROM __derived)
        """,
        [DERIVED_PREFIX],
    ).fetchone()
    con.execute("DROP TABLE __derived")
    build_rollups(con, ("sensor_alarms",))  # alarms are few: their rollup is rebuilt, not patched by day
    return (int(changed[0]) if changed else 0) + (int(stale[0]) if stale else 0)
