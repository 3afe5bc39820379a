"""Derive sensor alarms from readings when a source does not export its own alarms.

An alarm is a run of consecutive readings at or beyond ``threshold_warning`` (severity ``warning``) of
one sensor; a run that reaches ``threshold_alarm`` is an ``alarm``. "Beyond" follows the sensor's
``threshold_direction`` (etl.thresholds: above, below, outside a band); the peak is the worst reading
of the run in that direction. It ends at the first reading back within the threshold (``ended_at``;
NULL while ongoing). Gaps-and-islands in one SQL statement. Derived alarms that the readings and
thresholds no longer yield (a threshold cleared, readings deleted) are removed unless a case was
opened from them.

After a load of readings (``incremental``) only what that run's rows can change is derived again: the
sensors it wrote, from the earlier of its first reading and the start of any derived alarm of the
sensor still running then (the run's readings can extend, split or end it). Alarms that ended before
are separated from the new rows by a reading back within the threshold, so they cannot change. Bound
as constants, the sensors and the earliest instant prune the readings' scan (at city scale the whole
derivation scanned 166M readings per 5-minute feed: ~30 s at district scale).
"""

from __future__ import annotations

import duckdb

from etl.overlay import visible
from etl.rollups import build_rollups
from etl.thresholds import badness_sql, level_sql

DERIVED_PREFIX = "derived:"


def _touched(con: duckdb.DuckDBPyConnection, run_id: int) -> tuple[str, list[object]]:
    """``__touched(sensor_id, since)`` for the readings ``run_id`` wrote, and the filter (bound constants)
    naming the readings to derive from."""
    # The run's rows are in the writer's own table (on a delta: the delta's), whatever the base holds.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE __touched AS
        WITH t AS (SELECT sensor_id, min(ts) AS t0 FROM sensor_readings WHERE load_run_id = $1 GROUP BY sensor_id)
        SELECT t.sensor_id, least(t.t0, min(a.started_at)) AS since
        FROM t LEFT JOIN sensor_alarms a ON a.sensor_id = t.sensor_id AND starts_with(a.alarm_id, $2)
             AND (a.ended_at IS NULL OR a.ended_at >= t.t0)
        GROUP BY t.sensor_id, t.t0
        """,
        [run_id, DERIVED_PREFIX],
    )
    row = con.execute("SELECT min(since), list(sensor_id) FROM __touched").fetchone()
    since, sensors = (row[0], row[1]) if row else (None, None)
    return (" WHERE r.ts >= $2 AND r.sensor_id = ANY($3)"
            " AND r.ts >= (SELECT since FROM __touched t WHERE t.sensor_id = r.sensor_id)"), [since, sensors or []]


def derive_alarms(con: duckdb.DuckDBPyConnection, run_id: int | None = None, *, incremental: bool = False) -> int:
    """Upsert derived alarms for sensors that have no source-provided alarms; returns rows written.

    Idempotent: ids are ``derived:<sensor_id>:<start>``, so re-deriving rewrites the same rows (and
    closes an alarm that was ongoing when more readings arrive). ``incremental`` (after a load of
    readings, ``run_id`` its run): only what the run's readings can change (module doc); a load that
    deleted readings or changed thresholds derives everything.
    """
    readings = visible(con, "sensor_readings")  # on a delta writer: base ∪ delta
    where = ""
    params: list[object] = [DERIVED_PREFIX]
    if incremental and run_id is not None:
        where, bound = _touched(con, run_id)
        params += bound
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
            FROM {readings} r JOIN s USING (sensor_id){where}
        ),
        marked AS (
            SELECT *, lead(ts) OVER w AS next_ts,
                   sum(CASE WHEN lvl > 0 THEN 0 ELSE 1 END) OVER (w ROWS UNBOUNDED PRECEDING) AS island
            FROM lv WINDOW w AS (PARTITION BY sensor_id ORDER BY ts)
        ),
        runs AS (
            SELECT sensor_id, island, min(ts) AS started_at, max(ts) AS last_ts, max(lvl) AS lvl,
                   arg_max(value, bad) AS peak_value, arg_max_null(next_ts, ts) AS ended_at
            FROM marked WHERE lvl > 0 GROUP BY sensor_id, island
        )
        SELECT $1 || runs.sensor_id || ':' || strftime(started_at, '%Y%m%dT%H%M%S') AS alarm_id,
               runs.sensor_id, CASE WHEN lvl = 2 THEN 'alarm' ELSE 'warning' END AS severity,
               started_at, ended_at, peak_value,
               s.city_code, s.district_code, s.town_code, s.grid_code, s.village_code, s.unit_code
        FROM runs JOIN sensors s USING (sensor_id)
        """,
        params,
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
    # incremental: only alarms of the derived window can have gone
    window = (" AND started_at >= (SELECT since FROM __touched t WHERE t.sensor_id = sensor_alarms.sensor_id)"
              if where else "")
    stale = con.execute(
        f"""
        DELETE FROM sensor_alarms WHERE starts_with(alarm_id, $1) AND case_id IS NULL
          AND alarm_id NOT IN (SELECT alarm_id FROM __derived){window}
        """,
        [DERIVED_PREFIX],
    ).fetchone()
    con.execute("DROP TABLE __derived")
    con.execute("DROP TABLE IF EXISTS __touched")
    build_rollups(con, ("sensor_alarms",))  # alarms are few: their rollup is rebuilt, not patched by day
    return (int(changed[0]) if changed else 0) + (int(stale[0]) if stale else 0)
